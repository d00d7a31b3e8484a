// The runner pod for a MigrationJob and the ConfigMap holding the manifest it runs (pure: builds
// JSON objects, never talks to the API).
//
// The pod follows api/runner_contract.h: the manifest comes from a ConfigMap named like the pod
// (capacity set to the one this pod runs with); every credential and TLS Secret the spec names is
// one read-only projected volume (the operator never reads them); POD_NAME is set too.
#pragma once

#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

// The pod's layout, env and ports are the runner's contract: api/runner_contract.h.

struct RunnerPodRequest {
    std::string role;  // "precheck", "run" or names::kRoleCleanup ("cleanup": `forget` on deletion)
    std::string podName;
    int capacity = 2;
    int retry = 0;            // consecutive retries before this pod
    bool restart = false;     // run --restart (safe mode after an error)
    std::string precheckKey;  // precheck pods: the key they check
    // Run pods asked for a cutover: `run --cutover-at <cutoverAt>` for spec.cutover.token
    // `cutoverToken` (recorded on the pod); "" = replicate on.
    std::string cutoverAt, cutoverToken;
};

struct RunnerPod {
    Json pod;
    Json configMap;
};

// Requires job to hold metadata.name/namespace/uid and a spec. settings.runnerPod with the job's
// spec.runnerPod over it (runnerPodTemplateFor) shapes the pod (scheduling, pull secrets, extra
// labels and annotations, resources per capacity unit).
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

// The template for one job: `admin` (the operator's --runner-pod-template) with the job's
// spec.runnerPod over it. The job's fields replace the admin's, except labels and annotations
// (merged, the job's win) and imagePullSecrets (added). Throws std::invalid_argument naming
// spec.runnerPod.<field> when a value is wrong (the decision reports it as an invalid spec).
RunnerPodTemplate runnerPodTemplateFor(const Json& job, const RunnerPodTemplate& admin);

// `quantity` (e.g. "500m", "1.5Gi", "2") times `n`, written as a Kubernetes quantity; "" stays
// "". Throws std::invalid_argument when `quantity` is not a plain decimal with an optional
// suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei; at most 3 decimals, none with m).
std::string scaleQuantity(const std::string& quantity, int n);

// Secret names the spec refers to, without duplicates, in spec order.
std::vector<std::string> secretNames(const Json& job);

}  // namespace tidemark::op
