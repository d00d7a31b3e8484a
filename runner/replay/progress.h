// The `incremental` status block: positions, lag, throughput, safe-mode state, and whether replay
// is stalled and why. A thread of its own publishes it, so it stays current while the
// coordinator is blocked (a batch waiting on a lock, a long DDL, a reconnect with backoff).
//
// Publishing: at once when the stall state changes, every second while anything changes (lag
// does while it is above 0), and at least every 10 s.
//
// Lag (seconds), from wall time, so it grows whenever replay is not keeping up:
//   - a source transaction (or a DDL running on the target) is known and not yet committed in
//     the target (received and pending, or carried over from a session that failed before
//     committing it): now minus its source commit time (1 s resolution), or minus when it
//     reached tidemark, whichever is larger;
//   - nothing is known to be pending and the stream is alive (an event or heartbeat within
//     ProgressOptions::streamSilentAfter) and no stall is set: 0 (the source is idle or we are
//     caught up);
//   - nothing is known to be pending but the stream is silent or down (source unreachable,
//     reconnect backoff, target unavailable): now minus the last moment replay was known to be
//     caught up with a live stream. So it never freezes at 0 while the stream is down.
//
// Stalled (`incremental.stalled`, null while flowing):
//   {"reason": <StallReason>, "message": "<one line, no secrets>", "since": "<RFC 3339 UTC>"}
//   TargetUnavailable  a connection to the target failed and replay is retrying (set by the
//                      retry loop) until a batch commits again
//   SourceUnreachable  the binlog stream failed and replay is reconnecting, or no event nor
//                      heartbeat came for applyStalledAfter while nothing was being applied
//   DdlRunning         a DDL has been running on the target for ddlStalledAfter
//   ApplyBlocked       a batch has been in flight for applyStalledAfter (25 s) without any target
//                      commit (lock waits, a hung target session)
// Each is reported within a second of its threshold, so within 30 s of the stall starting.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>

#include "runner/replay/change.h"
#include "runner/replay/position.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

enum class StallReason { None, TargetUnavailable, SourceUnreachable, DdlRunning, ApplyBlocked };
const char* stallReasonName(StallReason r);

struct ProgressSample {
    Position source;                                // latest position the source told us about
    Position applied;                               // committed in the target
    std::string gtidSet;                            // applied
    std::optional<uint32_t> oldestUnappliedCommit;  // source epoch seconds
    // When that transaction's commit reached tidemark: binlog timestamps have 1 s resolution, so
    // lag is the larger of (now - commit time, in whole seconds) and (now - arrival).
    std::optional<std::chrono::steady_clock::time_point> oldestUnappliedArrival;
    uint64_t rowsApplied = 0;
    uint64_t rowsHeld = 0;  // of rowsApplied: held for pessimistic shard DDL (held_rows.h)
    uint64_t transactionsApplied = 0;
    uint64_t targetCommits = 0;  // target transactions committed (pieces included): apply activity
    bool safeMode = false;
    std::string safeModeUntil;
};

struct ProgressOptions {
    std::chrono::milliseconds publishEvery{1000};
    std::chrono::milliseconds publishAtLeast{10000};
    std::chrono::milliseconds ddlStalledAfter{20000};
    std::chrono::milliseconds applyStalledAfter{25000};  // so a stall shows within 30 s
    std::chrono::milliseconds streamSilentAfter{5000};   // for lag; a stall needs applyStalledAfter
};

class Progress {
public:
    explicit Progress(status::StatusSink& sink, ProgressOptions options = {});
    ~Progress();  // publishes a last time
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // The coordinator's view; `force` publishes now.
    void report(const ProgressSample& s, bool force = false);
    // An event or heartbeat arrived on the stream (`heartbeat`: the source had nothing more).
    void streamAlive(bool heartbeat);
    // A batch went to the applier / every batch submitted so far committed.
    void applying();
    void applied();
    // A DDL runs on the target (`what`: its head and position; `commitTime`: its source time,
    // which is pending, so lag grows, until ddlFinished()).
    void ddlStarted(const std::string& what, uint32_t commitTime);
    void ddlFinished();
    // The retry loop: a session failed on this side and replay retries. Kept (with its first
    // `since`) until recovered(): a batch committed, or the stream is caught up again.
    void unavailable(StallReason reason, const std::string& message);
    // A new session starts: what the failed one had pending stays the lag's base until this
    // session commits or catches up.
    void sessionStarted();

    // Changes replay read and did not apply on purpose (spec.filters, spec.rowFilters), counted
    // since the runner started and published as incremental.filtered {insert, update, delete,
    // ddl, byExpression}: `rows` row changes of `kind` ("insert", "update", "delete") by an event
    // filter, or by a row filter's expression.
    enum class FilteredBy { EventFilter, RowFilter };
    void filteredRows(const char* kind, uint64_t rows, FilteredBy by);
    void filteredDdl();

    // A batch committed: its row changes counted per target table, published as
    // incremental.tables {"db.table": {rowsApplied, lastSourceCommit}} for the kMaxTables tables
    // with the most rows (a merged table counts all its shards; lag is the stream's, lagSeconds:
    // one stream applies every table of a source in order).
    void committed(const Batch& batch);
    static constexpr std::size_t kMaxTables = 50;

    double lastLagSeconds() const;
    StallReason stalled() const;

private:
    struct Stall {
        StallReason reason = StallReason::None;
        std::string message;
        std::chrono::steady_clock::time_point since{};
    };
    void loop();
    Stall currentStall(std::chrono::steady_clock::time_point now) const;  // under mu_
    double lagAt(std::chrono::steady_clock::time_point now) const;        // under mu_
    void publish(std::chrono::steady_clock::time_point now);              // under mu_
    void recovered();                                                     // under mu_

    status::StatusSink& sink_;
    const ProgressOptions options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool quit_ = false;
    bool dirty_ = false;
    ProgressSample sample_;
    bool havePending_ = false;  // sample_ names an unapplied transaction
    // Pending of a failed session: the lag's base until this session commits or catches up.
    std::optional<uint32_t> carriedCommit_;
    std::optional<std::chrono::steady_clock::time_point> carriedArrival_;
    bool heartbeatThisSession_ = false;
    bool streaming_ = false;  // this session's stream has delivered something
    std::chrono::steady_clock::time_point lastStream_{}, caughtUp_{};
    std::optional<std::chrono::steady_clock::time_point> applyingSince_;
    std::chrono::steady_clock::time_point lastCommitSeen_{};
    uint64_t commits_ = 0;
    std::optional<std::chrono::steady_clock::time_point> ddlSince_;
    std::string ddlWhat_;
    uint32_t ddlCommit_ = 0;
    Stall unavailable_;
    StallReason published_ = StallReason::None;
    std::chrono::steady_clock::time_point lastPublish_{};
    uint64_t lastRows_ = 0;
    double lastLag_ = 0;
    std::map<std::string, uint64_t> filtered_;  // insert, update, delete, ddl, byExpression
    struct TableCount {
        uint64_t rows = 0;
        uint32_t lastCommit = 0;  // source epoch seconds of the newest batch that changed it
    };
    std::map<std::string, TableCount> tables_;  // by target table, "db.table"
    nlohmann::json tablesJson() const;          // under mu_
    std::thread thread_;
};

}  // namespace tidemark::replay
