// The conditions of a job whose runner is up, from what the runner reports (job_view.h):
// FullCopyComplete, Stalled and Synced (replay keeping up with the source), and Ready.
#pragma once

#include <string>

#include "operator/decide/job_view.h"
#include "operator/decide/plan.h"

namespace tidemark::op::decision {

// `phase` is the run phase (Copying or Replicating); `pod` the runner pod that is up or starting.
// A stalled replay (status.incremental.stalled) gets Stalled=True with the runner's reason and
// one Warning Event; flowing again gets an Event too. Synced=True at or below
// settings.syncedLagSeconds of lag.
void setRunConditions(const JobView& job, const Settings& settings, Plan& plan, const std::string& phase,
                      const PodView& pod);

}  // namespace tidemark::op::decision
