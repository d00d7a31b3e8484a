#include "runner/validate/table_scan.h"

#include "runner/consolidate/comparable.h"

#include "runner/copy/full_copy.h"
#include "runner/copy/inspect.h"
#include "runner/copy/snapshot.h"
#include "runner/cutover/differences.h"
#include "runner/db/catalog.h"
#include "runner/db/dialect/flavor.h"
#include "runner/validate/source_position.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace tidemark::validate {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kDifferencesShown = 10;
constexpr auto kReportInterval = std::chrono::seconds(2);

// A server's rows of one chunk by key: each row's digest and its key for people.
struct KeyedRow {
    std::string keyText, digest;
};
struct KeyedRows {
    std::map<copy::KeyValues, KeyedRow> byKey;
    std::optional<copy::KeyValues> last;  // the last key read, in the server's key order
};

// Key (as keyExpression reads it, for ranges), key (as readExpression reads it, for people), digest.
std::string selectKeyedRows(const copy::TableInfo& t) {
    std::string sql = "SELECT " + copy::keyExpressionList(t);
    for (auto k : t.key) sql += ", " + copy::readExpression(t.columns[k]);
    return sql + ", " + cutover::rowDigestExpression(t) + " FROM " + t.qualified();
}

// In key order: on the source, whose index the key is (so the walk reads along it, never sorts).
KeyedRows readKeyedRows(db::Connection& server, const copy::TableInfo& t, const std::string& where, bool inKeyOrder,
                        std::uint64_t limit) {
    std::string sql = selectKeyedRows(t);
    if (inKeyOrder) sql += " FORCE INDEX (" + db::quoteIdent(t.keyName) + ")";
    if (!where.empty()) sql += " WHERE " + where;
    if (inKeyOrder) sql += " ORDER BY " + copy::keyColumnList(t);
    sql += " LIMIT " + std::to_string(limit);
    const std::size_t n = t.key.size();
    KeyedRows out;
    for (const auto& r : server.query(sql).rows) {
        copy::KeyValues key, shown;
        for (std::size_t i = 0; i < n; ++i) {
            key.push_back(r[i].value_or(""));
            shown.push_back(r[n + i].value_or(""));
        }
        out.last = key;
        out.byKey[std::move(key)] = {cutover::renderKey(t, shown), r[2 * n].value_or("")};
    }
    return out;
}

std::optional<std::string> digestOf(const KeyedRows& rows, const copy::KeyValues& key) {
    const auto found = rows.byKey.find(key);
    if (found == rows.byKey.end()) return std::nullopt;
    return found->second.digest;
}

struct KeyDifference {
    copy::KeyValues key;
    std::string keyText;
    Reading read;
};

// The keys whose rows differ between two reads of one key range: by digest, or held by one side.
std::vector<KeyDifference> differingKeys(const KeyedRows& onSource, const KeyedRows& onTarget) {
    std::vector<KeyDifference> out;
    for (const auto& [key, row] : onSource.byKey)
        if (const auto there = digestOf(onTarget, key); there != row.digest)
            out.push_back({key, row.keyText, {row.digest, there}});
    for (const auto& [key, row] : onTarget.byKey)
        if (!onSource.byKey.count(key)) out.push_back({key, row.keyText, {std::nullopt, row.digest}});
    return out;
}

std::string keyProblem(const Reading& r) {
    if (!r.source) return "only on the target";
    if (!r.target) return "missing on the target";
    return "differs";
}

// A whole table as a multiset: the row count and two sums of 60-bit pieces of each row's digest.
// Sums, not BIT_XOR: a row held twice adds its piece twice, where XOR would cancel it out.
struct WholeDigest {
    std::uint64_t rows = 0;
    std::string text;  // "count:sum:sum"
};

WholeDigest wholeDigest(db::Connection& server, const copy::TableInfo& t) {
    auto piece = [](const char* from) {
        return "COALESCE(SUM(CAST(CONV(SUBSTRING(d, " + std::string(from) + ", 15), 16, 10) AS UNSIGNED)), 0)";
    };
    const auto r = server.query("SELECT COUNT(*), " + piece("1") + ", " + piece("16") + " FROM (SELECT " +
                                cutover::rowDigestExpression(t) + " AS d FROM " + t.qualified() + ") AS digests");
    const auto& row = r.rows.at(0);
    const std::string count = row[0].value_or("0");
    return {std::stoull(count), count + ":" + row[1].value_or("0") + ":" + row[2].value_or("0")};
}

std::string wholeProblem(const WholeDigest& source, const WholeDigest& target) {
    const std::string counts =
        "source " + std::to_string(source.rows) + " rows, target " + std::to_string(target.rows) + " rows";
    return source.rows == target.rows ? "rows differ (" + counts + ")" : counts;
}

}  // namespace

// Where a compared chunk ended: the next one starts after `last`; none after the final chunk.
struct TableScan::ChunkEnd {
    std::optional<copy::KeyValues> last;
};

TableScanOptions tableScanOptionsFor(const api::MigrationJob& job) {
    TableScanOptions o;
    o.objects = job.objects;
    o.rowsPerSecond = static_cast<std::uint64_t>(job.validation.fullScan.rowsPerSecond);
    o.chunkRows = std::clamp<std::uint64_t>(o.rowsPerSecond, 100, 1000);  // about a second's rows
    o.recheckAfter = std::chrono::seconds(job.validation.recheckAfterSeconds);
    o.pauseBetweenPasses = std::chrono::seconds(job.validation.fullScan.pauseSeconds);
    if (!job.consolidation.empty()) o.comparable = consolidate::Comparable(job);
    return o;
}

TableScan::TableScan(db::ConnectOptions source, db::ConnectOptions target, TableScanOptions options,
                     WaitApplied waitApplied, status::StatusSink& sink)
    : sourceOptions_(std::move(source)),
      targetOptions_(std::move(target)),
      options_(std::move(options)),
      waitApplied_(std::move(waitApplied)),
      sink_(sink),
      findings_(options_.maxWatched, options_.recheckAfter),
      rate_(options_.rowsPerSecond),
      thread_([this] { run(); }) {}

TableScan::~TableScan() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

TableScanCounts TableScan::counts() const {
    std::lock_guard lock(mu_);
    auto c = counts_;
    c.findings = findings_.counts();
    return c;
}

std::vector<ScanDifference> TableScan::differences(std::size_t limit) const {
    std::lock_guard lock(mu_);
    return findings_.differences(limit);
}

bool TableScan::stopping() const {
    std::lock_guard lock(mu_);
    return stop_;
}

bool TableScan::sleepFor(Clock::duration d) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, d, [this] { return stop_; });
    return !stop_;
}

void TableScan::run() {
    while (!stopping()) {
        try {
            if (!source_) copy::prepareReadSession(source_.emplace(db::Connection::open(sourceOptions_)));
            if (!target_) {
                copy::prepareReadSession(target_.emplace(db::Connection::open(targetOptions_)));
                tidbTarget_ = db::dialect::detectServer(*target_).isTidb();
            }
            if (!passOverTables()) break;
            {
                std::lock_guard lock(mu_);
                ++counts_.passes;
                lastPassEnd_ = status::rfc3339Now();
            }
            report(true);
            lastError_.clear();
            // Between passes only the suspects' re-checks read anything.
            const auto until = Clock::now() + options_.pauseBetweenPasses;
            while (Clock::now() < until &&
                   sleepFor(std::min<Clock::duration>(until - Clock::now(), std::chrono::seconds(1))))
                recheckDue();
        } catch (const std::exception& e) {
            // A server went away or refused a read: the pass starts over after a while.
            if (lastError_ != e.what()) sink_.note(std::string("validation: full scan: ") + e.what() + "; retrying");
            lastError_ = e.what();
            source_.reset();
            target_.reset();
            sleepFor(options_.retryAfterError);
        }
    }
}

// False when stopped before the pass ended.
bool TableScan::passOverTables() {
    auto tables = db::selectedTables(*source_, options_.objects);
    if (options_.comparable)
        std::erase_if(tables, [&](const auto& t) { return !options_.comparable(t.first, t.second); });
    {
        std::lock_guard lock(mu_);
        counts_.tablesTotal = tables.size();
        counts_.tablesDone = 0;
    }
    for (const auto& [database, table] : tables) {
        if (stopping()) return false;
        scanTable(database, table);
        std::lock_guard lock(mu_);
        ++counts_.tablesDone;
    }
    return !stopping();
}

void TableScan::scanTable(const std::string& database, const std::string& table) {
    copy::TableInfo t;
    try {
        t = copy::inspectTable(*source_, database, table);
    } catch (const copy::CopyError&) {
        return;  // dropped since the pass listed it
    }
    try {
        const auto targetSide = copy::targetKeySide(*target_, t, tidbTarget_);
        if (t.key.empty() || !copy::sameOrder(t, targetSide)) {
            while (!stopping() && !compareWhole(t)) recheckDue();
        } else {
            walkChunks(t, targetSide);
        }
    } catch (const db::DbError& e) {
        if (e.kind() != db::ErrorKind::Query) throw;
        sink_.note("validation: full scan: " + t.qualified() + " not compared in this pass: " + e.what());
    } catch (const copy::CopyError& e) {
        sink_.note("validation: full scan: " + t.qualified() + " not compared in this pass: " + e.what());
    }
}

void TableScan::walkChunks(const copy::TableInfo& t, const copy::KeySide& targetSide) {
    std::optional<copy::KeyValues> after;
    while (!stopping()) {
        recheckDue();
        const auto end = compareChunk(t, after, targetSide);
        if (!end) continue;  // replay was too far behind: the same chunk again
        if (!end->last) return;
        after = end->last;
    }
}

std::optional<TableScan::ChunkEnd> TableScan::compareChunk(const copy::TableInfo& t,
                                                           const std::optional<copy::KeyValues>& after,
                                                           const copy::KeySide& targetSide) {
    const auto onSource = readKeyedRows(
        *source_, t, copy::renderRange(t, {after, std::nullopt}, copy::sourceKeySide(t)), true, options_.chunkRows);
    const auto readAt = sourcePosition(*source_);
    pace(onSource.byKey.size());
    if (!waitApplied_(readAt)) return std::nullopt;
    // The final chunk is open above, so rows only the target holds past the source's last are met.
    const bool final = onSource.byKey.size() < options_.chunkRows;
    const copy::ChunkRange range{after, final ? std::nullopt : onSource.last};
    // Capped: a target with many more rows in the range differs anyway; the re-checks name keys.
    const auto onTarget =
        readKeyedRows(*target_, t, copy::renderRange(t, range, targetSide), false, 2 * options_.chunkRows + 1);
    const auto differing = differingKeys(onSource, onTarget);
    const auto now = Clock::now();
    const std::string nowText = status::rfc3339Now();
    {
        std::lock_guard lock(mu_);
        counts_.rowsScanned += onSource.byKey.size();
        ++counts_.chunksCompared;
        if (!differing.empty()) ++counts_.differingChunks;
        for (const auto& d : differing)
            findings_.differs({t.db, t.name, d.key}, d.keyText, keyProblem(d.read), d.read, now, nowText);
    }
    report(false);
    return ChunkEnd{final ? std::nullopt : onSource.last};
}

// False when replay was too far behind to compare (the table is compared again later).
bool TableScan::compareWhole(const copy::TableInfo& t) {
    const auto onSource = wholeDigest(*source_, t);
    const auto readAt = sourcePosition(*source_);
    pace(onSource.rows);
    if (!waitApplied_(readAt)) return false;
    const auto onTarget = wholeDigest(*target_, t);
    const Reading read{onSource.text, onTarget.text};
    {
        std::lock_guard lock(mu_);
        counts_.rowsScanned += onSource.rows;
        ++counts_.chunksCompared;
        if (read.differs()) {
            ++counts_.differingChunks;
            findings_.differs({t.db, t.name, {}}, "", wholeProblem(onSource, onTarget), read, Clock::now(),
                              status::rfc3339Now());
        }
    }
    report(false);
    return true;
}

void TableScan::recheckDue() {
    std::map<std::pair<std::string, std::string>, std::vector<FindingId>> byTable;
    {
        std::lock_guard lock(mu_);
        for (auto& id : findings_.due(Clock::now())) byTable[{id.database, id.table}].push_back(std::move(id));
    }
    for (const auto& [table, ids] : byTable) {
        if (stopping()) return;
        recheckTable(table.first, table.second, ids);
    }
    if (!byTable.empty()) report(false);
}

void TableScan::recheckTable(const std::string& database, const std::string& table, const std::vector<FindingId>& ids) {
    auto forgetAll = [&] {
        std::lock_guard lock(mu_);
        for (const auto& id : ids) findings_.forget(id);
    };
    copy::TableInfo t;
    try {
        t = copy::inspectTable(*source_, database, table);
    } catch (const copy::CopyError&) {
        return forgetAll();  // dropped since: nothing left to compare
    }
    try {
        std::vector<FindingId> keyed;
        for (const auto& id : ids) {
            if (id.key.empty()) recheckWhole(t, id);
            else keyed.push_back(id);
        }
        if (!keyed.empty()) recheckKeys(t, keyed);
    } catch (const db::DbError& e) {
        if (e.kind() != db::ErrorKind::Query) throw;
        sink_.note("validation: full scan: " + t.qualified() + " not re-checked: " + e.what());
        forgetAll();
    } catch (const copy::CopyError& e) {
        sink_.note("validation: full scan: " + t.qualified() + " not re-checked: " + e.what());
        forgetAll();  // its key changed since: the next pass compares it afresh
    }
}

void TableScan::recheckWhole(const copy::TableInfo& t, const FindingId& id) {
    const auto onSource = wholeDigest(*source_, t);
    if (!waitApplied_(sourcePosition(*source_))) return;  // due again at the next call
    const auto onTarget = wholeDigest(*target_, t);
    std::lock_guard lock(mu_);
    findings_.rechecked(id, wholeProblem(onSource, onTarget), {onSource.text, onTarget.text}, Clock::now());
}

void TableScan::recheckKeys(const copy::TableInfo& t, const std::vector<FindingId>& ids) {
    std::vector<copy::KeyValues> keys;
    for (const auto& id : ids) keys.push_back(id.key);
    const auto targetSide = copy::targetKeySide(*target_, t, tidbTarget_);
    const auto onSource =
        readKeyedRows(*source_, t, copy::renderKeyIn(t, keys, copy::sourceKeySide(t)), false, keys.size());
    if (!waitApplied_(sourcePosition(*source_))) return;  // due again at the next call
    const auto onTarget = readKeyedRows(*target_, t, copy::renderKeyIn(t, keys, targetSide), false, keys.size());
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    for (const auto& id : ids) {
        const Reading read{digestOf(onSource, id.key), digestOf(onTarget, id.key)};
        findings_.rechecked(id, keyProblem(read), read, now);
    }
}

void TableScan::pace(std::uint64_t rows) {
    const auto wait = rate_.read(rows, Clock::now());
    {
        std::lock_guard lock(mu_);
        counts_.rateWaits = rate_.waits();
    }
    if (wait > Clock::duration::zero()) sleepFor(wait);
}

void TableScan::report(bool force) {
    const auto now = Clock::now();
    if (!force && now - lastReport_ < kReportInterval) return;
    lastReport_ = now;
    nlohmann::json block;
    {
        std::lock_guard lock(mu_);
        const auto f = findings_.counts();
        nlohmann::json differences = nlohmann::json::array();
        for (const auto& d : findings_.differences(kDifferencesShown))
            differences.push_back({{"table", d.table}, {"key", d.key}, {"problem", d.problem}, {"since", d.since}});
        block = {{"passes", counts_.passes},
                 {"tablesDone", counts_.tablesDone},
                 {"tablesTotal", counts_.tablesTotal},
                 {"rowsScanned", counts_.rowsScanned},
                 {"chunksCompared", counts_.chunksCompared},
                 {"differingChunks", counts_.differingChunks},
                 {"pending", f.suspects},
                 {"differing", f.differing},
                 {"skipped", f.skipped},
                 {"differences", std::move(differences)}};
        if (!lastPassEnd_.empty()) block["lastPassEnd"] = lastPassEnd_;
    }
    sink_.report("incremental", {{"validation", {{"fullScan", std::move(block)}}}});
}

}  // namespace tidemark::validate
