// The text a user reads in `kubectl get mj`: status.stage and status.progress for a phase, from
// what the runner reported (job_view.h). Pure formatting.
#pragma once

#include <string>

#include "operator/decide/job_view.h"

namespace tidemark::op::decision {

// What the runner is doing within a running phase (the Stage column), beyond the phase itself:
// Copying -> "copy"; Replicating -> "cutover" (a cutover runner is up), "stalled" (the runner
// says replay does not keep up), "safe-mode" (conflicting rows replaced after a copy or a
// restart) or "replay"; "" for other phases.
std::string stageFor(const JobView& job, const std::string& phase);
// Where a job that stopped (Failed, Paused) was: the stage it last showed, else its run phase's
// stage, else "precheck" before the precheck passed.
std::string stoppedStage(const JobView& job);
// "40% 1.0 MiB, 4/10 tables" while Copying, "lag 1.5s, 12 rows applied" while Replicating,
// "starting" before the runner reported anything; "" for other phases.
std::string progressFor(const JobView& job, const std::string& phase);
// "1 failed (target_connection)" out of a precheck summary, at most 80 characters.
std::string shortPrecheckProgress(std::string summary);
// One decimal, without a trailing ".0": 1.5 -> "1.5", 2.0 -> "2".
std::string fmtNumber(double v);

}  // namespace tidemark::op::decision
