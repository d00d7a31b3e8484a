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

#include "operator/observed.h"

namespace tidemark::op {

inline constexpr const char* kJobMountDir = "/etc/tidemark/job";
inline constexpr const char* kSecretsMountDir = "/etc/tidemark/secrets";
inline constexpr int kRunnerMetricsPort = 9090;                       // run pods serve /metrics and /healthz here
inline constexpr const char* kTmpMountDir = "/var/run/tidemark/tmp";  // emptyDir (read-only root fs)

struct RunnerPodRequest {
    std::string role;  // "precheck" or "run"
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

// Requires job to hold metadata.name/namespace/uid and a spec.
RunnerPod buildRunnerPod(const Json& job, const RunnerPodRequest& request, const Settings& settings);

// CPU (cores) and memory (GiB) a capacity buys: half a core and half a GiB per unit.
struct PodResources {
    std::string cpuRequest, cpuLimit, memoryRequest, memoryLimit;
};
PodResources resourcesFor(int capacity);

// Secret names the spec refers to, without duplicates, in spec order.
std::vector<std::string> secretNames(const Json& job);

}  // namespace tidemark::op
