// The subcommands of tidemark-runner. Each returns the process exit status.
#pragma once

#include "api/migration_job.h"
#include "api/runner_contract.h"
#include "runner/cli/options.h"
#include "runner/db/connection.h"

#include <atomic>

namespace tidemark::cli {

// Exit statuses: the operator reads them (api/runner_contract.h).
using api::contract::kExitBadInput;
using api::contract::kExitFailed;
using api::contract::kExitOk;
using api::contract::kExitRetryable;

struct Job {
    api::MigrationJob spec;
    db::ConnectOptions source;
    db::ConnectOptions target;
};

// Reads the manifest and the Secrets it names; throws ManifestError / CredentialsError.
Job loadJob(const Options& options);

int commandPrecheck(const Job& job, const Options& options);
// Precheck, full copy and/or replay, until done or `stop` is set. With options.stopAt
// (--cutover-at), replay ends at that position with the cutover (runner/cutover/cutover.h):
// exit 0 when safe to switch, 1 when not.
int commandRun(const Job& job, const Options& options, const std::atomic<bool>& stop);
// The cutover alone (after the copy, when the job has one left to do): prints its report; exit 0
// only when safe to switch, 1 when not, 3 when a server was unreachable.
int commandCutover(const Job& job, const Options& options, const std::atomic<bool>& stop);
int commandVerify(const Job& job, const Options& options);
// Deletes the job instance's rows from the target's tidemark_meta (meta/job_instance.h).
int commandForget(const Job& job, const Options& options);

}  // namespace tidemark::cli
