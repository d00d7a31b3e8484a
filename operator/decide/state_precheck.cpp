// Prechecking and PrecheckFailed (states.h): one `precheck` runner pod per spec and recheck token
// (the precheck key), its result recorded in the annotation tidemark.dev/prechecked and the
// condition PrecheckPassed, so a passed spec is never checked again for a pause or a new size.
#include "operator/decide/pod_steps.h"
#include "operator/decide/predicates.h"
#include "operator/decide/progress.h"
#include "operator/decide/states.h"

namespace tidemark::op::decision {

namespace {

struct PrecheckOutcome {
    bool passed = false;
    std::string summary;  // for the condition, the Event and (shortened) the printer column
};

// A precheck pod that could not run failed the job; a new generation (a restartToken, a fix)
// starts it again from a fresh pod.
bool restartingAfterPodTrouble(const JobView& job) {
    return failedByPodTrouble(job) && !failureReportedForThisGeneration(job);
}

// `<job>-precheck-<first 8 of the key>-<attempt>`: a retry never reuses the name of the pod
// before it, so `kubectl logs` of both stay apart.
std::string precheckPodName(const JobView& job, long long attempt) {
    return job.name + "-precheck-" + job.precheckKey.substr(0, 8) + "-" + std::to_string(attempt);
}

bool planSetsPhase(const Plan& plan, const std::string& phase) { return plan.phaseSet() && plan.phase() == phase; }

void startPrecheck(const JobView& job, const Settings& settings, Plan& plan, const std::string& podName,
                   int retryCount) {
    if (waitForStoppingPod(job, plan, "Prechecking", "precheck")) return;
    if (const auto t = createRefusedOrBackingOff(job, settings, plan, "Prechecking", "precheck")) {
        plan.setCondition("PrecheckPassed", "Unknown", t->reason, t->message);
        return;
    }
    const RunnerPodRequest request{
        names::kRolePrecheck, podName, job.spec.capacity, retryCount, false, job.precheckKey, "", ""};
    plan.createPod(buildRunnerPod(job.job, request, settings));
    plan.setPrecheckStatus("recheck", job.spec.recheckToken);
    if (retryCount == 0) plan.setPrecheckStatus("items", nullptr);  // the old results no longer hold
    plan.setPhase("Prechecking", "precheck", "starting");
    plan.setCondition("PrecheckPassed", "Unknown", "Running", "the precheck runs in pod " + podName);
    plan.setCondition("Ready", "False", "Prechecking", "the precheck runs");
    if (retryCount == 0) {
        const std::string why = started(job) ? " (the spec changed or a recheck was requested)" : "";
        plan.event(false, "PrecheckStarted", "precheck started in pod " + podName + why);
    }
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

// The items the runner reported (status.precheck.items), by state.
struct ItemTally {
    std::vector<std::string> failed;
    std::vector<std::string> warned;
    int passed = 0;
};

ItemTally tallyItems(const JobView& job) {
    ItemTally t;
    for (const auto& item : job.runner.precheckItems) {
        if (item.state == "Failed") t.failed.push_back(item.name);
        else if (item.state == "Warning") t.warned.push_back(item.name);
        else ++t.passed;
    }
    return t;
}

// "1 failed (binlog_format), 2 warnings (a, b) ignored"; "" when nothing failed or warned.
std::string itemSummary(const ItemTally& t, bool ignoreWarnings) {
    std::string summary;
    if (!t.failed.empty()) summary += std::to_string(t.failed.size()) + " failed (" + joined(t.failed) + ")";
    if (!t.warned.empty())
        summary += std::string(summary.empty() ? "" : ", ") + std::to_string(t.warned.size()) + " warning" +
            (t.warned.size() > 1 ? "s" : "") + " (" + joined(t.warned) + ")" + (ignoreWarnings ? " ignored" : "");
    return summary;
}

// The result of a finished precheck pod, from its exit code and the items it reported.
PrecheckOutcome precheckOutcome(const JobView& job, const PodView& pod) {
    const ItemTally items = tallyItems(job);
    const bool ignoreWarnings = job.spec.ignoreWarnings;
    std::string summary = itemSummary(items, ignoreWarnings);
    if (runnerFinished(pod) && items.failed.empty() && (ignoreWarnings || items.warned.empty())) {
        return {true,
                "precheck passed" + (summary.empty() ? "" : ": " + summary) +
                    (items.passed ? " (" + std::to_string(items.passed) + " items passed)" : "")};
    }
    if (summary.empty()) {
        const std::string err = runnerError(job);
        summary = runnerRefusedInput(pod) ? "the runner refused the job (exit 2, bad input)"
                                          : "the precheck did not pass (exit " + std::to_string(*pod.exitCode) + ")";
        if (!err.empty()) summary += ": " + err;
        summary += "; see kubectl logs " + pod.name;
    } else if (items.failed.empty() && !ignoreWarnings) {
        summary += "; fix them or set spec.precheck.ignoreWarnings";
    } else {
        summary += "; fix the Failed items";
    }
    return {false,
            "precheck failed: " + summary +
                ", then set spec.precheck.recheck to a new value to check again (details: kubectl describe mj " +
                job.name + ")"};
}

// Records the precheck's answer for this key; true when it passed (the runner may start).
bool recordOutcome(const JobView& job, Plan& plan, const PodView& pod) {
    const PrecheckOutcome outcome = precheckOutcome(job, pod);
    plan.annotate(names::kAnnotationPrechecked, job.precheckKey);
    plan.setPrecheckStatus("recheck", job.spec.recheckToken);
    if (outcome.passed) {
        plan.setCondition("PrecheckPassed", "True", "Passed", outcome.summary);
        plan.event(false, "PrecheckPassed", outcome.summary);
        plan.deletePod(pod.name);
        return true;
    }
    plan.setCondition("PrecheckPassed", "False", "PrecheckFailed", outcome.summary);
    plan.setPhase("PrecheckFailed", "precheck", shortPrecheckProgress(outcome.summary));
    plan.setCondition("Ready", "False", "PrecheckFailed", outcome.summary);
    plan.event(true, "PrecheckFailed", outcome.summary);  // the pod stays for `kubectl logs`
    return false;
}

// The precheck pod is up (or waiting for the kubelet): say what it waits on, if anything.
void watchRunningPrecheck(const JobView& job, Plan& plan, const PodView& pod,
                          const std::optional<PodTrouble>& trouble) {
    plan.setPhase("Prechecking", "precheck", trouble ? "waiting: " + trouble->reason : "running");
    if (trouble) {
        plan.setCondition("PrecheckPassed", "Unknown", trouble->reason, trouble->message);
        waitingOn(job, plan, *trouble, pod.retry + 1);
    } else {
        plan.setCondition("PrecheckPassed", "Unknown", "Running", "the precheck runs in pod " + pod.name);
        plan.setCondition("Ready", "False", "Prechecking", "the precheck runs");
        if (pod.phase == "Running") clearPodTroubleError(job, plan);
    }
    if (pod.phase == "Pending") plan.requeue(kPendingPoll);
}

// The precheck did not finish (exit 3, a crash, an OOM kill, an eviction): run it again.
void retryPrecheck(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod,
                   const PodTrouble* trouble) {
    retryWithBackoff(
        job, settings, plan, pod,
        [&](int nextRetry) { startPrecheck(job, settings, plan, precheckPodName(job, nextRetry + 1), nextRetry); },
        trouble);
    if (!planSetsPhase(plan, "Prechecking")) plan.setPhase("Prechecking", "precheck", "retrying");
}

// The newest precheck pod for this key; every other pod of the job is deleted (nothing else
// runs during a precheck).
const PodView* keepNewestPrecheckPod(const JobView& job, Plan& plan) {
    const PodView* mine = nullptr;
    for (const auto& p : job.pods) {
        if (p.deleting) continue;
        if (p.role == names::kRolePrecheck && p.precheckKey == job.precheckKey) mine = &p;
        else plan.deletePod(p.name);
    }
    for (const auto& p : job.pods)
        if (&p != mine && !p.deleting && p.role == names::kRolePrecheck && p.precheckKey == job.precheckKey)
            plan.deletePod(p.name);
    return mine;
}

}  // namespace

bool precheck(const JobView& job, const Settings& settings, Plan& plan) {
    const bool restarting = restartingAfterPodTrouble(job);
    if (restarting) recordRestartToken(job, plan);
    const PodView* mine = keepNewestPrecheckPod(job, plan);
    if (!mine) {
        startPrecheck(job, settings, plan, precheckPodName(job, 1), 0);
        return false;
    }
    if (restarting) {
        // A fresh pod under a name of its own: the failed one may still be there for kubectl logs.
        const auto seq = mine->sequence();
        plan.deletePod(mine->name);
        startPrecheck(job, settings, plan, precheckPodName(job, (seq.empty() ? 0 : seq.back()) + 1), 0);
        return false;
    }
    const std::optional<PodTrouble> trouble = troubleOf(job, settings, *mine);
    if (trouble && trouble->kind == PodTrouble::Kind::Permanent) {
        plan.setCondition("PrecheckPassed", "Unknown", trouble->reason, trouble->message);
        failFor(job, plan, *trouble, mine);
    } else if (!mine->terminated()) {
        watchRunningPrecheck(job, plan, *mine, trouble);
    } else if (trouble) {
        retryPrecheck(job, settings, plan, *mine, &*trouble);
    } else {
        clearPodTroubleError(job, plan);
        if (!retryableExit(*mine)) return recordOutcome(job, plan, *mine);
        retryPrecheck(job, settings, plan, *mine, nullptr);
    }
    return false;
}

void holdPrecheckFailed(const JobView& job, Plan& plan) {
    if (restartingAfterPodTrouble(job)) recordRestartToken(job, plan);
    for (const auto& p : job.pods)
        if (!p.deleting && (p.role != names::kRolePrecheck || p.precheckKey != job.precheckKey)) plan.deletePod(p.name);
    const std::string why = str(*job.observedCondition("PrecheckPassed"), "/message");
    plan.setPhase("PrecheckFailed", "precheck", shortPrecheckProgress(why));
    plan.setCondition("Ready", "False", "PrecheckFailed", why);
}

}  // namespace tidemark::op::decision
