#include "operator/decide/progress.h"
#include "operator/decide/pod_steps.h"

#include <algorithm>

#include "operator/decide/predicates.h"

namespace tidemark::op::decision {

using namespace std::chrono_literals;

namespace {

// Ready=False and the printer column while creates back off from a refusal. The message must not
// change with the clock, or every reconcile would patch the status.
void backingOffFromRefusal(Plan& plan, const PodTrouble& t, int attempts, const std::string& phase,
                           const std::string& stage) {
    plan.setPhase(phase, stage, "waiting: " + t.reason);
    const std::string msg = t.message + " (attempt " + std::to_string(attempts) + "; retried with backoff)";
    plan.setCondition("Ready", "False", t.reason, msg);
    plan.eventOnConditionChange("Ready", t.reason, true, t.message);
}

// The refusal just now, as a trouble: one pod_trouble.h knows, or a rejection to retry.
PodTrouble refusalNow(const JobView& job, const Settings& settings) {
    if (auto t = refusalTrouble(*job.refused, job.job, settings)) return *t;
    return PodTrouble{PodTrouble::Kind::Retry, "PodRejected",
                      "the API server refused runner pod " + job.refused->podName + ": " + job.refused->message};
}

}  // namespace

void stopAllPods(const JobView& job, Plan& plan) {
    for (const auto& p : job.pods)
        if (!p.deleting) plan.deletePod(p.name);
}

bool waitForStoppingPod(const JobView& job, Plan& plan, const std::string& phase, const std::string& stage) {
    for (const auto& p : job.pods) {
        const bool stopping = p.deleting || plan.deletesPod(p.name);
        if (!stopping || p.terminated()) continue;
        plan.setPhase(phase, stage, "waiting for runner pod " + p.name + " to stop");
        plan.setCondition("Ready", "False", "RunnerStopping", "waiting for runner pod " + p.name + " to stop");
        plan.requeue(1s);
        return true;
    }
    return false;
}

std::chrono::seconds backoff(const Settings& settings, int attemptsBefore) {
    return std::min<std::chrono::seconds>(settings.retryCap,
                                          settings.retryBase * (1LL << std::clamp(attemptsBefore, 0, 20)));
}

void retryWithBackoff(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod,
                      const std::function<void(int nextRetry)>& start, const PodTrouble* trouble) {
    const auto due = pod.finishedAt.value_or(pod.createdAt) + backoff(settings, pod.retry);
    const std::string error = runnerError(job);
    const std::string why = trouble ? trouble->message
                                    : "runner pod " + pod.name + " exited with code " + std::to_string(*pod.exitCode) +
            (error.empty() ? "" : ": " + error);
    const std::string reason = trouble ? trouble->reason : "BackingOff";
    if (trouble) setLastError(job, plan, *trouble, pod.retry + 1);
    if (job.now >= due) {
        plan.deletePod(pod.name);
        start(pod.retry + 1);
        plan.event(true, "Retrying", why + "; retry " + std::to_string(pod.retry + 1));
        return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - job.now);
    plan.requeue(left + 50ms);
    const std::string msg =
        why + "; retry " + std::to_string(pod.retry + 1) + " in " + std::to_string((left.count() + 999) / 1000) + "s";
    plan.setCondition("Ready", "False", reason, msg);
    plan.eventOnConditionChange("Ready", reason, true, msg);
}

std::optional<PodTrouble> troubleOf(const JobView& job, const Settings& settings, const PodView& pod) {
    return podTrouble(pod, job.podEvents, job.job, settings);
}

void waitingOn(const JobView& job, Plan& plan, const PodTrouble& trouble, int attempts) {
    plan.setCondition("Ready", "False", trouble.reason, trouble.message);
    plan.eventOnConditionChange("Ready", trouble.reason, true, trouble.message);
    setLastError(job, plan, trouble, attempts);
}

void failFor(const JobView& job, Plan& plan, const PodTrouble& trouble, const PodView* pod) {
    if (pod && !pod->terminated() && !pod->deleting) plan.deletePod(pod->name);
    plan.setPhase("Failed", stoppedStage(job), trouble.reason);
    plan.setCondition("Ready", "False", trouble.reason, trouble.message);
    plan.event(true, trouble.reason, trouble.message);
    setLastError(job, plan, trouble, pod ? pod->retry + 1 : 1);
}

std::optional<PodTrouble> createRefusedOrBackingOff(const JobView& job, const Settings& settings, Plan& plan,
                                                    const std::string& phase, const std::string& stage) {
    const std::optional<LastError>& last = job.runner.lastError;
    const std::string lastReason = last ? last->reason : "";
    const int64_t lastAttempts = last ? last->attempts.value_or(1) : 1;
    if (job.refused) {
        const PodTrouble t = refusalNow(job, settings);
        const int attempts = lastReason == t.reason ? static_cast<int>(lastAttempts) + 1 : 1;
        if (t.kind == PodTrouble::Kind::Permanent) {
            failFor(job, plan, t, nullptr);
            return t;
        }
        setLastError(job, plan, t, attempts, /*fresh=*/true);
        plan.requeue(backoff(settings, attempts - 1));
        backingOffFromRefusal(plan, t, attempts, phase, stage);
        return t;
    }
    if (lastReason != "ServiceAccountMissing" && lastReason != "QuotaExceeded") return std::nullopt;
    const auto since = parseTime(last->time.value_or(""));
    if (!since) return std::nullopt;
    const auto due = *since + backoff(settings, static_cast<int>(lastAttempts) - 1);
    if (job.now >= due) return std::nullopt;  // try again
    const PodTrouble t{PodTrouble::Kind::Retry, lastReason, last->message};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - job.now);
    plan.requeue(left + 50ms);
    backingOffFromRefusal(plan, t, static_cast<int>(lastAttempts), phase, stage);
    return t;
}

void setLastError(const JobView& job, Plan& plan, const PodTrouble& trouble, int attempts, bool fresh) {
    Json e = {{"reason", trouble.reason},
              {"message", trouble.message},
              {"retryable", trouble.kind != PodTrouble::Kind::Permanent},
              {"attempts", attempts},
              {"time", formatTime(job.now)}};
    const std::optional<LastError>& had = job.runner.lastError;
    if (!fresh && had && had->reason == trouble.reason && had->message == trouble.message &&
        had->attempts.value_or(0) == attempts && had->time)
        e["time"] = *had->time;
    plan.setStatus("lastError", e);
}

void clearPodTroubleError(const JobView& job, Plan& plan) {
    if (plan.statusSet("lastError")) return;
    const std::string reason = job.runner.lastError ? job.runner.lastError->reason : "";
    if (isPodTroubleReason(reason) && reason != "OOMKilled" && reason != "Evicted")
        plan.setStatus("lastError", nullptr);
}

}  // namespace tidemark::op::decision
