#include "operator/decide/predicates.h"

#include <algorithm>
#include <tuple>

#include "api/runner_contract.h"
#include "operator/decide.h"
#include "operator/pod_trouble.h"

namespace tidemark::op::decision {

namespace contract = api::contract;

namespace {

bool isOneOf(const std::string& v, std::initializer_list<const char*> set) {
    return std::any_of(set.begin(), set.end(), [&](const char* s) { return v == s; });
}

std::string conditionReason(const Json& job, const std::string& type) {
    if (const Json* cs = at(job, "/status/conditions"); cs && cs->is_array())
        for (const auto& c : *cs)
            if (str(c, "/type") == type) return str(c, "/reason");
    return "";
}

// Where a job writes: host:port, a bare host being namespace-relative in a cluster.
std::string targetOf(const Json& job) {
    std::string host = str(job, "/spec/target/host");
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    if (host.find('.') == std::string::npos && host != "localhost") host += "." + str(job, "/metadata/namespace");
    return host + ":" + std::to_string(integer(job, "/spec/target/port", 4000));
}

// Creation order, the name breaking ties: who came first.
std::tuple<std::string, std::string> creationOrder(const Json& job) {
    return {str(job, "/metadata/creationTimestamp"), str(job, "/metadata/name")};
}

// Whether `other` blocks `job`'s target: a physical-mode full copy that has not finished on the
// same host:port. An older physical job that has not started yet also holds the target, so two
// jobs created together never both start.
bool holdsTargetFor(const Json& other, const Json& job) {
    if (str(other, "/metadata/uid") == str(job, "/metadata/uid")) return false;
    if (at(other, "/metadata/deletionTimestamp")) return false;
    if (str(other, "/spec/fullMode") != "Physical" || str(other, "/spec/type") == "Incremental") return false;
    if (targetOf(other) != targetOf(job)) return false;
    if (fullCopyComplete(other)) return false;
    const std::string phase = str(other, "/status/phase");
    if (isOneOf(phase, {"Prechecking", "Copying", "Paused"})) return true;
    if (phase.empty() || phase == "Pending") {
        // Only an older waiting physical job holds the target, and only if it is not itself
        // blocked by the per-namespace limit (it would never start).
        return creationOrder(other) < creationOrder(job) && conditionReason(other, "Validated") != "TooManyJobs";
    }
    return false;
}

// This job's place among the live jobs of its namespace, in creation order (1 = the oldest).
int rankInNamespace(const JobView& job) {
    const auto mine = creationOrder(job.job);
    int older = 0;
    for (const auto& other : job.otherJobs) {
        if (str(other, "/metadata/uid") == job.uid) continue;
        if (str(other, "/metadata/namespace", "default") != job.ns) continue;
        if (at(other, "/metadata/deletionTimestamp")) continue;
        if (creationOrder(other) < mine) ++older;
    }
    return older + 1;
}

std::string precheckConditionStatus(const JobView& job) {
    if (job.prechecked != job.precheckKey) return "";
    const Json* c = job.observedCondition("PrecheckPassed");
    return c ? str(*c, "/status") : "";
}

}  // namespace

bool started(const JobView& job) { return !(job.recorded.phase.empty() || job.recorded.phase == "Pending"); }

bool pauseApplies(const JobView& job) {
    return job.spec.paused && !isOneOf(job.recorded.phase, {"Failed", "PrecheckFailed", "Succeeded"});
}

bool overJobLimit(const JobView& job, const Settings& settings) {
    return rankInNamespace(job) > settings.maxJobsPerNamespace;
}

const Json* targetHeldByPhysicalCopy(const JobView& job) {
    for (const auto& other : job.otherJobs)
        if (holdsTargetFor(other, job.job)) return &other;
    return nullptr;
}

bool precheckPassed(const JobView& job) { return precheckConditionStatus(job) == "True"; }
bool precheckFailed(const JobView& job) { return precheckConditionStatus(job) == "False"; }

bool failedByPodTrouble(const JobView& job) {
    return job.recorded.phase == "Failed" && job.runner.lastError && isPodTroubleReason(job.runner.lastError->reason);
}

bool failureReportedForThisGeneration(const JobView& job) {
    const Json* ready = job.observedCondition("Ready");
    return ready && integer(*ready, "/observedGeneration") == job.generation;
}

bool restartRequested(const JobView& job) {
    return !job.spec.restartToken.empty() && job.spec.restartToken != job.recorded.restartToken;
}

bool fullCopyDone(const JobView& job) { return job.runner.fullCopyDone; }

bool fullCopyReportedIncomplete(const JobView& job) { return job.runner.fullCopyReported && !job.runner.fullCopyDone; }

std::string runPhase(const JobView& job) {
    if (job.spec.type == "Incremental") return "Replicating";
    if (job.spec.type == "Full") return "Copying";
    if (fullCopyDone(job) || !job.runner.appliedPosition.empty()) return "Replicating";
    return "Copying";
}

bool scalingAllowed(const JobView& job, const std::string& phase) {
    return phase == "Replicating" || (phase == "Copying" && fullCopyDone(job));
}

bool runnerFinished(const PodView& pod) { return pod.exitCode == contract::kExitOk; }

bool runnerFailedForGood(const PodView& pod) {
    return pod.exitCode == contract::kExitFailed || pod.exitCode == contract::kExitBadInput;
}

bool runnerRefusedInput(const PodView& pod) { return pod.exitCode == contract::kExitBadInput; }

bool retryableExit(const PodView& pod) { return !runnerFinished(pod) && !runnerFailedForGood(pod); }

std::string runnerError(const JobView& job) {
    if (!job.runner.lastError || isPodTroubleReason(job.runner.lastError->reason)) return "";
    return job.runner.lastError->message;
}

bool cutoverRequested(const JobView& job) {
    return !job.spec.cutoverToken.empty() && job.spec.cutoverToken != job.recorded.cutoverToken;
}

bool cutoverReported(const JobView& job) {
    return !job.spec.cutoverToken.empty() && job.spec.cutoverToken == job.recorded.cutoverToken;
}

bool heldAtCutover(const JobView& job) { return cutoverReported(job) && !job.spec.cutoverContinue; }

bool runsRequestedCutover(const JobView& job, const PodView& pod) {
    return !pod.cutoverToken.empty() && pod.cutoverToken == job.spec.cutoverToken;
}

bool failedOnInvalidSpec(const JobView& job) {
    const Json* validated = job.observedCondition("Validated");
    return job.recorded.phase == "Failed" && validated && str(*validated, "/status") == "False" &&
        str(*validated, "/reason") == "InvalidSpec";
}

}  // namespace tidemark::op::decision
