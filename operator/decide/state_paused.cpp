// Paused (states.h): spec.paused stops the runner; the target keeps the checkpoint, so resuming
// goes on from the same position. A capacity change is taken now and used on resume.
#include "operator/decide/progress.h"
#include "operator/decide/pod_steps.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

namespace {

void acceptCapacityForResume(const JobView& job, Plan& plan) {
    const int desired = job.spec.capacity;
    if (!job.recorded.capacity || *job.recorded.capacity == desired) return;
    plan.setStatus("capacity", {{"current", desired}});
    plan.setCondition("CapacityApplied", "True", "Scaled",
                      "capacity " + std::to_string(desired) + " is used when the job resumes");
    plan.event(false, "Scaled", "capacity set to " + std::to_string(desired) + " while paused");
}

}  // namespace

void pause(const JobView& job, Plan& plan) {
    stopAllPods(job, plan);
    acceptCapacityForResume(job, plan);
    plan.setPhase("Paused", stoppedStage(job), "paused");
    plan.setCondition("Ready", "False", "Paused", "spec.paused is true: the runner is stopped, the checkpoint kept");
    if (job.recorded.phase != "Paused")
        plan.event(false, "Paused", "runner stopped; the position is kept in the target's checkpoint");
}

}  // namespace tidemark::op::decision
