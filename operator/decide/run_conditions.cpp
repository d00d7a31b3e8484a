#include "operator/decide/run_conditions.h"

#include "operator/decide/predicates.h"
#include "operator/decide/progress.h"

namespace tidemark::op::decision {

namespace {

void setFullCopyCondition(const JobView& job, Plan& plan, const std::string& phase) {
    if (fullCopyDone(job) || phase == "Replicating")
        plan.setCondition("FullCopyComplete", "True", "Copied", "the full copy finished");
    else plan.setCondition("FullCopyComplete", "False", "Copying", progressFor(job, "Copying"));
}

// The runner says replay is stalled (target or source unavailable, a long DDL, a blocked batch)
// within 30 s, and lag keeps growing meanwhile (replay/progress.h).
void reportStalled(const JobView& job, Plan& plan, const Stalled& stalled) {
    const double lag = job.runner.lagSeconds.value_or(-1);
    const std::string msg = stalled.message + (stalled.since.empty() ? "" : " (since " + stalled.since + ")") +
        (lag >= 0 ? "; replay lag " + fmtNumber(lag) + "s" : "");
    plan.setCondition("Stalled", "True", stalled.reason, msg);
    plan.eventOnConditionChange("Stalled", stalled.reason, true, "replay is stalled: " + msg);
    plan.setCondition("Synced", "False", "Stalled", msg);
}

void reportFlowing(const JobView& job, Plan& plan) {
    const Json* before = job.observedCondition("Stalled");
    if (before && str(*before, "/status") == "True")
        plan.event(false, "Flowing", "replay flows again (it was stalled: " + str(*before, "/message") + ")");
    plan.setCondition("Stalled", "False", "Flowing", "replay is applying the source's changes");
}

void setSyncedCondition(const JobView& job, const Settings& settings, Plan& plan, const std::string& phase) {
    const double lag = job.runner.lagSeconds.value_or(-1);
    if (phase == "Replicating" && lag >= 0 && lag <= settings.syncedLagSeconds)
        plan.setCondition("Synced", "True", "CaughtUp", "replay lag " + fmtNumber(lag) + "s");
    else if (phase == "Replicating")
        plan.setCondition("Synced", "False", "CatchingUp",
                          lag < 0 ? "replay starting" : "replay lag " + fmtNumber(lag) + "s");
    else plan.setCondition("Synced", "False", "Copying", "replay starts after the full copy");
}

void setReady(Plan& plan, const std::string& phase, const PodView& pod) {
    if (pod.phase == "Running")
        plan.setCondition("Ready", "True", phase,
                          "runner pod " + pod.name + " is " + (phase == "Copying" ? "copying" : "replicating"));
    else plan.setCondition("Ready", "False", "RunnerStarting", "runner pod " + pod.name + " is starting");
}

}  // namespace

void setRunConditions(const JobView& job, const Settings& settings, Plan& plan, const std::string& phase,
                      const PodView& pod) {
    if (job.spec.copies()) setFullCopyCondition(job, plan, phase);
    if (job.spec.replicates()) {
        const bool stalled = phase == "Replicating" && job.runner.stalled;
        if (stalled) reportStalled(job, plan, *job.runner.stalled);
        else if (phase == "Replicating") reportFlowing(job, plan);
        if (!stalled) setSyncedCondition(job, settings, plan, phase);
    }
    setReady(plan, phase, pod);
}

}  // namespace tidemark::op::decision
