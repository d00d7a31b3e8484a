#include "runner/validate/validator.h"

#include "runner/consolidate/comparable.h"

#include "runner/copy/full_copy.h"
#include "runner/copy/inspect.h"
#include "runner/copy/snapshot.h"
#include "runner/cutover/differences.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/stream_order.h"
#include "runner/validate/source_position.h"

#include <nlohmann/json.hpp>

#include <map>

namespace tidemark::validate {

namespace {

constexpr std::size_t kKeysPerStatement = 200;
constexpr std::size_t kDifferencesShown = 10;
constexpr auto kIdleReportInterval = std::chrono::seconds(30);

using Digests = std::vector<std::optional<std::string>>;  // by key index; nullopt = no such row

std::string matchKey(const RowKey& key) {
    std::string out;
    for (std::size_t i = 0; i < key.columns.size(); ++i)
        out += (i ? " AND " : "") + db::quoteIdent(key.columns[i]) + " = " + key.literals[i];
    return out;
}

// The digest of each key's row on `server`, by index into `keys` (all of table `t`): point
// look-ups by key, tagged with their index, kKeysPerStatement to a statement.
Digests digestsOf(db::Connection& server, const copy::TableInfo& t, const std::vector<const RowKey*>& keys) {
    Digests out(keys.size());
    const std::string select = ", " + cutover::rowDigestExpression(t) + " FROM " + t.qualified() + " WHERE ";
    for (std::size_t first = 0; first < keys.size(); first += kKeysPerStatement) {
        std::string sql;
        for (std::size_t i = first; i < std::min(keys.size(), first + kKeysPerStatement); ++i)
            sql += (i == first ? "SELECT " : " UNION ALL SELECT ") + std::to_string(i) + select + matchKey(*keys[i]);
        for (const auto& row : server.query(sql).rows) out.at(std::stoul(row[0].value_or("0"))) = row[1].value_or("");
    }
    return out;
}

// One table's keys of a pass, with the source's definition and both servers' digests.
struct TableKeys {
    std::vector<const RowKey*> keys;
    std::optional<copy::TableInfo> info;  // none: the table is gone from the source
    Digests onSource, onTarget;
};

std::map<std::string, TableKeys> byTable(const std::vector<RowKey>& keys) {
    std::map<std::string, TableKeys> out;
    for (const auto& k : keys) out[k.qualified()].keys.push_back(&k);
    return out;
}

// A statement the server refused for one table (a column gone since replay changed the row, a
// table the target lacks) leaves that table's keys of this pass uncompared, not the others'.
template <class Read>
void readTable(TableKeys& t, status::StatusSink& sink, Read read) {
    try {
        read();
    } catch (const db::DbError& e) {
        if (e.kind() != db::ErrorKind::Query) throw;
        sink.note("validation: " + t.keys.front()->qualified() + " not compared: " + e.what());
        t.info.reset();
    }
}

void readSource(db::Connection& source, TableKeys& t, status::StatusSink& sink) {
    const auto& first = *t.keys.front();
    try {
        t.info = copy::inspectTable(source, first.database, first.table);
    } catch (const copy::CopyError&) {
        return;  // dropped since replay changed it: nothing to compare
    }
    readTable(t, sink, [&] { t.onSource = digestsOf(source, *t.info, t.keys); });
}

}  // namespace

ValidatorOptions optionsFor(const api::MigrationJob& job) {
    ValidatorOptions o;
    o.changedRows = job.validation.changedRows;
    o.replayJob = job.instanceKey();
    o.recheckAfter = std::chrono::seconds(job.validation.recheckAfterSeconds);
    if (job.validation.fullScan.enabled) o.fullScan = tableScanOptionsFor(job);
    if (!job.consolidation.empty()) o.comparable = consolidate::Comparable(job);
    return o;
}

Validator::Validator(db::ConnectOptions source, db::ConnectOptions target, ValidatorOptions options,
                     status::StatusSink& sink)
    : sourceOptions_(std::move(source)),
      targetOptions_(std::move(target)),
      options_(options),
      sink_(sink),
      rows_(options.maxPendingKeys, options.maxWatchedKeys, options.recheckAfter),
      thread_([this] { run(); }) {
    if (options_.fullScan)
        scan_ = std::make_unique<TableScan>(
            sourceOptions_, targetOptions_, *options_.fullScan,
            [this](const replay::Position& p) { return waitApplied(p); }, sink_);
}

Validator::~Validator() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    changed_.notify_all();
    scan_.reset();  // its waits on the applied position end now
    thread_.join();
}

void Validator::committed(const replay::Batch& batch) {
    const auto found = options_.changedRows ? keysOf(batch) : BatchKeys{};
    // Routed and filtered tables are left out: asked once per table of the batch, not per key.
    std::map<std::string, bool> compared;
    for (const auto& key : found.keys)
        if (options_.comparable && !compared.count(key.qualified()))
            compared[key.qualified()] = options_.comparable(key.database, key.table);
    {
        std::lock_guard lock(mu_);
        for (const auto& key : found.keys) {
            if (options_.comparable && !compared.at(key.qualified())) {
                rows_.notCompared(key.qualified());
                continue;
            }
            rows_.touched(key, batch.end);
        }
        for (const auto& table : found.unkeyedTables) rows_.unkeyed(table);
        applied_ = batch.end;
    }
    changed_.notify_all();
}

std::function<void(const replay::Batch&)> Validator::hook() {
    return [this](const replay::Batch& batch) { committed(batch); };
}

ValidationCounts Validator::counts() const {
    std::lock_guard lock(mu_);
    return rows_.counts();
}

std::vector<ReportedDifference> Validator::differences(std::size_t limit) const {
    std::lock_guard lock(mu_);
    return rows_.differences(limit);
}

void Validator::run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
        changed_.wait_for(lock, options_.passInterval, [this] { return stop_; });
        if (stop_) break;
        lock.unlock();
        try {
            pass();
            lastError_.clear();
        } catch (const std::exception& e) {
            // A server went away or refused a read: the next pass reconnects and tries again.
            if (lastError_ != e.what()) sink_.note(std::string("validation: ") + e.what() + "; retrying");
            lastError_ = e.what();
            source_.reset();
            target_.reset();
        }
        ++passes_;
        lock.lock();
    }
}

void Validator::pass() {
    if (!options_.changedRows) return;
    std::vector<RowKey> taken;
    {
        std::lock_guard lock(mu_);
        taken = rows_.take(options_.keysPerPass, Clock::now());
    }
    if (taken.empty()) return report();
    try {
        if (!source_) copy::prepareReadSession(source_.emplace(db::Connection::open(sourceOptions_)));
        if (!target_) copy::prepareReadSession(target_.emplace(db::Connection::open(targetOptions_)));
        auto tables = byTable(taken);
        const auto before = sourcePosition(*source_);
        for (auto& [name, t] : tables) readSource(*source_, t, sink_);
        const auto readAt = sourcePosition(*source_);
        if (!waitApplied(readAt)) {
            std::lock_guard lock(mu_);
            rows_.putBack(taken);
            return;
        }
        for (auto& [name, t] : tables)
            if (t.info) readTable(t, sink_, [&] { t.onTarget = digestsOf(*target_, *t.info, t.keys); });
        const auto now = Clock::now();
        const std::string nowText = status::rfc3339Now();
        std::lock_guard lock(mu_);
        for (const auto& [name, t] : tables) {
            if (!t.info) continue;
            for (std::size_t i = 0; i < t.keys.size(); ++i) {
                if (!rows_.conclusive(*t.keys[i], before)) continue;
                if (t.onSource[i] == t.onTarget[i]) rows_.equal(*t.keys[i]);
                else rows_.differs(*t.keys[i], now, nowText);
            }
        }
    } catch (...) {
        std::lock_guard lock(mu_);
        rows_.putBack(taken);
        throw;
    }
    report();
}

bool Validator::waitApplied(const replay::Position& p) {
    if (!appliedLearned_.exchange(true)) learnApplied();
    std::unique_lock lock(mu_);
    auto reached = [&] { return applied_ && replay::compareStreamPositions(*applied_, p) >= 0; };
    changed_.wait_for(lock, options_.waitForReplay, [&] { return stop_ || reached(); });
    return !stop_ && reached();
}

// Before replay's first batch commits, what the target already holds: replay's checkpoint (a
// resumed replay on a source that writes nothing commits no batch), else where replay starts.
void Validator::learnApplied() {
    std::optional<replay::Position> known = options_.replayFrom;
    if (!options_.replayJob.empty()) {
        try {
            auto target = db::Connection::open(targetOptions_);
            if (const auto resume = replay::CheckpointStore(options_.replayJob).load(target))
                known = resume->complete() ? resume->end : resume->start;
        } catch (const db::DbError&) {
            // No checkpoint to read (yet): replay's batches will tell.
        }
    }
    if (!known) return;
    {
        std::lock_guard lock(mu_);
        if (!applied_ || replay::compareStreamPositions(*known, *applied_) > 0) applied_ = known;
    }
    changed_.notify_all();
}

void Validator::report() {
    nlohmann::json block = nlohmann::json::object();
    {
        std::lock_guard lock(mu_);
        const auto c = rows_.counts();
        nlohmann::json differences = nlohmann::json::array();
        for (const auto& d : rows_.differences(kDifferencesShown))
            differences.push_back({{"table", d.table}, {"key", d.key}, {"since", d.since}});
        block = {{"rowsValidated", c.rowsValidated},
                 {"pending", c.pending},
                 {"differing", c.differing},
                 {"skipped", c.skipped},
                 {"unkeyedTables", c.unkeyedTables},
                 {"notComparedTables", c.notComparedTables},
                 {"differences", std::move(differences)}};
    }
    // An idle validation reports its unchanged counts only now and then.
    const auto now = Clock::now();
    if (block == lastReported_ && now - lastReportTime_ < kIdleReportInterval) return;
    lastReported_ = block;
    lastReportTime_ = now;
    block["lastPass"] = status::rfc3339Now();
    sink_.report("incremental", {{"validation", block}});
}

}  // namespace tidemark::validate
