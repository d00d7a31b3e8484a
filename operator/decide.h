// The reconciler's decision: a pure function from what one reconcile observed (the MigrationJob,
// its runner pods, the other jobs, the clock) to the API calls that move the job on. No HTTP
// here; controller.cpp reads the world and executes the actions in order. How it is built:
// decide/job_view.h (the job read into typed facts), decide/predicates.h (the rules' words),
// decide/states.h (each state: when it is entered, its steps, where it goes), decide/plan.h (the
// actions and the status patch they add up to).
//
// Lifecycle (status.phase, derived for display; the conditions are the contract):
//   Pending       admitted? (per-namespace job limit) target free? (no physical copy running there)
//   Prechecking   a `precheck` runner pod; its exit status and status.precheck decide:
//     -> PrecheckFailed  a Failed item, or warnings without spec.precheck.ignoreWarnings; waits for
//                        a spec change or a new spec.precheck.recheck token
//     -> Copying / Replicating   a `run --skip-precheck` runner pod
//   Copying -> Replicating  when the runner reports the full copy done (FullAndIncremental)
//   Copying -> Succeeded    when a Full job's runner exits 0
//   any running phase -> Failed   the runner exits 1 or 2 (its status.lastError is the reason);
//                                  exit 3 or a crash is retried with exponential backoff instead
//   Failed -> running       a new spec.restartToken: the runner restarts with --restart
//   spec.paused             deletes the runner (the checkpoint in the target keeps the position);
//                           unpausing starts it again
//   spec.capacity           applied (runner restarted) while Replicating, Copying after the export,
//                           or Paused; refused during the snapshot export (condition
//                           CapacityApplied=False, status.capacity.current unchanged)
//   a pod that cannot run    (refused, Secret or image missing, OOM-killed, evicted, no runner
//                           binary: pod_trouble.h) Ready=False with the reason, an Event and
//                           status.lastError; retried with backoff, waited on, or Failed
//   deletion                the finalizer holds the job until its runner pods are gone
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

namespace action {
struct AddFinalizer {};
struct RemoveFinalizer {};
// Create (or replace) the ConfigMap, then create the pod.
struct CreatePod {
    Json pod;
    Json configMap;
};
// Delete the pod and the ConfigMap of the same name; absent objects are fine.
struct DeletePod {
    std::string name;
};
// JSON merge patch of the job's status subresource; touches only operator-owned fields
// (phase, stage, progress, observedGeneration, conditions, restarts, restartToken, capacity,
// precheck.recheck, and precheck.items when a new precheck starts).
struct PatchStatus {
    Json status;
};
// Merge patch of metadata.annotations on the job (never changes its generation).
struct PatchAnnotations {
    Json annotations;
};
struct Event {
    bool warning = false;
    std::string reason;  // CamelCase
    std::string message;
};
}  // namespace action

using Action = std::variant<action::AddFinalizer, action::RemoveFinalizer, action::CreatePod, action::DeletePod,
                            action::PatchStatus, action::PatchAnnotations, action::Event>;

struct Decision {
    std::vector<Action> actions;                            // execute in order; stop at the first failure
    std::optional<std::chrono::milliseconds> requeueAfter;  // look again then even if nothing changes
    std::string phase;                                      // the phase the job is in after the actions
};

Decision decide(const Observed& observed, const Settings& settings);

// Helpers shared with the controller and tests.
bool fullCopyComplete(const Json& job);  // the runner reported the copy done (100%)
std::string describe(const Action& a);   // one line, for logs

}  // namespace tidemark::op
