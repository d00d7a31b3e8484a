// The gates before a job runs anything: a spec the runner accepts, a place under the namespace's
// job limit, and a target no physical-mode full copy holds (states.h: InvalidSpec, OverJobLimit,
// WaitingForTarget).
#include "operator/decide/pod_steps.h"
#include "operator/decide/predicates.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

void refuseInvalidSpec(const JobView& job, Plan& plan) {
    const std::string& invalid = job.specError;
    stopAllPods(job, plan);
    plan.setPhase("Failed", "spec", "invalid spec");
    plan.setCondition("Validated", "False", "InvalidSpec", invalid);
    plan.setCondition("Ready", "False", "InvalidSpec", "the spec is invalid: " + invalid);
    plan.eventOnConditionChange("Validated", "InvalidSpec", true, "the spec is invalid: " + invalid);
}

void holdOverJobLimit(const JobView& job, const Settings& settings, Plan& plan) {
    stopAllPods(job, plan);
    const std::string msg = "namespace " + job.ns + " already has " + std::to_string(settings.maxJobsPerNamespace) +
        " MigrationJobs (the per-namespace limit); this job does nothing until one of the older jobs is deleted";
    plan.setPhase("Pending", "queued", "waiting: job limit");
    plan.setCondition("Validated", "False", "TooManyJobs", msg);
    plan.setCondition("Ready", "False", "TooManyJobs", msg);
    plan.eventOnConditionChange("Validated", "TooManyJobs", true, msg);
}

void markValid(Plan& plan) { plan.setCondition("Validated", "True", "Valid", "the spec is valid"); }

void waitForTarget(const JobView& job, Plan& plan) {
    const Json& holder = *targetHeldByPhysicalCopy(job);
    const std::string msg = "waiting: job " + str(holder, "/metadata/namespace") + "/" + str(holder, "/metadata/name") +
        " runs a physical-mode full copy into " + job.spec.targetHost + ":" + std::to_string(job.spec.targetPort) +
        "; this job starts when that copy is done";
    stopAllPods(job, plan);
    plan.setPhase("Pending", "target-busy", "waiting: target busy");
    plan.setCondition("Ready", "False", "TargetBusy", msg);
    plan.eventOnConditionChange("Ready", "TargetBusy", false, msg);
}

}  // namespace tidemark::op::decision
