// The runner pod for a MigrationJob and the ConfigMap holding the manifest it runs (pure: builds
// JSON objects, never talks to the API).
//
// Layout inside the pod:
//   /etc/tidemark/job/job.yaml                   the MigrationJob manifest (-f), from the ConfigMap
//                                                named like the pod; capacity is the one this pod runs with
//   /etc/tidemark/secrets/<secretName>/<key>     every credential and TLS Secret the spec names,
//                                                one read-only projected volume (the layout
//                                                --secrets-dir reads); the operator never reads them
// Env: TIDEMARK_JOB_NAME / TIDEMARK_JOB_NAMESPACE (the runner then reports into the job's status
// subresource), TIDEMARK_CAPACITY, POD_NAME.
#pragma once

#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

inline constexpr const char* kJobMountDir = "/etc/tidemark/job";
inline constexpr const char* kSecretsMountDir = "/etc/tidemark/secrets";
inline constexpr int kRunnerMetricsPort = 9090;                       // run pods serve /metrics and /healthz here
inline constexpr const char* kTmpMountDir = "/var/run/tidemark/tmp";  // emptyDir (read-only root fs)

struct RunnerPodRequest {
    std::string role;  // "precheck", "run" or names::kRoleCleanup ("cleanup": `forget` on deletion)
    std::string podName;
    int capacity = 2;
    int retry = 0;            // consecutive retries before this pod
    bool restart = false;     // run --restart (safe mode after an error)
    std::string precheckKey;  // precheck pods: the key they check
};

struct RunnerPod {
    Json pod;
    Json configMap;
};

// Requires job to hold metadata.name/namespace/uid and a spec. settings.runnerPod shapes the
// pod (scheduling, pull secrets, extra labels and annotations, resources per capacity unit).
RunnerPod buildRunnerPod(const Json& job, const RunnerPodRequest& request, const Settings& settings);

// CPU and memory a capacity buys: `perUnit` times the capacity (by default half a core
// requested, a core as limit, 512Mi requested and as limit per unit). "" = not set.
struct PodResources {
    std::string cpuRequest, cpuLimit, memoryRequest, memoryLimit;
};
PodResources resourcesFor(int capacity, const RunnerPodTemplate::PerUnit& perUnit = {});

// Reads --runner-pod-template: a JSON object with any of imagePullSecrets (names, or
// [{name: ...}] as in a pod spec), nodeSelector, tolerations, affinity, priorityClassName,
// labels, annotations, resourcesPerCapacityUnit {cpuRequest, cpuLimit, memoryRequest,
// memoryLimit}. Throws std::invalid_argument naming the field: an unknown or mistyped field, a
// quantity Kubernetes would not take, or a label or annotation the operator owns.
RunnerPodTemplate parseRunnerPodTemplate(const std::string& json);

// `quantity` (e.g. "500m", "1.5Gi", "2") times `n`, written as a Kubernetes quantity; "" stays
// "". Throws std::invalid_argument when `quantity` is not a plain decimal with an optional
// suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei; at most 3 decimals, none with m).
std::string scaleQuantity(const std::string& quantity, int n);

// Secret names the spec refers to, without duplicates, in spec order.
std::vector<std::string> secretNames(const Json& job);

}  // namespace tidemark::op
