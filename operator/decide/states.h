// The states a MigrationJob goes through and the steps each one takes. decide.cpp picks the one
// state a job is in (pickState, in the order listed here) and runs its steps; every step reads
// the job's view (job_view.h) and writes into the plan (plan.h), never anything else.
//
// Each state below says when it is entered, what its steps do, and where the job goes next.
#pragma once

#include "operator/decide.h"
#include "operator/decide/job_view.h"
#include "operator/decide/plan.h"

namespace tidemark::op::decision {

enum class State {
    // metadata.deletionTimestamp is set (state_deleting.cpp). Stops the runner pods, then runs a
    // `forget` cleanup pod for the job's rows in tidemark_meta (unless the job never ran a runner
    // or keeps its checkpoints), then removes the finalizer. Writes no status.
    Deleting,
    // The runner would refuse the spec, or spec.runnerPod is no pod shape (state_validate.cpp).
    // Stops every pod; phase Failed, Validated=False InvalidSpec naming the field. A fixed spec
    // goes on to Prechecking.
    InvalidSpec,
    // Not started, and older jobs of the namespace fill --max-jobs-per-namespace
    // (state_validate.cpp). Phase Pending, Validated=False TooManyJobs; starts once one goes.
    OverJobLimit,
    // spec.paused on a job that has not ended (state_paused.cpp). Deletes the runner (the target
    // keeps the checkpoint), takes a capacity change for the resume; unpausing goes on where the
    // job was (a precheck again if it had not passed).
    Paused,
    // Not started, and a physical-mode full copy runs into the same target (state_validate.cpp).
    // Phase Pending, Ready=False TargetBusy; starts when that copy is done.
    WaitingForTarget,
    // Before the precheck passed, a runner pod could not run for a reason no retry mends (no
    // runner binary, refused by Pod Security: pod_trouble.h), and nothing changed since
    // (state_failed.cpp). Phase Failed, stays; a new generation (a fix, a new restartToken)
    // -> Prechecking from a fresh pod.
    PrecheckPodFailed,
    // No precheck result for this spec and recheck token (state_precheck.cpp). Runs a `precheck`
    // pod, waiting for other pods to stop first; retries exit 3, crashes, OOM kills and evictions
    // with backoff. Exit 0 with no Failed item (and warnings only if ignored) -> Copying or
    // Replicating; otherwise -> PrecheckFailed.
    Prechecking,
    // The precheck failed for this spec and recheck token (state_precheck.cpp). Keeps its pod for
    // `kubectl logs`; a spec change or a new spec.precheck.recheck -> Prechecking.
    PrecheckFailed,
    // After the precheck passed, the runner failed (exit 1 or 2) or its pod could not run for a
    // reason no retry mends (state_failed.cpp). Stays; a new spec.restartToken -> Restarting.
    Failed,
    // Failed, and spec.restartToken changed (state_failed.cpp): the runner restarts with
    // --restart (replay resumes in safe mode) -> Copying or Replicating.
    Restarting,
    // The precheck passed: a `run --skip-precheck` pod copies and replicates (state_run.cpp).
    // Phase Copying, then Replicating once the runner reports the copy done; a Full job whose
    // runner exits 0 -> Succeeded; exit 1 or 2 -> Failed; exit 3, a crash, an OOM kill, an
    // eviction or a pod gone -> retried with backoff (status.restarts counts); capacity changes
    // restart the runner unless the snapshot export runs.
    Running,
    // A Full job finished its copy (state_run.cpp). Stays.
    Succeeded,
    // The report of the cutover spec.cutover.token asked for is in, and spec.cutover.afterwards
    // is Pause (state_cutover.cpp): the runner stays stopped at the stop position, so nothing
    // written to the source afterwards reaches the target; phase Paused, stage cutover,
    // CutoverReady True (Safe) or False (Unsafe, with the reasons). A new token -> Running (the
    // runner restarts for another cutover); afterwards Continue or no token -> Running.
    CutOver,
};

// Where the job is now. Pure; the first state whose condition holds, in the order above.
State pickState(const JobView& job, const Settings& settings);
// Of the states once the precheck passed (Failed, Restarting, Running, Succeeded, CutOver), the job's.
State stateOncePrechecked(const JobView& job);

// ---- each state's steps ------------------------------------------------------------------

Decision finalize(const JobView& job, const Settings& settings);  // Deleting: its own action order

void refuseInvalidSpec(const JobView& job, Plan& plan);
void holdOverJobLimit(const JobView& job, const Settings& settings, Plan& plan);
// Every state from Paused on: the spec is valid and admitted (Validated=True).
void markValid(Plan& plan);
void pause(const JobView& job, Plan& plan);
void waitForTarget(const JobView& job, Plan& plan);
// Returns true when the precheck passed just now: the runner starts in the same reconcile.
bool precheck(const JobView& job, const Settings& settings, Plan& plan);
void holdPrecheckFailed(const JobView& job, Plan& plan);
void stayFailed(const JobView& job, Plan& plan);  // Failed and PrecheckPodFailed
// The states once the precheck passed get the newest run pod (keepNewestRunPod), if any.
void restartFailed(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod);
void run(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod);
// Running's cutover steps: restart the runner as a cutover runner for a new spec.cutover.token
// (once the copy is done), and record its report when it ends. True when they decided this
// reconcile; false leaves the runner to Running's ordinary steps.
bool cutoverSteps(const JobView& job, const Settings& settings, Plan& plan, const PodView* runPod);
void holdAtCutover(const JobView& job, Plan& plan);
void staySucceeded(Plan& plan);

// After the steps of every state but Deleting: the Succeeded and Failed conditions (for
// `kubectl wait`), start and completion times, and one Event per DDL the runner skipped.
void reportOutcome(const JobView& job, Plan& plan);

// ---- steps shared between states ---------------------------------------------------------

// Records spec.restartToken as acted on when it is new (status.restartToken).
void recordRestartToken(const JobView& job, Plan& plan);
// Once the precheck passed: its pods go, and of the run pods only the newest stays. Returns it.
const PodView* keepNewestRunPod(const JobView& job, Plan& plan);
// Starts a `run` pod (unless another is still stopping or creates back off from a refusal):
// named for the generation and restart count, sized by the capacity it may use. A non-empty
// `reason` gets an Event naming the pod; countRestart adds one to status.restarts.
void startRunner(const JobView& job, const Settings& settings, Plan& plan, int retryCount, bool restart,
                 const std::string& reason, const std::string& message, bool countRestart = false);

}  // namespace tidemark::op::decision
