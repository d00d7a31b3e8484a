// Verification: source and target compared chunk by chunk over the same key ranges (the
// copy's own ranges when tidemark_meta has them), by row count and two order-independent
// checksums of each row's bytes (NULLs distinct from any value). Each range is rendered for each
// server with that server's collations; a table whose key the target orders otherwise (a
// collation mapped for TiDB) is compared whole, since no range means the same rows on both.
#include "runner/copy/full_copy.h"
#include "runner/db/catalog.h"
#include "runner/db/dialect/flavor.h"

#include "runner/copy/checkpoint.h"
#include "runner/copy/chunker.h"
#include "runner/copy/inspect.h"
#include "runner/copy/snapshot.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace tidemark::copy {

namespace {

struct Sums {
    std::string count, sum, xorSum;
    bool operator==(const Sums&) const = default;
    std::string text() const { return count + " rows, checksums " + sum + "/" + xorSum; }
};

std::string rowExpression(const TableInfo& t) {
    std::string values, nulls;
    for (auto& c : t.columns) {
        const std::string col = db::quoteIdent(c.name);
        values += ", CAST(" + col + " AS BINARY)";
        nulls += (nulls.empty() ? "" : ", ") + std::string("ISNULL(") + col + ")";
    }
    return "CONCAT_WS(0x1f" + values + ", CONCAT(" + nulls + "))";
}

Sums checksum(db::Connection& c, const TableInfo& t, const std::string& where) {
    const std::string row = rowExpression(t);
    std::string sql = "SELECT COUNT(*), COALESCE(SUM(CRC32(" + row + ")), 0), COALESCE(BIT_XOR(CRC32(CONCAT(" + row +
        ", 0x23))), 0) FROM " + t.qualified();
    if (!where.empty()) sql += " WHERE " + where;
    auto r = c.query(sql);
    return {r.rows[0][0].value_or("0"), r.rows[0][1].value_or("0"), r.rows[0][2].value_or("0")};
}

std::string describeRange(const std::string& where) { return where.empty() ? "all rows" : where; }

}  // namespace

std::string VerifyDifference::text() const {
    const std::string qualified = db::qualified(database, table);
    if (!problem.empty()) return qualified + ": " + problem;
    return qualified + " [" + range + "]: " + summary;
}

VerifyResult verify(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
                    status::StatusSink& sink) {
    return verify(job, source, target, sink, CopyOptions::fromEnvironment());
}

VerifyResult verify(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
                    status::StatusSink& sink, const CopyOptions& options) {
    VerifyResult result;
    auto src = db::connectWithRetry(source);
    auto tgt = db::connectWithRetry(target);
    auto names = db::selectedTables(src, job.objects);

    // Tables on the target, in the selected databases, that the source lacks.
    std::set<std::pair<std::string, std::string>> sourceSet(names.begin(), names.end());
    auto targetTables = db::selectedTables(tgt, job.objects);
    for (auto& t : targetTables)
        if (!sourceSet.count(t))
            result.differences.push_back({t.first, t.second, "on the target but not on the source", "", "", "", ""});
    std::set<std::pair<std::string, std::string>> targetSet(targetTables.begin(), targetTables.end());

    std::unique_ptr<Checkpoint> checkpoint;
    if (tgt.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' AND TABLE_NAME = "
                   "'copy_chunk'"))
        checkpoint = std::make_unique<Checkpoint>(target, job.instanceKey());

    struct Item {
        std::shared_ptr<TableInfo> table;
        std::string sourceWhere, targetWhere;  // "" = all rows
        std::string range;                     // for the report
    };
    std::vector<Item> items;
    auto keys = db::connectWithRetry(source);
    prepareReadSession(keys);
    const bool tidb = db::dialect::detectServer(tgt).isTidb();
    for (auto& [d, t] : names) {
        if (!targetSet.count({d, t})) {
            result.differences.push_back({d, t, "missing on the target", "", "", "", ""});
            continue;
        }
        auto info = std::make_shared<TableInfo>(inspectTable(src, d, t));
        const KeySide sourceSide = sourceKeySide(*info);
        const KeySide targetSide = targetKeySide(tgt, *info, tidb);
        if (!info->key.empty() && !sameOrder(*info, targetSide)) {
            items.push_back({info, "", "", "all rows, compared whole: the target orders the key otherwise"});
            continue;
        }
        auto render = [&](const std::vector<ChunkRecord>& chunks) {
            std::vector<Item> out;
            for (auto& c : chunks) {
                auto where = renderRange(*info, c.range, sourceSide);
                out.push_back({info, where, renderRange(*info, c.range, targetSide), describeRange(where)});
            }
            return out;
        };
        std::vector<Item> mine;
        if (checkpoint) {
            try {
                mine = render(checkpoint->plan({d, t}));
            } catch (const CopyError&) {
                mine.clear();  // the key changed since the copy planned it: plan afresh
            }
        }
        if (mine.empty())
            mine = render(planChunks(keys, *info, options.chunkRows ? options.chunkRows : autoChunkRows(*info)));
        items.insert(items.end(), mine.begin(), mine.end());
    }

    const int workers = std::max(1, options.workers > 0 ? options.workers : api::capacityPlan(job.capacity).workers);
    std::mutex m;
    std::size_t next = 0;
    std::exception_ptr error;
    std::atomic<std::uint64_t> rows{0};
    std::atomic<std::size_t> chunksDone{0};
    auto lastReport = std::chrono::steady_clock::now();
    std::vector<VerifyDifference> diffs;
    auto work = [&] {
        try {
            auto s = db::connectWithRetry(source);
            auto t = db::connectWithRetry(target);
            prepareReadSession(s);
            prepareReadSession(t);
            for (;;) {
                Item item;
                {
                    std::lock_guard lock(m);
                    if (next >= items.size() || error) return;
                    item = items[next++];
                }
                Sums a = checksum(s, *item.table, item.sourceWhere);
                Sums b;
                std::string targetError;
                try {
                    b = checksum(t, *item.table, item.targetWhere);
                } catch (const db::DbError& e) {
                    targetError = e.what();
                }
                rows += std::stoull(a.count);
                const auto done = ++chunksDone;
                const auto now = std::chrono::steady_clock::now();
                std::lock_guard lock(m);
                if (now - lastReport > std::chrono::seconds(1)) {
                    lastReport = now;
                    sink.report("verify",
                                {{"chunksDone", done}, {"chunksTotal", items.size()}, {"rowsCompared", rows.load()}});
                }
                if (!targetError.empty() || !(a == b)) {
                    diffs.push_back({item.table->db, item.table->name, "", item.sourceWhere, item.targetWhere,
                                     item.range,
                                     "source " + a.text() + "; target " +
                                         (targetError.empty() ? b.text() : "error: " + targetError)});
                }
            }
        } catch (...) {
            std::lock_guard lock(m);
            if (!error) error = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < std::min<int>(workers, std::max<int>(1, static_cast<int>(items.size()))); ++i)
        threads.emplace_back(work);
    for (auto& th : threads) th.join();
    if (error) std::rethrow_exception(error);

    std::sort(diffs.begin(), diffs.end(),
              [](const VerifyDifference& a, const VerifyDifference& b) { return a.text() < b.text(); });
    result.differences.insert(result.differences.end(), diffs.begin(), diffs.end());
    result.rowsCompared = rows;
    result.identical = result.differences.empty();
    sink.report("verify",
                {{"identical", result.identical},
                 {"rowsCompared", result.rowsCompared},
                 {"differences", result.differences.size()}});
    sink.note(result.identical
                  ? "verify: source and target are identical (" + std::to_string(result.rowsCompared) + " rows)"
                  : "verify: " + std::to_string(result.differences.size()) + " difference(s)");
    sink.flush();
    return result;
}

}  // namespace tidemark::copy
