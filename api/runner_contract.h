// The contract between the operator and the runner: what a runner pod is given, what the runner
// answers with (its exit code) and which parts of MigrationJob.status each side writes. Both
// binaries include this header; nothing else states these facts.
//
// The operator starts a runner pod per step (precheck, run, cleanup) with:
//   <kJobMountDir>/<kJobManifestFile>         the MigrationJob manifest (-f)
//   <kSecretsMountDir>/<secretName>/<key>     every Secret the spec names (--secrets-dir)
//   env kEnvJobName, kEnvJobNamespace         the runner then reports into the job's status
//   env kEnvCapacity, kEnvSecretsDir          (subresource), see "status" below
//   env TMPDIR = kTmpMountDir                 an emptyDir; the root filesystem is read-only
//   port kRunnerMetricsPort                   /metrics and /healthz of `run` pods
//
// Status: the runner owns the blocks kRunnerBlocks (it writes them with JSON merge patches);
// the operator owns every other field (phase, stage, progress, conditions, observedGeneration,
// startTime, completionTime, restarts, restartToken, capacity, cutoverToken, and
// precheck.recheck). The operator decides from the runner's exit code and these fields:
//   fullCopy.done        true once the whole full copy is in the target (never before)
//   incremental.stalled  {reason, message, since} while replay is not keeping up; absent otherwise
//   lastError            {reason, message, retryable} of the runner's last failure
//   precheck.items       [{name, state: Pass|Warning|Failed, message}]
//   cutover.state        Safe or Unsafe once `run --cutover-at` ends (exit 0 / 1; runner/cutover/)
#pragma once

#include <array>
#include <string_view>

namespace tidemark::api::contract {

// How a runner process ends. Anything else (a signal, OOM) is a crash: the operator retries it.
enum ExitCode : int {
    kExitOk = 0,         // done: the step finished (a Full job copied, a precheck passed)
    kExitFailed = 1,     // failed for a reason status.lastError names; retrying will not help
    kExitBadInput = 2,   // the manifest or the command line is wrong
    kExitRetryable = 3,  // a transient failure (a server unreachable, a lock timeout): retry
};

// Runner subcommands the operator starts, by pod role.
inline constexpr std::string_view kCommandPrecheck = "precheck";
inline constexpr std::string_view kCommandRun = "run";
inline constexpr std::string_view kCommandForget = "forget";

inline constexpr std::string_view kJobMountDir = "/etc/tidemark/job";
inline constexpr std::string_view kJobManifestFile = "job.yaml";
inline constexpr std::string_view kSecretsMountDir = "/etc/tidemark/secrets";
inline constexpr std::string_view kTmpMountDir = "/var/run/tidemark/tmp";
inline constexpr int kRunnerMetricsPort = 9090;

inline constexpr std::string_view kEnvJobName = "TIDEMARK_JOB_NAME";
inline constexpr std::string_view kEnvJobNamespace = "TIDEMARK_JOB_NAMESPACE";
inline constexpr std::string_view kEnvCapacity = "TIDEMARK_CAPACITY";
inline constexpr std::string_view kEnvSecretsDir = "TIDEMARK_SECRETS_DIR";
inline constexpr std::string_view kEnvJobId = "TIDEMARK_JOB_ID";

// Status blocks the runner writes; the operator never patches inside them (except
// precheck.recheck and clearing precheck.items when a new precheck starts).
inline constexpr std::string_view kBlockPrecheck = "precheck";
inline constexpr std::string_view kBlockFullCopy = "fullCopy";
inline constexpr std::string_view kBlockIncremental = "incremental";
inline constexpr std::string_view kBlockLastError = "lastError";
inline constexpr std::string_view kBlockCutover = "cutover";
// A job of several sources: each source's blocks by source id (runner/status/sources_status.h).
inline constexpr std::string_view kBlockSources = "sources";
inline constexpr std::array<std::string_view, 6> kRunnerBlocks = {kBlockPrecheck,  kBlockFullCopy, kBlockIncremental,
                                                                  kBlockLastError, kBlockCutover,  kBlockSources};
constexpr bool runnerOwns(std::string_view block) {
    for (auto b : kRunnerBlocks)
        if (b == block) return true;
    return false;
}

// Field names inside the runner's blocks that the operator reads.
inline constexpr std::string_view kFullCopyDone = "done";
inline constexpr std::string_view kIncrementalStalled = "stalled";

}  // namespace tidemark::api::contract
