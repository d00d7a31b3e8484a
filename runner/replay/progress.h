// The `incremental` status block: positions, lag, throughput and safe-mode state.
//
// Lag is measured from source commit timestamps: now minus the commit time of the oldest
// transaction received but not yet committed in the target, and 0 when everything received is
// applied and the stream is alive (heartbeats keep arriving while the source is idle), so it
// neither drops to 0 between batches nor grows while the source has nothing to send.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "runner/replay/position.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

struct ProgressSample {
    Position source;                                // latest position the source told us about
    Position applied;                               // committed in the target
    std::string gtidSet;                            // applied
    std::optional<uint32_t> oldestUnappliedCommit;  // source epoch seconds
    // When that transaction's commit reached tidemark: binlog timestamps have 1 s resolution, so
    // lag is the larger of (now - commit time, in whole seconds) and (now - arrival).
    std::optional<std::chrono::steady_clock::time_point> oldestUnappliedArrival;
    uint64_t rowsApplied = 0;
    uint64_t transactionsApplied = 0;
    bool safeMode = false;
    std::string safeModeUntil;
};

class Progress {
public:
    explicit Progress(status::StatusSink& sink) : sink_(sink) {}
    // Publishes at most once a second unless `force`.
    void report(const ProgressSample& s, bool force = false);
    double lastLagSeconds() const { return lastLag_; }

private:
    status::StatusSink& sink_;
    std::chrono::steady_clock::time_point last_{};
    uint64_t lastRows_ = 0;
    double lastLag_ = 0;
};

}  // namespace tidemark::replay
