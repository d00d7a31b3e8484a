// The status of a job of several sources (spec.sources), run in one process: one stream per
// source, one status for the job.
//
// Each source's blocks go to status.sources.<id>.<block> as the source reported them. The
// blocks the operator and `kubectl get` read at the top level are summed up over the sources:
//   fullCopy     tablesTotal, tablesDone, rowsCopied, rowsEstimated, bytesCopied, bytesPerSecond
//                summed; percent the lowest; secondsLeft the longest; done only once every
//                source reported done.
//   incremental  rowsApplied, transactionsApplied, rowsPerSecond summed; lagSeconds the largest;
//                safeMode when any source is in it; stalled the first stalled source's (its
//                message naming the source); appliedPosition and sourcePosition "<id> <position>"
//                per source, joined by ", "; tables (per target table) rows summed, the newest
//                lastSourceCommit; failedDdl the last one reported.
//   lastError    as reported, its message prefixed "source <id>: ".
// Other blocks (precheck, cutover) stay per source; the command that ran them sums them up.
// Thread-safe: every source's thread reports through its own sink (sinkFor) at once.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/status/status_sink.h"

namespace tidemark::status {

class SourcesStatus {
public:
    // `sourceIds`: every source of the job, in spec order. `parent` must outlive this.
    SourcesStatus(StatusSink& parent, std::vector<std::string> sourceIds);
    SourcesStatus(const SourcesStatus&) = delete;
    SourcesStatus& operator=(const SourcesStatus&) = delete;

    // The sink the source `id`'s stages report into; valid while this object lives.
    std::unique_ptr<StatusSink> sinkFor(const std::string& id);

    // The top-level block `block` summed up from what the sources reported (pure over the
    // per-source blocks: tested without a runner). Exposed for tests.
    static nlohmann::json summed(std::string_view block, const std::vector<std::string>& ids,
                                 const std::map<std::string, nlohmann::json>& perSource);

private:
    class SourceSink;
    void report(const std::string& id, std::string_view block, const nlohmann::json& fields);

    StatusSink& parent_;
    const std::vector<std::string> ids_;
    std::mutex mutex_;
    std::map<std::string, nlohmann::json> perSource_;  // id -> {block: fields merged so far}
};

}  // namespace tidemark::status
