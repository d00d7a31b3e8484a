// The subcommands of tidemark-runner. Each returns the process exit status.
#pragma once

#include "api/migration_job.h"
#include "api/runner_contract.h"
#include "runner/cli/options.h"
#include "runner/db/connection.h"

#include <atomic>
#include <vector>

namespace tidemark::cli {

// Exit statuses: the operator reads them (api/runner_contract.h).
using api::contract::kExitBadInput;
using api::contract::kExitFailed;
using api::contract::kExitOk;
using api::contract::kExitRetryable;

// One source's view of the job: a job of several sources (spec.sources) has one per source, each
// with spec = MigrationJob::forSource(its id) (its own instance key and checkpoints).
struct Job {
    api::MigrationJob spec;
    db::ConnectOptions source;
    db::ConnectOptions target;
};
using Jobs = std::vector<Job>;

// Reads the manifest and the Secrets it names, one Job per source in spec order; throws
// ManifestError / CredentialsError.
Jobs loadJobs(const Options& options);

// The commands work on the sources --source names (all without it); a job of several sources
// runs them at once (each_source.h) and sums up their results. `all`: every source of the job.

int commandPrecheck(const Jobs& all, const Options& options);
// Precheck, full copy and/or replay, until done or `stop` is set. With options.stopAt
// (--cutover-at), replay ends at that position with the cutover (runner/cutover/cutover.h):
// exit 0 when safe to switch, 1 when not.
int commandRun(const Jobs& all, const Options& options, const std::atomic<bool>& stop);
// The cutover alone (after the copy, when the job has one left to do): prints its report; exit 0
// only when safe to switch, 1 when not, 3 when a server was unreachable.
int commandCutover(const Jobs& all, const Options& options, const std::atomic<bool>& stop);
int commandVerify(const Jobs& all, const Options& options);
// Deletes the job instance's rows from the target's tidemark_meta (meta/job_instance.h): each
// source's, and for a job of several sources (all of them chosen) the rows they share.
int commandForget(const Jobs& all, const Options& options);

}  // namespace tidemark::cli
