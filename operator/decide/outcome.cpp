// What every live job reports after its state's steps (states.h, reportOutcome): the Succeeded
// and Failed conditions `kubectl wait --for=condition=...` waits on, the start and completion
// times, and one Event per DDL the runner skipped.
#include <algorithm>

#include "operator/decide/states.h"

namespace tidemark::op::decision {

namespace {

// The runner records each DDL it skipped by spec.ddl.skip in status.incremental.skippedDdl; each
// gets one Event, remembered in status.ddlSkipsAnnounced.
void announceSkippedDdl(const JobView& job, Plan& plan) {
    std::vector<std::string> announced = job.recorded.ddlSkipsAnnounced;
    bool changed = false;
    for (const auto& skipped : job.runner.skippedDdl) {
        if (skipped.position.empty() ||
            std::find(announced.begin(), announced.end(), skipped.position) != announced.end())
            continue;
        plan.event(true, "DdlSkipped",
                   "replay skipped the source DDL at " + skipped.position +
                       " (spec.ddl.skip); the target does not have it: " + skipped.statement);
        announced.push_back(skipped.position);
        changed = true;
    }
    if (changed) plan.setStatus("ddlSkipsAnnounced", announced);
}

void reportTimes(const JobView& job, Plan& plan, const std::string& phase) {
    if (phase != "" && phase != "Pending" && !job.recorded.hasStartTime)
        plan.setStatus("startTime", formatTime(job.now));
    if (phase == "Succeeded" && !job.recorded.hasCompletionTime) plan.setStatus("completionTime", formatTime(job.now));
}

void setTerminalConditions(const JobView& job, Plan& plan, const std::string& phase) {
    std::string why = job.runner.lastError ? job.runner.lastError->message : "";
    if (const Json* ready = plan.condition("Ready")) why = str(*ready, "/message");
    if (phase == "Succeeded") {
        plan.setCondition("Succeeded", "True", "Completed", "the full copy finished");
        plan.setCondition("Failed", "False", "Completed", "the job succeeded");
    } else if (phase == "Failed" || phase == "PrecheckFailed") {
        std::string reason = job.runner.lastError ? job.runner.lastError->reason : "";
        if (phase == "PrecheckFailed" || reason.empty()) reason = phase;
        plan.setCondition("Failed", "True", reason, why);
        plan.setCondition("Succeeded", "False", phase, why);
    } else {
        const bool replicates = job.spec.replicates();
        plan.setCondition("Failed", "False", "NoFailure", "the job has not failed");
        plan.setCondition(
            "Succeeded", "False", replicates ? "Replicates" : "InProgress",
            replicates ? "a job that replicates runs until it is deleted" : "the full copy has not finished");
    }
}

}  // namespace

void reportOutcome(const JobView& job, Plan& plan) {
    announceSkippedDdl(job, plan);
    const std::string phase = plan.phase();
    reportTimes(job, plan, phase);
    setTerminalConditions(job, plan, phase);
}

}  // namespace tidemark::op::decision
