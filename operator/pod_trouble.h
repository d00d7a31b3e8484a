// Why a runner pod cannot start, or was ended by the platform rather than by the runner: read
// from the pod's status, the kubelet's Warning Events about it, or the API server's refusal to
// create it. Pure; decide.cpp turns a trouble into a condition, an Event and status.lastError.
//
// What is recognised (the shapes a real kubelet and API server produce):
//   refused create   403 "error looking up service account" -> ServiceAccountMissing (retried)
//                    403 "exceeded quota"                    -> QuotaExceeded (retried)
//                    403 "violates PodSecurity", other 403, 400, 422 -> PodRejected (fails the job)
//   pending pod      FailedMount Event (a Secret or key missing: the pod stays ContainerCreating),
//                    CreateContainerConfigError / CreateContainerError -> RunnerConfigError (waits)
//                    ErrImagePull / ImagePullBackOff -> ImagePullFailed (waits; the kubelet retries)
//                    InvalidImageName -> ImagePullFailed (fails the job)
//   ended pod        OOMKilled -> OOMKilled (retried), status.reason Evicted -> Evicted (retried),
//                    StartError / ContainerCannotRun (no runner binary) -> RunnerNotStarted (fails)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

struct PodTrouble {
    enum class Kind {
        Waiting,    // the pod stays; the kubelet retries by itself once the cause is fixed
        Retry,      // the pod is gone or ended; a new one starts after the backoff
        Permanent,  // the job fails with this reason until spec.restartToken changes
    };
    Kind kind = Kind::Waiting;
    std::string reason;   // CamelCase: the condition's reason, the Event's and lastError.reason
    std::string message;  // one line naming what and where, and what to do
};

// A pod that has not started (waiting) or that ended for a reason of the platform's making.
// Returns nothing for a pod that is fine, starting normally or ended by the runner itself.
std::optional<PodTrouble> podTrouble(const PodView& pod, const std::vector<Json>& podEvents, const Json& job,
                                     const Settings& settings);

// A create the API server refused; nothing for errors that are not refusals (5xx, conflicts).
std::optional<PodTrouble> refusalTrouble(const PodRefusal& refusal, const Json& job, const Settings& settings);

// Whether a status.lastError reason is one the operator writes (the runner never ran, so it
// could not); the operator clears these once a runner starts and never reads them as the runner's.
bool isPodTroubleReason(const std::string& reason);

}  // namespace tidemark::op
