// The cutover (states.h: Running's cutover steps and CutOver). A new spec.cutover.token on a
// replicating job restarts its runner as `run --cutover-at <stopAt>`: the runner replays up to
// the stop position, compares source and target, checks the switch items and writes
// status.cutover (runner/cutover/). Its exit ends the request: 0 with state Safe, 1 with state
// Unsafe; anything else is the runner's ordinary failure or retry. The operator records the
// token it reported on (status.cutoverToken), sets CutoverReady and an Event, and then either
// holds the job at the stop position (afterwards Pause: the CutOver state) or replicates on.
#include "operator/decide/pod_steps.h"
#include "operator/decide/predicates.h"
#include "operator/decide/progress.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

namespace {

const char* kCondition = "CutoverReady";

std::string reportSummary(const CutoverReport& r) {
    std::string s = "stop position " + (r.stopPosition.empty() ? std::string("unknown") : r.stopPosition);
    if (!r.gtidSet.empty()) s += " (GTID " + r.gtidSet + ")";
    s += ", " + std::to_string(r.rowsCompared) + " rows compared, " + std::to_string(r.differences) + " differences";
    return s;
}

std::string unsafeReasons(const CutoverReport& r) {
    std::string s;
    for (const auto& reason : r.reasons) s += (s.empty() ? "" : "; ") + reason;
    return s.empty() ? "the runner found it unsafe" : s;
}

// The condition and progress text a finished report stands for.
void showReport(Plan& plan, const CutoverReport& r) {
    if (r.state == "Safe")
        plan.setCondition(kCondition, "True", "Safe", "safe to switch to the target: " + reportSummary(r));
    else
        plan.setCondition(kCondition, "False", "Unsafe",
                          "not safe to switch: " + unsafeReasons(r) + "; " + reportSummary(r));
}

// The cutover runner ended with its answer (exit 0 Safe, exit 1 Unsafe): record and announce it.
bool reportEnded(const JobView& job, Plan& plan, const PodView& pod) {
    const auto& r = job.runner.cutover;
    const bool safe = runnerFinished(pod) && r && r->state == "Safe";
    const bool unsafe = runnerFailedForGood(pod) && !runnerRefusedInput(pod) && r && r->state == "Unsafe";
    if (!safe && !unsafe) return false;
    plan.setStatus("cutoverToken", job.spec.cutoverToken);
    showReport(plan, *r);
    if (safe) plan.event(false, "CutoverSafe", "safe to switch the application to the target: " + reportSummary(*r));
    else plan.event(true, "CutoverUnsafe", "not safe to switch: " + unsafeReasons(*r));
    plan.deletePod(pod.name);
    return true;
}

}  // namespace

bool cutoverSteps(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod) {
    // A cutover runner whose report is in (a Continue after it, or the token removed): it has
    // ended; replicate on from its checkpoint.
    if (runPod && !runPod->cutoverToken.empty() && !runsRequestedCutover(job, *runPod) && runPod->terminated()) {
        plan.deletePod(runPod->name);
        startRunner(job, settings, plan, 0, false, "Resumed", "replicating on after the cutover");
        return true;
    }
    if (!cutoverRequested(job)) return false;
    if (runPhase(job) != "Replicating") {
        plan.setCondition(kCondition, "False", "WaitingForCopy", "the cutover starts once the full copy is done");
        return false;
    }
    if (!runPod) {
        startRunner(job, settings, plan, 0, false, "CutoverStarted",
                    "spec.cutover.token " + job.spec.cutoverToken + ": replaying up to " + job.spec.cutoverStopAt +
                        ", then comparing source and target");
        plan.setCondition(kCondition, "False", "Starting", "the cutover runner is starting");
        return true;
    }
    if (!runsRequestedCutover(job, *runPod)) {
        // The replicating runner stops; the next reconcile starts the cutover runner.
        plan.deletePod(runPod->name);
        plan.setCondition(kCondition, "False", "Starting", "stopping the replicating runner for the cutover");
        plan.setPhase("Replicating", "cutover", "starting");
        return true;
    }
    if (runPod->terminated()) return reportEnded(job, plan, *runPod);
    const std::string state = job.runner.cutover ? job.runner.cutover->state : "";
    plan.setCondition(kCondition, "False", state.empty() ? "Starting" : state,
                      "cutover in progress (" + (state.empty() ? std::string("starting") : state) + ")");
    return false;  // the runner is watched as any running runner
}

void holdAtCutover(const JobView& job, Plan& plan) {
    stopAllPods(job, plan);
    const auto& r = job.runner.cutover;
    const bool safe = r && r->state == "Safe";
    plan.setPhase("Paused", "cutover", safe ? "safe at " + r->stopPosition : "not safe (see CutoverReady)");
    if (r) showReport(plan, *r);
    plan.setCondition("Ready", safe ? "True" : "False", safe ? "CutOver" : "CutoverUnsafe",
                      std::string(safe ? "cut over" : "the cutover found it unsafe") +
                          "; the runner is stopped at the stop position. A new spec.cutover.token checks "
                          "again; spec.cutover.afterwards: Continue or removing spec.cutover replicates on");
}

}  // namespace tidemark::op::decision
