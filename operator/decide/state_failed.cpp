// Failed, PrecheckPodFailed and Restarting (states.h): a failed job stays failed, and a new
// spec.restartToken restarts its runner with --restart (replay resumes from the checkpoint in
// safe mode, replacing rows the failed attempt may have left).
#include "operator/decide/progress.h"
#include "operator/decide/predicates.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

void recordRestartToken(const JobView& job, Plan& plan) {
    if (restartRequested(job)) plan.setStatus("restartToken", job.spec.restartToken);
}

void stayFailed(const JobView& job, Plan& plan) {
    const std::string reason = job.runner.lastError ? job.runner.lastError->reason : "";
    plan.setPhase("Failed", stoppedStage(job), reason.empty() ? "Failed" : reason);
    const Json* ready = plan.condition("Ready");
    if (!ready || str(*ready, "/status") != "False")
        plan.setCondition("Ready", "False", "Failed",
                          "the job failed; set spec.restartToken to a new value to restart it");
}

void restartFailed(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod) {
    if (runPod) plan.deletePod(runPod->name);
    startRunner(job, settings, plan, /*retryCount=*/0, /*restart=*/true, "Restarting",
                "restart requested (spec.restartToken): replay resumes from the checkpoint in safe mode");
}

}  // namespace tidemark::op::decision
