// Steps on runner pods that several states take: stopping pods, waiting until a stopped one is
// gone before starting another, retrying with exponential backoff, and reporting a pod that
// cannot run (pod_trouble.h) as a condition, an Event and status.lastError.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "operator/decide/job_view.h"
#include "operator/decide/plan.h"
#include "operator/pod_trouble.h"

namespace tidemark::op::decision {

// A pending pod is looked at again this often: a missing Secret shows only in an Event, which
// changes nothing on the pod the informer watches.
inline constexpr std::chrono::milliseconds kPendingPoll{3000};

// Deletes every runner pod of the job that is not being deleted already.
void stopAllPods(const JobView& job, Plan& plan);

// Two runners never overlap on a target: a new pod waits until every pod being stopped (now or
// before) has ended. Returns true when it must wait (phase, Ready and a requeue say so).
bool waitForStoppingPod(const JobView& job, Plan& plan, const std::string& phase, const std::string& stage);

// The wait before retry number attemptsBefore + 1: retryBase * 2^attemptsBefore, at most retryCap.
std::chrono::seconds backoff(const Settings& settings, int attemptsBefore);

// A pod that ended retryably is retried after backoff(pod.retry) from when it ended: then it is
// deleted and start(pod.retry + 1) called; until then Ready=False says when. A trouble (OOM
// kill, eviction) names the cause instead of the exit code and goes to status.lastError.
void retryWithBackoff(const JobView& job, const Settings& settings, Plan& plan, const PodView& pod,
                      const std::function<void(int nextRetry)>& start, const PodTrouble* trouble = nullptr);

// Why `pod` cannot run, if the platform says so.
std::optional<PodTrouble> troubleOf(const JobView& job, const Settings& settings, const PodView& pod);

// A pod that waits on something only the user can fix (a Secret, an image): say so, keep it.
void waitingOn(const JobView& job, Plan& plan, const PodTrouble& trouble, int attempts);

// A trouble no retry mends: the job fails with it; a new spec.restartToken tries again. A pod
// still waiting is deleted (it would wait forever).
void failFor(const JobView& job, Plan& plan, const PodTrouble& trouble, const PodView* pod);

// Before creating a pod: a refusal of the create just now (Observed::refused) is recorded and
// backed off from; after a retryable refusal, creates wait until the backoff has passed.
// Returns the refusal when nothing may be created now.
std::optional<PodTrouble> createRefusedOrBackingOff(const JobView& job, const Settings& settings, Plan& plan,
                                                    const std::string& phase, const std::string& stage);

// status.lastError for a runner that could not run (the runner cannot write it then). The time
// stays while the same error persists (unless `fresh`), so an unchanged trouble patches nothing.
void setLastError(const JobView& job, Plan& plan, const PodTrouble& trouble, int attempts, bool fresh = false);

// A cause the user fixed (a Secret, an image, a ServiceAccount) is gone once a runner runs (or
// ends on its own); an OOM kill or eviction stays as the last error that slowed the job.
void clearPodTroubleError(const JobView& job, Plan& plan);

}  // namespace tidemark::op::decision
