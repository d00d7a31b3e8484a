#include "runner/replay/progress.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <vector>

namespace tidemark::replay {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The wall-clock time of a steady-clock instant, as RFC 3339 UTC.
std::string wallText(Clock::time_point at, Clock::time_point now) {
    const auto wall =
        std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - at);
    return status::rfc3339(std::chrono::system_clock::to_time_t(wall));
}

}  // namespace

const char* stallReasonName(StallReason r) {
    switch (r) {
        case StallReason::None: return "";
        case StallReason::TargetUnavailable: return "TargetUnavailable";
        case StallReason::SourceUnreachable: return "SourceUnreachable";
        case StallReason::DdlRunning: return "DdlRunning";
        case StallReason::ApplyBlocked: return "ApplyBlocked";
    }
    return "";
}

Progress::Progress(status::StatusSink& sink, ProgressOptions options) : sink_(sink), options_(options) {
    const auto now = Clock::now();
    lastStream_ = caughtUp_ = lastCommitSeen_ = now;
    thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() {
    {
        std::lock_guard lock(mu_);
        quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void Progress::report(const ProgressSample& s, bool force) {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (s.targetCommits != commits_) {
        commits_ = s.targetCommits;
        lastCommitSeen_ = now;
    }
    sample_ = s;
    havePending_ = s.oldestUnappliedCommit || s.oldestUnappliedArrival;
    if (!havePending_ && heartbeatThisSession_ && now - lastStream_ < options_.streamSilentAfter) {
        caughtUp_ = now;
        recovered();
    }
    dirty_ = true;
    if (force) publish(now);
}

void Progress::streamAlive(bool heartbeat) {
    std::lock_guard lock(mu_);
    lastStream_ = Clock::now();
    streaming_ = true;
    if (heartbeat) heartbeatThisSession_ = true;
    if (!havePending_ && !applyingSince_ && !ddlSince_ && heartbeatThisSession_) caughtUp_ = lastStream_;
}

void Progress::applying() {
    std::lock_guard lock(mu_);
    if (!applyingSince_) {
        applyingSince_ = Clock::now();
        lastCommitSeen_ = *applyingSince_;
    }
}

void Progress::applied() {
    std::lock_guard lock(mu_);
    applyingSince_.reset();
    lastCommitSeen_ = Clock::now();
    recovered();
    cv_.notify_all();
}

void Progress::ddlStarted(const std::string& what, uint32_t commitTime) {
    std::lock_guard lock(mu_);
    ddlSince_ = Clock::now();
    ddlWhat_ = what;
    ddlCommit_ = commitTime;
}

void Progress::ddlFinished() {
    std::lock_guard lock(mu_);
    ddlSince_.reset();
    recovered();
    cv_.notify_all();
}

void Progress::unavailable(StallReason reason, const std::string& message) {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (unavailable_.reason == StallReason::None) unavailable_.since = now;
    unavailable_.reason = reason;
    unavailable_.message = message.substr(0, 500);
    applyingSince_.reset();
    ddlSince_.reset();
    cv_.notify_all();
}

void Progress::sessionStarted() {
    std::lock_guard lock(mu_);
    if (sample_.oldestUnappliedCommit && (!carriedCommit_ || *sample_.oldestUnappliedCommit < *carriedCommit_))
        carriedCommit_ = sample_.oldestUnappliedCommit;
    if (sample_.oldestUnappliedArrival && (!carriedArrival_ || *sample_.oldestUnappliedArrival < *carriedArrival_))
        carriedArrival_ = sample_.oldestUnappliedArrival;
    sample_.oldestUnappliedCommit.reset();
    sample_.oldestUnappliedArrival.reset();
    havePending_ = false;
    heartbeatThisSession_ = false;
    streaming_ = false;
    applyingSince_.reset();
    ddlSince_.reset();
}

void Progress::recovered() {
    unavailable_ = Stall{};
    carriedCommit_.reset();
    carriedArrival_.reset();
}

double Progress::lastLagSeconds() const {
    std::lock_guard lock(mu_);
    return lastLag_;
}

StallReason Progress::stalled() const {
    std::lock_guard lock(mu_);
    return currentStall(Clock::now()).reason;
}

Progress::Stall Progress::currentStall(Clock::time_point now) const {
    if (unavailable_.reason != StallReason::None) return unavailable_;
    if (ddlSince_ && now - *ddlSince_ >= options_.ddlStalledAfter)
        return {StallReason::DdlRunning,
                "replay: " + ddlWhat_ + " has been running on the target for " +
                    std::to_string(static_cast<long long>(seconds(now - *ddlSince_))) +
                    " s; changes after it wait until it finishes",
                *ddlSince_};
    if (applyingSince_ && now - std::max(*applyingSince_, lastCommitSeen_) >= options_.applyStalledAfter) {
        const auto since = std::max(*applyingSince_, lastCommitSeen_);
        return {StallReason::ApplyBlocked,
                "replay: no target transaction committed for " +
                    std::to_string(static_cast<long long>(seconds(now - since))) +
                    " s while a batch is being applied (lock waits on the target, or a hung target session); "
                    "check the target's processlist for sessions blocking tidemark",
                since};
    }
    if (streaming_ && !applyingSince_ && !ddlSince_ && now - lastStream_ >= options_.applyStalledAfter)
        return {StallReason::SourceUnreachable,
                "replay: no binlog event nor heartbeat from the source for " +
                    std::to_string(static_cast<long long>(seconds(now - lastStream_))) + " s",
                lastStream_};
    return {};
}

double Progress::lagAt(Clock::time_point now) const {
    std::optional<uint32_t> commit = sample_.oldestUnappliedCommit;
    std::optional<Clock::time_point> arrival = sample_.oldestUnappliedArrival;
    if (carriedCommit_ && (!commit || *carriedCommit_ < *commit)) commit = carriedCommit_;
    if (carriedArrival_ && (!arrival || *carriedArrival_ < *arrival)) arrival = carriedArrival_;
    if (ddlSince_) {  // the running DDL is pending too
        if (ddlCommit_ && (!commit || ddlCommit_ < *commit)) commit = ddlCommit_;
        if (!arrival || *ddlSince_ < *arrival) arrival = ddlSince_;
    }
    double lag = 0;
    if (commit) {
        const auto wall =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
        lag = std::max<double>(0, static_cast<double>(wall.count()) - *commit);
    }
    if (arrival) lag = std::max(lag, seconds(now - *arrival));
    if (!commit && !arrival) {
        const bool live = now - lastStream_ < options_.streamSilentAfter && unavailable_.reason == StallReason::None;
        if (!live) lag = seconds(now - caughtUp_);
    }
    return std::round(lag * 100) / 100;
}

void Progress::publish(Clock::time_point now) {
    const double elapsed = seconds(now - lastPublish_);
    const ProgressSample& s = sample_;
    const double lag = lagAt(now);
    lastLag_ = lag;
    const double rate = lastPublish_ == Clock::time_point{} || elapsed <= 0
        ? 0
        : static_cast<double>(s.rowsApplied - std::min(lastRows_, s.rowsApplied)) / elapsed;
    const Stall stall = currentStall(now);
    nlohmann::json stalled = nullptr;
    if (stall.reason != StallReason::None)
        stalled = {{"reason", stallReasonName(stall.reason)},
                   {"message", stall.message},
                   {"since", wallText(stall.since, now)}};
    nlohmann::json j = {
        {"sourcePosition", s.source.known() ? s.source.text() : ""},
        {"appliedPosition", s.applied.known() ? s.applied.text() : ""},
        {"gtidSet", s.gtidSet},
        {"lagSeconds", lag},
        {"rowsApplied", s.rowsApplied},
        {"rowsHeld", s.rowsHeld},
        {"transactionsApplied", s.transactionsApplied},
        {"rowsPerSecond", static_cast<uint64_t>(rate)},
        {"safeMode", s.safeMode},
        {"safeModeUntil", s.safeModeUntil},
        {"stalled", stalled},
    };
    if (!filtered_.empty()) j["filtered"] = filtered_;
    if (!tables_.empty()) j["tables"] = tablesJson();
    sink_.report("incremental", j);
    lastPublish_ = now;
    lastRows_ = s.rowsApplied;
    published_ = stall.reason;
    dirty_ = false;
}

void Progress::filteredRows(const char* kind, uint64_t rows, FilteredBy by) {
    std::lock_guard lock(mu_);
    filtered_[kind] += by == FilteredBy::EventFilter ? rows : 0;
    filtered_["byExpression"] += by == FilteredBy::RowFilter ? rows : 0;
    dirty_ = true;
}

namespace {

// "`db`.`t`" (a target name as the SQL builder quotes it) as status names tables: "db.t".
std::string displayName(const std::string& quoted) {
    std::string out;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] != '`') {
            out += quoted[i];
        } else if (i + 1 < quoted.size() && quoted[i + 1] == '`') {
            out += '`';
            ++i;
        }
    }
    return out;
}

}  // namespace

void Progress::committed(const Batch& batch) {
    if (batch.changes.empty()) return;
    std::map<const TableSchema*, uint64_t> rows;
    for (const auto& c : batch.changes) ++rows[c.table.get()];
    std::lock_guard lock(mu_);
    for (const auto& [table, n] : rows) {
        auto& count = tables_[displayName(table->qualified)];
        count.rows += n;
        count.lastCommit = std::max(count.lastCommit, batch.lastTimestamp);
    }
    dirty_ = true;
}

nlohmann::json Progress::tablesJson() const {
    std::vector<std::pair<std::string, TableCount>> busiest(tables_.begin(), tables_.end());
    std::sort(busiest.begin(), busiest.end(), [](const auto& a, const auto& b) {
        return a.second.rows != b.second.rows ? a.second.rows > b.second.rows : a.first < b.first;
    });
    if (busiest.size() > kMaxTables) busiest.resize(kMaxTables);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, count] : busiest)
        out[name] = {
            {"rowsApplied", count.rows},
            {"lastSourceCommit", count.lastCommit ? status::rfc3339(static_cast<std::time_t>(count.lastCommit)) : ""}};
    return out;
}

void Progress::filteredDdl() {
    std::lock_guard lock(mu_);
    ++filtered_["ddl"];
    dirty_ = true;
}

void Progress::loop() {
    std::unique_lock lock(mu_);
    while (!quit_) {
        cv_.wait_for(lock, std::chrono::milliseconds(250));
        if (quit_) break;
        const auto now = Clock::now();
        const bool changed = currentStall(now).reason != published_;
        if (!changed && lastPublish_ == Clock::time_point{} && !dirty_) continue;  // nothing to say yet
        const auto since = now - lastPublish_;
        if (changed || since >= options_.publishAtLeast ||
            (since >= options_.publishEvery && (dirty_ || lagAt(now) > 0)))
            publish(now);
    }
    if (dirty_) publish(Clock::now());
}

}  // namespace tidemark::replay
