// Small named questions about a job, answered from its view alone (job_view.h). The decision
// (decide.cpp's pickState and the states' steps) is written in these words, so each rule has one
// name and one place.
#pragma once

#include <string>

#include "operator/decide/job_view.h"
#include "operator/observed.h"

namespace tidemark::op::decision {

// ---- where the job is ----------------------------------------------------------------------
// The job got past Pending at some point: admission and the target check no longer apply.
bool started(const JobView& job);
// spec.paused stops the job, unless it already ended (Failed, PrecheckFailed, Succeeded).
bool pauseApplies(const JobView& job);

// ---- admission -----------------------------------------------------------------------------
// Older live jobs of the namespace already fill --max-jobs-per-namespace: this one never starts.
bool overJobLimit(const JobView& job, const Settings& settings);
// Another job running (or about to run) a physical-mode full copy into this job's target;
// nullptr when the target is free.
const Json* targetHeldByPhysicalCopy(const JobView& job);

// ---- the precheck --------------------------------------------------------------------------
// The conditions hold a result for the spec and recheck token as they are now...
bool precheckPassed(const JobView& job);  // ...and it passed: the runner may go on
bool precheckFailed(const JobView& job);  // ...and it failed: wait for a change or a recheck
// The job is Failed because its spec was invalid (Validated=False InvalidSpec), nothing else.
bool failedOnInvalidSpec(const JobView& job);
// The job failed because a runner pod could not run (pod_trouble.h), not by the runner's word.
bool failedByPodTrouble(const JobView& job);
// The Failed state was already reported for this generation: nothing changed since.
bool failureReportedForThisGeneration(const JobView& job);

// ---- the runner ----------------------------------------------------------------------------
// spec.restartToken differs from the last one acted on (status.restartToken).
bool restartRequested(const JobView& job);
// fullCopy.done: the runner wrote the whole full copy into the target.
bool fullCopyDone(const JobView& job);
// The runner reported a full copy that is not done yet.
bool fullCopyReportedIncomplete(const JobView& job);
// What the runner is doing: Copying until the full copy is done (or replay applied something),
// Replicating after; a Full job always copies, an Incremental one always replicates.
std::string runPhase(const JobView& job);
// A new capacity is applied (the runner restarted with it) only when no snapshot export runs.
bool scalingAllowed(const JobView& job, const std::string& phase);

// ---- the cutover (spec.cutover) --------------------------------------------------------------
// spec.cutover.token is set and no report for it is in yet (status.cutoverToken differs).
bool cutoverRequested(const JobView& job);
// The runner's report for spec.cutover.token is in.
bool cutoverReported(const JobView& job);
// The report is in and the job stays at the stop position (spec.cutover.afterwards Pause).
bool heldAtCutover(const JobView& job);
// The pod is the runner of the cutover spec.cutover.token asks for.
bool runsRequestedCutover(const JobView& job, const PodView& pod);

// ---- what a runner pod's end means (api/runner_contract.h exit codes) -----------------------
bool runnerFinished(const PodView& pod);       // exit 0: the step is done
bool runnerFailedForGood(const PodView& pod);  // exit 1 (lastError says why) or 2 (bad input)
bool runnerRefusedInput(const PodView& pod);   // exit 2: the manifest or its Secrets are wrong
// Exit 3, a crash or a kill: anything but the three answers above is worth another try.
bool retryableExit(const PodView& pod);

// The runner's own status.lastError message; "" when there is none or the operator wrote it
// (a pod that could not run cannot have written it).
std::string runnerError(const JobView& job);

}  // namespace tidemark::op::decision
