// How the cluster admin shapes every runner pod (Helm values runner.pod.*, passed to the
// operator as --runner-pod-template JSON; parseRunnerPodTemplate() in runner_pod.h reads it and
// buildRunnerPod() applies it). Plain data; everything here has been validated when parsed.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tidemark::op {

struct RunnerPodTemplate {
    std::vector<std::string> imagePullSecrets;               // Secret names
    nlohmann::json nodeSelector = nlohmann::json::object();  // string -> string
    nlohmann::json tolerations = nlohmann::json::array();    // core/v1 Toleration objects
    nlohmann::json affinity = nlohmann::json::object();      // core/v1 Affinity
    std::string priorityClassName;
    // Added to the pod's own; the operator's labels and annotations (app.kubernetes.io/name,
    // app.kubernetes.io/managed-by and tidemark.dev/*) cannot be set here: it selects and reads
    // pods by them.
    std::map<std::string, std::string> labels, annotations;
    // What one capacity unit buys, as Kubernetes quantities; a pod of capacity N gets N times
    // each. "" leaves that request or limit unset (e.g. no CPU limit).
    struct PerUnit {
        std::string cpuRequest = "500m", cpuLimit = "1000m", memoryRequest = "512Mi", memoryLimit = "512Mi";
    } resourcesPerCapacityUnit;
};

}  // namespace tidemark::op
