// Deleting (states.h): the finalizer holds a deleted job until its runner pods are gone and, when
// it ran a runner, a `forget` cleanup pod deleted its rows from the target's tidemark_meta. A
// cleanup that cannot succeed is retried with backoff and says why; the keep-checkpoints
// annotation, a refused cleanup pod or a cleanup that cannot read the job let it go at once.
//
// The actions are listed in the order they must run (an Event before the finalizer goes), so this
// state builds its Decision itself rather than through a Plan; it writes no status.
#include "operator/decide/pod_steps.h"
#include "operator/decide/predicates.h"
#include "operator/decide/states.h"
#include "operator/runner_pod.h"

namespace tidemark::op::decision {

namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kDeletionPoll = 2s;

// The job ran a runner at some point (only runners write tidemark_meta).
bool ranRunner(const JobView& job) {
    return job.recorded.capacity || job.runner.fullCopyReported || job.runner.incrementalReported;
}

// Deletes the runner pods (never the cleanup pod); true while any is left.
bool stopRunners(const JobView& job, Decision& d) {
    bool stopping = false;
    bool runnersLeft = false;
    for (const auto& p : job.pods) {
        if (p.role == names::kRoleCleanup) continue;
        runnersLeft = true;
        if (p.deleting) continue;
        d.actions.push_back(action::DeletePod{p.name});
        stopping = true;
    }
    if (stopping)
        d.actions.push_back(action::Event{false, "Stopping", "the job is being deleted: stopping its runner"});
    return runnersLeft;
}

void startCleanup(const JobView& job, const Settings& settings, Decision& d, int retryCount) {
    const RunnerPodRequest request{
        names::kRoleCleanup, job.name + "-cleanup-" + std::to_string(retryCount + 1), 2, retryCount, false, "", "", ""};
    // Shaped by the job's spec.runnerPod when it is valid; a job deleted with a wrong one still
    // gets its rows forgotten, in a pod of the operator's template alone.
    Json shaped = job.job;
    try {
        runnerPodTemplateFor(job.job, settings.runnerPod);
    } catch (const std::invalid_argument&) {
        shaped["spec"].erase("runnerPod");
    }
    auto built = buildRunnerPod(shaped, request, settings);
    d.actions.push_back(action::CreatePod{std::move(built.pod), std::move(built.configMap)});
    d.requeueAfter = kDeletionPoll;
}

const PodView* newestCleanupPod(const JobView& job) {
    const auto live = job.livePods(names::kRoleCleanup);
    return live.empty() ? nullptr : live.back();
}

void keepCheckpoints(const JobView& job, Decision& d, const std::string& why) {
    d.actions.push_back(
        action::Event{true, "CheckpointsKept",
                      why + "; the job's rows in the target's tidemark_meta stay (job key " + job.instanceKey + ")"});
}

// A cleanup pod that ended without deleting the rows: another after the backoff.
void retryCleanup(const JobView& job, const Settings& settings, Decision& d, const PodView& last) {
    const auto due = last.finishedAt.value_or(last.createdAt) + backoff(settings, last.retry);
    const std::string error = runnerError(job);
    const std::string why = "cleanup pod " + last.name + " failed" +
        (last.exitCode ? " with exit code " + std::to_string(*last.exitCode) : std::string()) +
        (error.empty() ? "" : ": " + error) + "; set the annotation " + names::kAnnotationKeepCheckpoints +
        "=true to delete the job without deleting its checkpoints";
    if (job.now < due) {
        d.requeueAfter = std::chrono::duration_cast<std::chrono::milliseconds>(due - job.now) + 50ms;
        return;
    }
    d.actions.push_back(action::DeletePod{last.name});
    d.actions.push_back(action::Event{true, "CleanupRetrying", why});
    startCleanup(job, settings, d, last.retry + 1);
}

// The runners are gone: forget the job's checkpoints, then let it go. Returns true to let go.
bool cleanUp(const JobView& job, const Settings& settings, Decision& d) {
    if (job.keepCheckpoints || !ranRunner(job)) return true;
    if (job.refused) {
        keepCheckpoints(job, d, "the API server refused the cleanup pod (" + job.refused->message + ")");
        return true;
    }
    const PodView* last = newestCleanupPod(job);
    if (!last) {
        startCleanup(job, settings, d, 0);
        return false;
    }
    if (!last->terminated()) {
        d.requeueAfter = kDeletionPoll;
        return false;
    }
    if (runnerFinished(*last)) {
        d.actions.push_back(
            action::Event{false, "CheckpointsDeleted",
                          "deleted the job's rows from the target's tidemark_meta (job key " + job.instanceKey + ")"});
        return true;
    }
    if (runnerRefusedInput(*last)) {  // the spec or its Secrets cannot be used: no retry can pass
        keepCheckpoints(job, d, "cleanup pod " + last->name + " could not read the job (" + runnerError(job) + ")");
        return true;
    }
    retryCleanup(job, settings, d, *last);
    return false;
}

}  // namespace

Decision finalize(const JobView& job, const Settings& settings) {
    Decision d;
    d.phase = job.recorded.phase;
    if (stopRunners(job, d)) {
        d.requeueAfter = kDeletionPoll;
        return d;
    }
    if (cleanUp(job, settings, d) && job.hasFinalizer) d.actions.push_back(action::RemoveFinalizer{});
    return d;
}

}  // namespace tidemark::op::decision
