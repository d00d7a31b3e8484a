// What one reconcile of a MigrationJob sees, read into plain views: the job as the API server
// returned it, the runner pods it owns, and the other jobs the operator knows of. Pure data, no
// HTTP: the decision (decide.h) is computed from these alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "operator/runner_pod_template.h"

namespace tidemark::op {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

// Names the operator writes on objects. Labels select runner pods; annotations on a pod record
// what it was started for, so the decision never needs memory of its own.
namespace names {
inline constexpr const char* kFinalizer = "tidemark.dev/stop-runner";
inline constexpr const char* kLabelApp = "app.kubernetes.io/name";
inline constexpr const char* kRunnerApp = "tidemark-runner";
inline constexpr const char* kLabelJob = "tidemark.dev/job";
inline constexpr const char* kLabelRole = "tidemark.dev/role";  // kRolePrecheck | kRoleRun | kRoleCleanup
inline constexpr const char* kAnnotationPrecheckKey = "tidemark.dev/precheck-key";  // on pods
inline constexpr const char* kAnnotationRetry = "tidemark.dev/retry";               // on pods
inline constexpr const char* kAnnotationCapacity = "tidemark.dev/capacity";         // on pods
inline constexpr const char* kAnnotationRestart = "tidemark.dev/restart";           // on pods
inline constexpr const char* kAnnotationCutover = "tidemark.dev/cutover";           // on pods: the token
// On the MigrationJob: the precheck key (spec + recheck token) whose result the conditions hold.
inline constexpr const char* kAnnotationPrechecked = "tidemark.dev/prechecked";
// On the MigrationJob, set by the user: "true" = deleting the job keeps its rows in the target's
// tidemark_meta (a job re-created with the same tidemark.dev/instance-id continues from them).
inline constexpr const char* kAnnotationKeepCheckpoints = "tidemark.dev/keep-checkpoints";
// Runner pod roles: the precheck, the run (copy and replay), and the pod that deletes a deleted
// job's rows from tidemark_meta (`tidemark-runner forget`).
inline constexpr const char* kRolePrecheck = "precheck";
inline constexpr const char* kRoleRun = "run";
inline constexpr const char* kRoleCleanup = "cleanup";
}  // namespace names

// The API server refused to create a runner pod (admission: a missing ServiceAccount, Pod
// Security, a quota, a webhook). Only the controller sees the refusal, so it decides again with
// it at once; the decision records it in the status, which is what later reconciles read.
struct PodRefusal {
    std::string podName;
    int code = 0;         // HTTP status: 403 Forbidden, 422 Invalid, ...
    std::string reason;   // the Status reason, e.g. "Forbidden"
    std::string message;  // the Status message, e.g. `pods "x" is forbidden: exceeded quota: ...`
};

// Who runs and what for.
struct Observed {
    Json job;                     // the MigrationJob (metadata, spec with defaults, status)
    std::vector<Json> pods;       // pods labelled tidemark.dev/job=<name> in the job's namespace
    std::vector<Json> otherJobs;  // every MigrationJob the operator sees (any namespace; the job
                                  // itself may be among them and is ignored)
    Clock::time_point now;
    // Warning Events about the job's pods that have not started (a kubelet reports a missing
    // Secret only as a FailedMount Event while the pod stays in ContainerCreating).
    std::vector<Json> podEvents;
    std::optional<PodRefusal> refused;  // set only right after a refused create
};

// Operator settings that shape decisions (from flags / Helm values).
struct Settings {
    std::string runnerImage = "ghcr.io/tidemark/tidemark:0.1.0";
    std::string runnerImagePullPolicy = "IfNotPresent";
    std::string runnerServiceAccount = "tidemark-runner";
    int maxJobsPerNamespace = 200;
    std::chrono::seconds retryBase{10};  // first retry after this, doubling per attempt
    std::chrono::seconds retryCap{300};
    double syncedLagSeconds = 10;  // Synced=True at or below this replay lag
    RunnerPodTemplate runnerPod;   // --runner-pod-template: scheduling, labels, resources per unit
};

// A runner pod as the decision needs it.
struct PodView {
    std::string name;
    std::string role;  // "precheck" | "run" | "cleanup"
    std::string precheckKey;
    int retry = 0;  // consecutive retries before this pod (0 = first attempt)
    int capacity = 0;
    bool restart = false;      // started with --restart
    std::string cutoverToken;  // started with --cutover-at for this spec.cutover.token; "" = not
    bool deleting = false;
    std::string phase;  // Pending | Running | Succeeded | Failed | Unknown
    std::optional<int> exitCode;
    Clock::time_point createdAt{};
    std::optional<Clock::time_point> finishedAt;
    std::string waitingReason;  // e.g. CreateContainerConfigError (a missing Secret)
    std::string waitingMessage;
    std::string terminatedReason;  // e.g. OOMKilled, StartError, Error, Completed
    std::string terminatedMessage;
    std::string podReason;  // status.reason of the pod, e.g. Evicted
    std::string podMessage;
    std::string image;        // of the runner container
    std::string memoryLimit;  // resources.limits.memory of the runner container, e.g. "1024Mi"

    bool terminated() const { return exitCode.has_value() || phase == "Succeeded" || phase == "Failed"; }
    // The numbers at the end of the name ("shop-run-3-1" -> {3, 1}): orders the pods of one role.
    std::vector<long long> sequence() const;
};
PodView viewPod(const Json& pod);

// Reads a value at a JSON pointer ("/spec/capacity"), or the fallback when absent/mistyped.
std::string str(const Json& j, const char* pointer, const std::string& fallback = "");
int64_t integer(const Json& j, const char* pointer, int64_t fallback = 0);
double number(const Json& j, const char* pointer, double fallback = 0);
bool boolean(const Json& j, const char* pointer, bool fallback = false);
const Json* at(const Json& j, const char* pointer);  // nullptr when absent

// RFC 3339 UTC ("2026-01-02T03:04:05Z", fractional seconds accepted when parsing).
std::string formatTime(Clock::time_point t);
std::optional<Clock::time_point> parseTime(const std::string& text);

// The key of "this spec, checked for this recheck token": FNV-1a over the spec with the fields
// that never call for a new precheck removed (paused, capacity, restartToken, runnerPod, cutover,
// ddl, target.limits, precheck.recheck),
// plus the recheck token. 16 hex digits.
std::string precheckKey(const Json& job);

}  // namespace tidemark::op
