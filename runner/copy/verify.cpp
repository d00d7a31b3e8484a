// Verification: source and target compared chunk by chunk over the same key ranges (the
// copy's own ranges when tidemark_meta has them), by row count and two order-independent
// checksums of each row's bytes (NULLs distinct from any value). Each range is rendered for each
// server with that server's collations; a table whose key the target orders otherwise (a
// collation mapped for TiDB) is compared whole, since no range means the same rows on both.
//
// Routed tables (spec.routes) are compared with the target table they were written to, over the
// source's columns (a route's extra columns are not summed; they select a source table's rows).
// A merged table with extra columns is compared per source table, chunk by chunk, on the rows
// its extra columns mark; without them the shards' sums add up (counts and sums add, checksums
// XOR) and are compared with the whole target table. Source rows an insert row filter drops
// (spec.rowFilters) are not counted.
#include "runner/copy/full_copy.h"
#include "runner/db/catalog.h"
#include "runner/db/dialect/flavor.h"

#include "runner/copy/checkpoint.h"
#include "runner/copy/chunker.h"
#include "runner/copy/inspect.h"
#include "runner/copy/row_filter.h"
#include "runner/copy/snapshot.h"
#include "runner/copy/target_table.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace tidemark::copy {

namespace {

using consolidate::TableName;

struct Sums {
    std::uint64_t count = 0, sum = 0, xorSum = 0;
    bool operator==(const Sums&) const = default;
    Sums& operator+=(const Sums& o) {
        count += o.count;
        sum += o.sum;
        xorSum ^= o.xorSum;
        return *this;
    }
    std::string text() const {
        return std::to_string(count) + " rows, checksums " + std::to_string(sum) + "/" + std::to_string(xorSum);
    }
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

// The sums of `columns`' values over the rows of `table` (qualified) that `where` selects.
Sums checksum(db::Connection& c, const TableInfo& columns, const std::string& table, const std::string& where) {
    const std::string row = rowExpression(columns);
    std::string sql = "SELECT COUNT(*), COALESCE(SUM(CRC32(" + row + ")), 0), COALESCE(BIT_XOR(CRC32(CONCAT(" + row +
        ", 0x23))), 0) FROM " + table;
    if (!where.empty()) sql += " WHERE " + where;
    auto r = c.query(sql);
    return {std::stoull(r.rows[0][0].value_or("0")), std::stoull(r.rows[0][1].value_or("0")),
            std::stoull(r.rows[0][2].value_or("0"))};
}

std::string describeRange(const std::string& where) { return where.empty() ? "all rows" : where; }

std::string both(const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return a + b;
    return "(" + a + ") AND " + b;
}

// The rows of one source table a comparison sums: a key range and the rows its row filter keeps.
struct SourcePart {
    std::shared_ptr<TableInfo> table;
    std::string where;  // "" = all rows
};

// One comparison: source parts (several for a merged table without extra columns) against one
// target table's rows.
struct Item {
    std::vector<SourcePart> sources;
    std::string targetTable;  // qualified
    std::string targetWhere;  // "" = all rows
    TableName target;
    std::vector<TableName> from;  // named in a difference when routed
    std::string range;            // for the report
};

// The routing of the selected source tables, and the target tables that exist.
class Routing {
public:
    Routing(const api::MigrationJob& job, const std::vector<TableName>& names, db::Connection& target)
        : router_(job), groups_(consolidate::shardGroups(router_, names)), target_(target) {}

    TargetTable targetOf(const TableInfo& info) const {
        const auto route = router_.route(info.db, info.name);
        return routedTarget(info, route, groups_.count({route.database, route.table}) > 0);
    }
    const std::vector<TableName>& shardsOf(const TableName& target) const { return groups_.at(target); }
    bool exists(const TargetTable& t) {
        const TableName name{t.db, t.name};
        auto known = exists_.find(name);
        if (known != exists_.end()) return known->second;
        const bool found =
            target_
                .scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + target_.quote(t.db) +
                        " AND TABLE_NAME = " + target_.quote(t.name))
                .has_value();
        exists_[name] = found;
        return found;
    }
    std::set<TableName> targets(const std::vector<TableName>& names) const {
        std::set<TableName> out;
        for (auto& [d, t] : names) {
            const auto r = router_.route(d, t);
            out.insert({r.database, r.table});
        }
        return out;
    }

private:
    consolidate::Router router_;
    std::map<TableName, std::vector<TableName>> groups_;
    db::Connection& target_;
    std::map<TableName, bool> exists_;
};

std::vector<TableName> routedFrom(const TargetTable& into, const TableInfo& info) {
    if (!into.renamed() && !into.merged) return {};
    return {{info.db, info.name}};
}

}  // namespace

std::string VerifyDifference::text() const {
    std::string qualified = db::qualified(database, table);
    if (!sources.empty()) {
        std::string from;
        for (auto& s : sources) from += (from.empty() ? "" : ", ") + consolidate::displayName(s);
        qualified += " (from " + from + ")";
    }
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
    Routing routing(job, names, tgt);

    // Tables on the target, in the selected databases, that no source table is written to.
    std::set<TableName> sourceSet(names.begin(), names.end());
    const auto routedTargets = routing.targets(names);
    for (auto& t : db::selectedTables(tgt, job.objects))
        if (!sourceSet.count(t) && !routedTargets.count(t))
            result.differences.push_back({t.first, t.second, kOnlyOnTarget, "", "", "", "", {}});

    std::unique_ptr<Checkpoint> checkpoint;
    if (tgt.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' AND TABLE_NAME = "
                   "'copy_chunk'"))
        checkpoint = std::make_unique<Checkpoint>(target, job.instanceKey());

    std::vector<Item> items;
    std::map<TableName, Item> mergedWhole;  // merged tables without extra columns: one item each
    std::set<TableName> reportedMissing;
    auto keys = db::connectWithRetry(source);
    prepareReadSession(keys);
    const bool tidb = db::dialect::detectServer(tgt).isTidb();
    for (auto& [d, t] : names) {
        auto info = std::make_shared<TableInfo>(inspectTable(src, d, t));
        const TargetTable into = routing.targetOf(*info);
        const TableName targetName{into.db, into.name};
        const auto from = routedFrom(into, *info);
        if (!routing.exists(into)) {
            if (reportedMissing.insert(targetName).second)
                result.differences.push_back({into.db, into.name, "missing on the target", "", "", "", "",
                                              into.merged ? routing.shardsOf(targetName) : from});
            continue;
        }
        const std::string keep = rowFilterCondition(job, *info);
        const std::string mine = into.extrasCondition();
        if (into.sharesRowsByKey()) {
            auto& whole = mergedWhole[targetName];
            whole.sources.push_back({info, keep});
            whole.targetTable = into.qualified();
            whole.target = targetName;
            whole.from.push_back({d, t});
            whole.range = "all rows of every source table, summed";
            continue;
        }
        const KeySide sourceSide = sourceKeySide(*info);
        const KeySide targetSide = targetKeySide(tgt, *info, into, tidb);
        if (!info->key.empty() && !sameOrder(*info, targetSide)) {
            items.push_back({{{info, keep}},
                             into.qualified(),
                             mine,
                             targetName,
                             from,
                             "all rows, compared whole: the target orders the key otherwise"});
            continue;
        }
        auto render = [&](const std::vector<ChunkRecord>& chunks) {
            std::vector<Item> out;
            for (auto& c : chunks) {
                auto where = renderRange(*info, c.range, sourceSide);
                out.push_back({{{info, both(where, keep)}},
                               into.qualified(),
                               both(renderRange(*info, c.range, targetSide), mine),
                               targetName,
                               from,
                               describeRange(where)});
            }
            return out;
        };
        std::vector<Item> chunkItems;
        if (checkpoint) {
            try {
                chunkItems = render(checkpoint->plan({d, t}));
            } catch (const CopyError&) {
                chunkItems.clear();  // the key changed since the copy planned it: plan afresh
            }
        }
        if (chunkItems.empty())
            chunkItems = render(planChunks(keys, *info, options.chunkRows ? options.chunkRows : autoChunkRows(*info)));
        items.insert(items.end(), chunkItems.begin(), chunkItems.end());
    }
    for (auto& [name, item] : mergedWhole) items.push_back(std::move(item));

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
                Sums a;
                for (auto& part : item.sources) a += checksum(s, *part.table, part.table->qualified(), part.where);
                Sums b;
                std::string targetError;
                try {
                    b = checksum(t, *item.sources.front().table, item.targetTable, item.targetWhere);
                } catch (const db::DbError& e) {
                    targetError = e.what();
                }
                rows += a.count;
                const auto done = ++chunksDone;
                const auto now = std::chrono::steady_clock::now();
                std::lock_guard lock(m);
                if (now - lastReport > std::chrono::seconds(1)) {
                    lastReport = now;
                    sink.report("verify",
                                {{"chunksDone", done}, {"chunksTotal", items.size()}, {"rowsCompared", rows.load()}});
                }
                if (!targetError.empty() || !(a == b)) {
                    const std::string sourceWhere = item.sources.size() == 1 ? item.sources.front().where : "";
                    diffs.push_back({item.target.first, item.target.second, "", sourceWhere, item.targetWhere,
                                     item.range,
                                     "source " + a.text() + "; target " +
                                         (targetError.empty() ? b.text() : "error: " + targetError),
                                     item.from});
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
