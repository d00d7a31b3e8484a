#include "operator/runner_pod.h"

#include <algorithm>

namespace tidemark::op {

PodResources resourcesFor(int capacity) {
    const int units = std::max(capacity, 1);
    // 1 unit = 500m CPU, 512Mi memory; the limit allows bursts to twice the CPU.
    return PodResources{std::to_string(units * 500) + "m", std::to_string(units * 1000) + "m",
                        std::to_string(units * 512) + "Mi", std::to_string(units * 512) + "Mi"};
}

std::vector<std::string> secretNames(const Json& job) {
    std::vector<std::string> out;
    for (const char* p : {"/spec/source/credentialsSecret/name", "/spec/target/credentialsSecret/name",
                          "/spec/source/tls/secretName", "/spec/target/tls/secretName"}) {
        const std::string name = str(job, p);
        if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
}

RunnerPod buildRunnerPod(const Json& job, const RunnerPodRequest& r, const Settings& settings) {
    const std::string name = str(job, "/metadata/name");
    const std::string ns = str(job, "/metadata/namespace", "default");

    // The manifest the runner reads: the spec as stored (defaults applied), with the capacity
    // this pod runs with. Trigger fields mean nothing to the runner but parse fine.
    Json spec = job.value("spec", Json::object());
    spec["capacity"] = r.capacity;
    spec["paused"] = false;
    const Json manifest = {{"apiVersion", "tidemark.dev/v1alpha1"},
                           {"kind", "MigrationJob"},
                           {"metadata", {{"name", name}, {"namespace", ns}}},
                           {"spec", spec}};

    const Json owner = {
        {"apiVersion", "tidemark.dev/v1alpha1"}, {"kind", "MigrationJob"}, {"name", name},
        {"uid", str(job, "/metadata/uid")},      {"controller", true},     {"blockOwnerDeletion", true}};
    const Json labels = {{names::kLabelApp, names::kRunnerApp},
                         {"app.kubernetes.io/managed-by", "tidemark-operator"},
                         {names::kLabelJob, name},
                         {names::kLabelRole, r.role}};

    Json configMap = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", r.podName}, {"namespace", ns}, {"labels", labels}, {"ownerReferences", {owner}}}},
        {"data", {{"job.yaml", manifest.dump(2) + "\n"}}}};

    Json args = Json::array({r.role == "precheck" ? "precheck" : "run", "-f", std::string(kJobMountDir) + "/job.yaml",
                             "--secrets-dir", kSecretsMountDir, "--output", "json"});
    if (r.role == "run") {
        args.push_back("--skip-precheck");
        args.push_back("--metrics-addr");
        args.push_back(":" + std::to_string(kRunnerMetricsPort));
    }
    if (r.restart) args.push_back("--restart");

    Json volumes = Json::array(
        {{{"name", "job"}, {"configMap", {{"name", r.podName}}}}, {{"name", "tmp"}, {"emptyDir", Json::object()}}});
    Json mounts = Json::array({{{"name", "job"}, {"mountPath", kJobMountDir}, {"readOnly", true}},
                               {{"name", "tmp"}, {"mountPath", kTmpMountDir}}});
    // One projected volume holds every Secret the spec names, each under its own directory:
    // <secretName>/username|password for credentials, <secretName>/ca.crt|tls.crt|tls.key for TLS
    // (TLS keys are optional: any of the three combinations is valid).
    Json sources = Json::array();
    for (const auto& secret : secretNames(job)) {
        const bool tls =
            secret == str(job, "/spec/source/tls/secretName") || secret == str(job, "/spec/target/tls/secretName");
        const bool credentials = secret == str(job, "/spec/source/credentialsSecret/name") ||
            secret == str(job, "/spec/target/credentialsSecret/name");
        Json items = Json::array();
        if (credentials)
            for (const char* key : {"username", "password"})
                items.push_back({{"key", key}, {"path", secret + "/" + key}});
        if (tls)
            for (const char* key : {"ca.crt", "tls.crt", "tls.key"})
                items.push_back({{"key", key}, {"path", secret + "/" + key}});
        Json source = {{"name", secret}, {"items", items}};
        if (tls && !credentials) source["optional"] = true;  // missing keys allowed; the runner names what it lacks
        sources.push_back({{"secret", source}});
        // A credentials Secret may pin the server's RSA key for caching_sha2_password without TLS
        // (runner/db/credentials.h): the same Secret again, that key only, optional.
        if (credentials)
            sources.push_back(
                {{"secret",
                  {{"name", secret},
                   {"items",
                    Json::array({{{"key", "server-public-key.pem"}, {"path", secret + "/server-public-key.pem"}}})},
                   {"optional", true}}}});
    }
    if (!sources.empty()) {
        // World-readable inside the pod: its files are root-owned and the runner runs under whatever
        // non-root UID the cluster assigns (no fsGroup is pinned, so OpenShift's ranges admit it);
        // the pod holds only the runner.
        volumes.push_back({{"name", "secrets"}, {"projected", {{"sources", sources}, {"defaultMode", 0444}}}});
        mounts.push_back({{"name", "secrets"}, {"mountPath", kSecretsMountDir}, {"readOnly", true}});
    }

    const PodResources res = resourcesFor(r.capacity);
    Json env = Json::array({
        {{"name", "TIDEMARK_JOB_NAME"}, {"value", name}},
        {{"name", "TIDEMARK_JOB_NAMESPACE"}, {"value", ns}},
        {{"name", "TIDEMARK_CAPACITY"}, {"value", std::to_string(r.capacity)}},
        {{"name", "TIDEMARK_SECRETS_DIR"}, {"value", kSecretsMountDir}},
        {{"name", "TMPDIR"}, {"value", kTmpMountDir}},
        {{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
    });

    Json annotations = {{names::kAnnotationRetry, std::to_string(r.retry)},
                        {names::kAnnotationCapacity, std::to_string(r.capacity)},
                        {names::kAnnotationRestart, r.restart ? "true" : "false"}};
    if (!r.precheckKey.empty()) annotations[names::kAnnotationPrecheckKey] = r.precheckKey;

    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", r.podName},
                  {"namespace", ns},
                  {"labels", labels},
                  {"annotations", annotations},
                  {"ownerReferences", {owner}}}},
                {"spec",
                 {{"restartPolicy", "Never"},
                  {"serviceAccountName", settings.runnerServiceAccount},
                  {"terminationGracePeriodSeconds", 60},
                  // Pod Security "restricted": non-root without a pinned UID (the image's USER, or the
                  // namespace's range on OpenShift), the runtime's default seccomp profile.
                  {"securityContext", {{"runAsNonRoot", true}, {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
                  {"containers",
                   {{{"name", "runner"},
                     {"image", settings.runnerImage},
                     {"imagePullPolicy", settings.runnerImagePullPolicy},
                     {"command", {"tidemark-runner"}},
                     {"args", args},
                     {"ports",
                      Json::array({{{"name", "metrics"}, {"containerPort", kRunnerMetricsPort}, {"protocol", "TCP"}}})},
                     {"env", env},
                     {"resources",
                      {{"requests", {{"cpu", res.cpuRequest}, {"memory", res.memoryRequest}}},
                       {"limits", {{"cpu", res.cpuLimit}, {"memory", res.memoryLimit}}}}},
                     {"securityContext",
                      {{"allowPrivilegeEscalation", false},
                       {"runAsNonRoot", true},
                       {"readOnlyRootFilesystem", true},
                       {"seccompProfile", {{"type", "RuntimeDefault"}}},
                       {"capabilities", {{"drop", {"ALL"}}}}}},
                     {"volumeMounts", mounts}}}},
                  {"volumes", volumes}}}};
    return RunnerPod{std::move(pod), std::move(configMap)};
}

}  // namespace tidemark::op
