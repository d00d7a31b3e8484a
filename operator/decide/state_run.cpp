// Running and Succeeded (states.h): the `run --skip-precheck` pod that copies and replicates.
// Phase and conditions follow the runner's reports (run_conditions.cpp); its exit code (api/
// runner_contract.h) decides between done, failed and another try; capacity changes restart it.
#include <algorithm>

#include "operator/decide/pod_steps.h"
#include "operator/decide/predicates.h"
#include "operator/decide/progress.h"
#include "operator/decide/run_conditions.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

namespace {

// A condition reason is CamelCase letters and digits: the runner's lastError.reason made one.
std::string validReason(std::string r) {
    r.erase(std::remove_if(r.begin(), r.end(), [](unsigned char c) { return !std::isalnum(c) && c != '_'; }), r.end());
    if (r.empty() || !std::isalpha(static_cast<unsigned char>(r[0]))) r = "RunnerFailed" + r;
    return r;
}

// The capacity a new runner starts with: the spec's, except that a runner replaced during the
// snapshot export keeps the capacity the export started with.
int capacityForNewRunner(const JobView& job) {
    if (!job.recorded.capacity) return job.spec.capacity;
    const bool exporting = runPhase(job) == "Copying" && !fullCopyDone(job) && job.recorded.phase != "Paused";
    return exporting ? static_cast<int>(*job.recorded.capacity) : job.spec.capacity;
}

// `<job>-run-<generation>-<restarts>[-n]`: a replacement never reuses the name of the pod before
// it, so `kubectl logs` of both stay apart.
std::string runPodName(const JobView& job, int64_t restarts) {
    const std::string base = job.name + "-run-" + std::to_string(job.generation) + "-" + std::to_string(restarts);
    std::string podName = base;
    for (int n = 2; job.hasPodNamed(podName); ++n) podName = base + "-" + std::to_string(n);
    return podName;
}

// No run pod: start one, saying why (a new size, a lost pod, a resume, or the first start).
void startMissingRunner(const JobView& job, const Settings& settings, Plan& plan) {
    const Json* capacity = plan.condition("CapacityApplied");
    if (capacity && str(*capacity, "/reason") == "Scaling") {
        startRunner(job, settings, plan, 0, false, "Scaled",
                    "capacity " + std::to_string(job.spec.capacity) + " applied");
    } else if (job.recorded.phase == "Copying" || job.recorded.phase == "Replicating") {
        startRunner(job, settings, plan, 0, false, "RunnerReplaced",
                    "the runner pod was gone; started a new one, resuming from the checkpoint", /*countRestart=*/true);
    } else if (job.recorded.phase == "Paused") {
        startRunner(job, settings, plan, 0, false, "Resumed", "resumed from the checkpoint");
    } else {
        startRunner(job, settings, plan, 0, false, "Started", "");
    }
}

// A new spec.capacity restarts the runner from its checkpoint, unless the snapshot export runs.
void applyCapacity(const JobView& job, Plan& plan, const PodView& pod, const std::string& phase) {
    const int desired = job.spec.capacity;
    const int current = pod.capacity ? pod.capacity : desired;
    if (desired == current) {
        plan.setCondition("CapacityApplied", "True", "Applied", "the runner uses capacity " + std::to_string(current));
    } else if (scalingAllowed(job, phase)) {
        plan.deletePod(pod.name);
        plan.setCondition("CapacityApplied", "False", "Scaling",
                          "restarting the runner with capacity " + std::to_string(desired) + " (was " +
                              std::to_string(current) + ")");
        plan.event(false, "Scaling",
                   "capacity " + std::to_string(current) + " -> " + std::to_string(desired) +
                       ": restarting the runner from its checkpoint");
    } else {
        const std::string msg = "capacity " + std::to_string(desired) +
            " is refused during the snapshot export (phase Copying); the runner keeps capacity " +
            std::to_string(current) + ". Scale while Replicating or Paused, or set spec.capacity back to " +
            std::to_string(current);
        plan.setCondition("CapacityApplied", "False", "ScaleRefused", msg);
        plan.eventOnConditionChange("CapacityApplied", "ScaleRefused", true, msg);
    }
    if (job.recorded.capacity != current) plan.setStatus("capacity", {{"current", current}});
}

// A runner that is up (or waiting for the kubelet): phase from its reports, capacity changes
// applied or refused.
void watchRunningRunner(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod,
                        const std::optional<PodTrouble>& trouble) {
    const std::string phase = runPhase(job);
    plan.setPhase(phase, stageFor(job, phase), trouble ? "waiting: " + trouble->reason : progressFor(job, phase));
    if (job.recorded.phase == "Copying" && phase == "Replicating")
        plan.event(false, "FullCopyComplete", "the full copy is done; replicating from the source's binlog");
    setRunConditions(job, settings, plan, phase, pod);
    if (trouble) waitingOn(job, plan, *trouble, pod.retry + 1);
    else if (pod.phase == "Running") clearPodTroubleError(job, plan);
    if (pod.phase == "Pending") plan.requeue(kPendingPoll);
    applyCapacity(job, plan, pod, phase);
}

// Exit 3, a crash, a kill, an OOM kill, an eviction, or a replicating runner that ended by itself:
// the runner resumes from its checkpoint after the backoff.
void retryRunner(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod,
                 const PodTrouble* trouble) {
    retryWithBackoff(
        job, settings, plan, pod,
        [&](int nextRetry) { startRunner(job, settings, plan, nextRetry, pod.restart, "", "", /*countRestart=*/true); },
        trouble);
    if (!plan.phaseSet()) {
        const std::string phase = runPhase(job);
        plan.setPhase(phase, stageFor(job, phase), progressFor(job, phase));
    }
}

void succeed(Plan& plan) {
    plan.setPhase("Succeeded", "done", "100%");
    plan.setCondition("FullCopyComplete", "True", "Copied", "the full copy finished");
    plan.setCondition("Ready", "True", "Succeeded", "the full copy finished");
    plan.event(false, "Succeeded", "the full copy finished");
}

// The reason a failed runner gives: its lastError.reason, else what its exit code says.
std::string failureReason(const JobView& job, const PodView& pod) {
    if (!runnerError(job).empty()) {
        const std::string& reason = job.runner.lastError->reason;
        return reason.empty() ? "RunnerFailed" : reason;
    }
    return runnerRefusedInput(pod) ? "BadInput" : "RunnerFailed";
}

// Exit 1 (status.lastError names why) or 2 (bad input): Failed until a new restartToken.
void failWithRunner(const JobView& job, Plan& plan, const PodView& pod) {
    const std::string reason = failureReason(job, pod);
    const std::string error = runnerError(job);
    std::string message = error.empty() ? "the runner exited with code " + std::to_string(*pod.exitCode) : error;
    message += " (pod " + pod.name + "); fix the cause, then set spec.restartToken to a new value to restart";
    plan.setPhase("Failed", stoppedStage(job), reason);
    plan.setCondition("Ready", "False", validReason(reason), message);
    plan.event(true, "Failed", reason + ": " + message);
}

// The runner ended: its exit code decides.
void runnerEnded(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod) {
    clearPodTroubleError(job, plan);
    if (runnerFinished(pod) && job.spec.type == "Full" && !fullCopyReportedIncomplete(job)) return succeed(plan);
    if (runnerFailedForGood(pod)) return failWithRunner(job, plan, pod);
    retryRunner(job, settings, plan, pod, nullptr);
}

}  // namespace

const PodView* keepNewestRunPod(const JobView& job, Plan& plan) {
    for (const PodView* p : job.livePods(names::kRolePrecheck)) plan.deletePod(p->name);
    const PodView* newest = nullptr;
    for (const PodView* p : job.livePods(names::kRoleRun)) {
        if (newest) plan.deletePod(newest->name);
        newest = p;
    }
    return newest;
}

void startRunner(const JobView& job, const Settings& settings, Plan& plan, int retryCount, bool restart,
                 const std::string& reason, const std::string& message, bool countRestart) {
    const std::string phase = runPhase(job);
    if (waitForStoppingPod(job, plan, phase, stageFor(job, phase))) return;
    if (createRefusedOrBackingOff(job, settings, plan, phase, stageFor(job, phase))) return;
    const int64_t restarts = job.recorded.restarts + (countRestart ? 1 : 0);
    if (countRestart) plan.setStatus("restarts", restarts);
    const std::string podName = runPodName(job, restarts);
    const int capacity = capacityForNewRunner(job);
    RunnerPodRequest request{names::kRoleRun, podName, capacity, retryCount, restart, "", "", ""};
    if (cutoverRequested(job) && phase == "Replicating") {
        request.cutoverAt = job.spec.cutoverStopAt;
        request.cutoverToken = job.spec.cutoverToken;
    }
    plan.createPod(buildRunnerPod(job.job, request, settings));
    plan.setStatus("capacity", {{"current", capacity}});
    plan.setPhase(phase, stageFor(job, phase), progressFor(job, phase));
    plan.setCondition("Ready", "False", "RunnerStarting", "runner pod " + podName + " is starting");
    if (job.spec.capacity == capacity)
        plan.setCondition("CapacityApplied", "True", "Applied", "the runner uses capacity " + std::to_string(capacity));
    if (reason.empty()) return;
    const std::string what = phase == "Copying" ? "full copy" : "replication";
    plan.event(false, reason,
               (message.empty() ? "" : message + "; ") + "runner pod " + podName + " started (" + what + ", capacity " +
                   std::to_string(capacity) + ")");
}

void run(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod) {
    if (restartRequested(job))
        plan.event(false, "RestartTokenRecorded",
                   "spec.restartToken changed while the job is not failed: nothing to restart");
    if (cutoverSteps(job, settings, plan, runPod)) return;
    if (!runPod) return startMissingRunner(job, settings, plan);
    const std::optional<PodTrouble> trouble = troubleOf(job, settings, *runPod);
    if (trouble && trouble->kind == PodTrouble::Kind::Permanent) return failFor(job, plan, *trouble, runPod);
    if (!runPod->terminated()) return watchRunningRunner(job, settings, plan, *runPod, trouble);
    if (trouble) return retryRunner(job, settings, plan, *runPod, &*trouble);
    runnerEnded(job, settings, plan, *runPod);
}

void staySucceeded(Plan& plan) { plan.setPhase("Succeeded", "done", "100%"); }

}  // namespace tidemark::op::decision
