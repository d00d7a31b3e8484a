#include "operator/decide/progress.h"

#include <cstdio>

#include "operator/decide/predicates.h"
#include "runner/status/status_sink.h"

namespace tidemark::op::decision {

std::string fmtNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
    return s;
}

std::string stageFor(const JobView& job, const std::string& phase) {
    if (phase == "Copying") return "copy";
    if (phase != "Replicating") return "";
    for (const PodView* pod : job.livePods(names::kRoleRun))
        if (runsRequestedCutover(job, *pod) && !pod->terminated()) return "cutover";
    if (job.runner.stalled) return "stalled";
    if (job.runner.safeMode) return "safe-mode";
    return "replay";
}

std::string stoppedStage(const JobView& job) {
    if (!job.recorded.stage.empty()) return job.recorded.stage;
    if (!precheckPassed(job)) return "precheck";
    return stageFor(job, runPhase(job));
}

std::string progressFor(const JobView& job, const std::string& phase) {
    const RunnerReports& r = job.runner;
    if (phase == "Copying") {
        if (!r.fullCopyReported) return "starting";
        std::string s = fmtNumber(r.fullCopyPercent) + "% " + status::humanBytes(r.bytesCopied);
        if (r.tablesTotal > 0)
            s += ", " + std::to_string(r.tablesDone) + "/" + std::to_string(r.tablesTotal) + " tables";
        return s;
    }
    if (phase == "Replicating") {
        if (!r.incrementalReported) return "starting";
        return "lag " + fmtNumber(r.lagSeconds.value_or(0)) + "s, " + std::to_string(r.rowsApplied) + " rows applied";
    }
    return "";
}

std::string shortPrecheckProgress(std::string summary) {
    const std::string prefix = "precheck failed: ";
    if (summary.rfind(prefix, 0) == 0) summary = summary.substr(prefix.size());
    for (const char* cut : {"; ", ", then "})
        if (auto pos = summary.find(cut); pos != std::string::npos) summary.resize(pos);
    if (summary.size() > 80) summary = summary.substr(0, 77) + "...";
    return summary;
}

}  // namespace tidemark::op::decision
