#include "operator/runner_pod.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include "api/migration_job.h"
#include "api/runner_contract.h"
#include "operator/secret_refs.h"

namespace tidemark::op {

namespace contract = api::contract;

std::string scaleQuantity(const std::string& quantity, int n) {
    if (quantity.empty()) return "";
    static const std::regex form(R"(^([0-9]+)(?:\.([0-9]{1,3}))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$)");
    std::smatch m;
    if (!std::regex_match(quantity, m, form) || (m[2].matched && m[3] == "m") || m[1].length() > 12)
        throw std::invalid_argument("'" + quantity + "' is not a quantity such as 500m, 1.5Gi or 2");
    // Thousandths of the unit, so 0.5Gi x 3 stays exact.
    std::string frac = m[2].str();
    frac.resize(3, '0');
    const long long milli = (std::stoll(m[1].str()) * 1000 + std::stoll(frac)) * std::max(n, 1);
    const std::string suffix = m[3].str();
    if (milli % 1000 == 0) return std::to_string(milli / 1000) + suffix;
    if (suffix.empty()) return std::to_string(milli) + "m";
    std::string decimals = std::to_string(1000 + milli % 1000).substr(1);
    while (decimals.back() == '0') decimals.pop_back();
    return std::to_string(milli / 1000) + "." + decimals + suffix;
}

PodResources resourcesFor(int capacity, const RunnerPodTemplate::PerUnit& perUnit) {
    const int units = std::max(capacity, 1);
    return PodResources{scaleQuantity(perUnit.cpuRequest, units), scaleQuantity(perUnit.cpuLimit, units),
                        scaleQuantity(perUnit.memoryRequest, units), scaleQuantity(perUnit.memoryLimit, units)};
}

namespace {

// The labels and annotations the operator selects and reads runner pods by.
bool operatorOwned(const std::string& key) {
    return key == names::kLabelApp || key == "app.kubernetes.io/managed-by" || key.rfind("tidemark.dev/", 0) == 0;
}

std::map<std::string, std::string> stringMap(const Json& j, const std::string& field, bool checkOwned) {
    if (!j.is_object()) throw std::invalid_argument(field + ": needs an object of strings");
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : j.items()) {
        if (!v.is_string()) throw std::invalid_argument(field + "." + k + ": needs a string");
        if (k.empty() || k.size() > 316) throw std::invalid_argument(field + ": key '" + k + "' is not a valid key");
        if (checkOwned && operatorOwned(k))
            throw std::invalid_argument(field + "." + k + ": set by the operator, which selects its pods by it");
        out[k] = v.get<std::string>();
    }
    return out;
}

}  // namespace

namespace {

// Applies the fields of `j` over `t`: a field given replaces the template's, except labels and
// annotations (merged key by key) and imagePullSecrets (added).
void overlay(RunnerPodTemplate& t, const Json& j) {
    if (!j.is_object()) throw std::invalid_argument("needs a JSON object");
    for (const auto& [key, v] : j.items()) {
        if (v.is_null()) continue;  // Helm renders an unset value as null
        if (key == "imagePullSecrets") {
            if (!v.is_array()) throw std::invalid_argument("imagePullSecrets: needs a list");
            for (const auto& s : v) {
                // Either form Helm users know: ["regcred"] or [{name: regcred}] (as in a pod spec).
                std::string name;
                if (s.is_string()) name = s.get<std::string>();
                else if (s.is_object() && s.size() == 1 && s.contains("name") && s["name"].is_string())
                    name = s["name"].get<std::string>();
                else throw std::invalid_argument("imagePullSecrets: each entry is a name or {name: ...}");
                auto& names = t.imagePullSecrets;
                if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
            }
        } else if (key == "nodeSelector") {
            stringMap(v, key, false);
            t.nodeSelector = v;
        } else if (key == "tolerations") {
            if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); }))
                throw std::invalid_argument("tolerations: needs a list of objects");
            t.tolerations = v;
        } else if (key == "affinity") {
            if (!v.is_object()) throw std::invalid_argument("affinity: needs an object");
            t.affinity = v;
        } else if (key == "priorityClassName") {
            if (!v.is_string()) throw std::invalid_argument("priorityClassName: needs a string");
            t.priorityClassName = v.get<std::string>();
        } else if (key == "labels") {
            for (auto& [k, val] : stringMap(v, key, true)) t.labels[k] = val;
        } else if (key == "annotations") {
            for (auto& [k, val] : stringMap(v, key, true)) t.annotations[k] = val;
        } else if (key == "resourcesPerCapacityUnit") {
            if (!v.is_object()) throw std::invalid_argument("resourcesPerCapacityUnit: needs an object");
            auto& r = t.resourcesPerCapacityUnit;
            const std::map<std::string, std::string*> fields = {{"cpuRequest", &r.cpuRequest},
                                                                {"cpuLimit", &r.cpuLimit},
                                                                {"memoryRequest", &r.memoryRequest},
                                                                {"memoryLimit", &r.memoryLimit}};
            for (const auto& [name, q] : v.items()) {
                auto f = fields.find(name);
                const std::string path = "resourcesPerCapacityUnit." + name;
                if (f == fields.end()) throw std::invalid_argument(path + ": unknown field");
                if (!q.is_string()) throw std::invalid_argument(path + ": needs a string such as \"500m\"");
                try {
                    scaleQuantity(q.get<std::string>(), 1);
                } catch (const std::invalid_argument& e) {
                    throw std::invalid_argument(path + ": " + e.what());
                }
                *f->second = q.get<std::string>();
            }
        } else {
            throw std::invalid_argument(key +
                                        ": unknown field (known: imagePullSecrets, nodeSelector, tolerations, "
                                        "affinity, priorityClassName, labels, annotations, resourcesPerCapacityUnit)");
        }
    }
}

}  // namespace

RunnerPodTemplate parseRunnerPodTemplate(const std::string& text) {
    RunnerPodTemplate t;
    if (text.empty()) return t;
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw std::invalid_argument(std::string("not JSON: ") + e.what());
    }
    overlay(t, j);
    return t;
}

RunnerPodTemplate runnerPodTemplateFor(const Json& job, const RunnerPodTemplate& admin) {
    RunnerPodTemplate t = admin;
    const Json* own = at(job, "/spec/runnerPod");
    if (!own || own->is_null()) return t;
    try {
        overlay(t, *own);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("spec.runnerPod.") + e.what());
    }
    return t;
}

std::vector<std::string> secretNames(const Json& job) {
    std::vector<std::string> out;
    for (const auto& ref : secretReferences(job))
        if (!ref.name.empty() && std::find(out.begin(), out.end(), ref.name) == out.end()) out.push_back(ref.name);
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
    // The uid (and the user's instance-id annotation) name the job instance whose progress the
    // runner reads and writes (api MigrationJob::instanceKey).
    Json metadata = {{"name", name}, {"namespace", ns}, {"uid", str(job, "/metadata/uid")}};
    if (const Json* a = at(job, "/metadata/annotations"); a && a->is_object() && a->contains(api::kInstanceAnnotation))
        metadata["annotations"] = {{api::kInstanceAnnotation, (*a)[api::kInstanceAnnotation]}};
    const Json manifest = {
        {"apiVersion", "tidemark.dev/v1alpha1"}, {"kind", "MigrationJob"}, {"metadata", metadata}, {"spec", spec}};

    const Json owner = {
        {"apiVersion", "tidemark.dev/v1alpha1"}, {"kind", "MigrationJob"}, {"name", name},
        {"uid", str(job, "/metadata/uid")},      {"controller", true},     {"blockOwnerDeletion", true}};
    const RunnerPodTemplate shape = runnerPodTemplateFor(job, settings.runnerPod);
    Json labels = {{names::kLabelApp, names::kRunnerApp},
                   {"app.kubernetes.io/managed-by", "tidemark-operator"},
                   {names::kLabelJob, name},
                   {names::kLabelRole, r.role}};

    Json configMap = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", r.podName}, {"namespace", ns}, {"labels", labels}, {"ownerReferences", {owner}}}},
        {"data", {{std::string(contract::kJobManifestFile), manifest.dump(2) + "\n"}}}};

    const std::string_view command = r.role == names::kRolePrecheck ? contract::kCommandPrecheck
        : r.role == names::kRoleCleanup                             ? contract::kCommandForget
                                                                    : contract::kCommandRun;
    const std::string jobDir(contract::kJobMountDir), secretsDir(contract::kSecretsMountDir),
        tmpDir(contract::kTmpMountDir);
    Json args = Json::array({std::string(command), "-f", jobDir + "/" + std::string(contract::kJobManifestFile),
                             "--secrets-dir", secretsDir, "--output", "json"});
    if (r.role == names::kRoleRun) {
        args.push_back("--skip-precheck");
        args.push_back("--metrics-addr");
        args.push_back(":" + std::to_string(contract::kRunnerMetricsPort));
    }
    if (r.restart) args.push_back("--restart");
    if (r.role == names::kRoleRun && !r.cutoverToken.empty()) {
        args.push_back("--cutover-at");
        args.push_back(r.cutoverAt.empty() ? "now" : r.cutoverAt);
    }

    Json volumes = Json::array(
        {{{"name", "job"}, {"configMap", {{"name", r.podName}}}}, {{"name", "tmp"}, {"emptyDir", Json::object()}}});
    Json mounts = Json::array(
        {{{"name", "job"}, {"mountPath", jobDir}, {"readOnly", true}}, {{"name", "tmp"}, {"mountPath", tmpDir}}});
    // One projected volume holds every Secret the spec names, each under its own directory:
    // <secretName>/username|password for credentials, <secretName>/ca.crt|tls.crt|tls.key for TLS
    // (TLS keys are optional: any of the three combinations is valid).
    Json sources = Json::array();
    const auto refs = secretReferences(job);
    auto namedAs = [&](const std::string& secret, bool tls) {
        return std::any_of(refs.begin(), refs.end(),
                           [&](const SecretRef& r) { return r.name == secret && r.tls == tls; });
    };
    for (const auto& secret : secretNames(job)) {
        const bool tls = namedAs(secret, true);
        const bool credentials = namedAs(secret, false);
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
        mounts.push_back({{"name", "secrets"}, {"mountPath", secretsDir}, {"readOnly", true}});
    }

    const PodResources res = resourcesFor(r.capacity, shape.resourcesPerCapacityUnit);
    Json env = Json::array({
        {{"name", std::string(contract::kEnvJobName)}, {"value", name}},
        {{"name", std::string(contract::kEnvJobNamespace)}, {"value", ns}},
        {{"name", std::string(contract::kEnvCapacity)}, {"value", std::to_string(r.capacity)}},
        {{"name", std::string(contract::kEnvSecretsDir)}, {"value", secretsDir}},
        {{"name", "TMPDIR"}, {"value", tmpDir}},
        {{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
    });

    Json annotations = {{names::kAnnotationRetry, std::to_string(r.retry)},
                        {names::kAnnotationCapacity, std::to_string(r.capacity)},
                        {names::kAnnotationRestart, r.restart ? "true" : "false"}};
    if (!r.precheckKey.empty()) annotations[names::kAnnotationPrecheckKey] = r.precheckKey;
    if (!r.cutoverToken.empty()) annotations[names::kAnnotationCutover] = r.cutoverToken;
    // The admin's labels and annotations go on the pod only: the ConfigMap keeps the operator's.
    Json podLabels = labels;
    for (const auto& [k, v] : shape.labels) podLabels[k] = v;
    for (const auto& [k, v] : shape.annotations) annotations[k] = v;

    Json requests = Json::object(), limits = Json::object();
    if (!res.cpuRequest.empty()) requests["cpu"] = res.cpuRequest;
    if (!res.memoryRequest.empty()) requests["memory"] = res.memoryRequest;
    if (!res.cpuLimit.empty()) limits["cpu"] = res.cpuLimit;
    if (!res.memoryLimit.empty()) limits["memory"] = res.memoryLimit;
    Json resources = Json::object();
    if (!requests.empty()) resources["requests"] = requests;
    if (!limits.empty()) resources["limits"] = limits;

    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", r.podName},
          {"namespace", ns},
          {"labels", podLabels},
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
              Json::array(
                  {{{"name", "metrics"}, {"containerPort", contract::kRunnerMetricsPort}, {"protocol", "TCP"}}})},
             {"env", env},
             {"resources", resources},
             {"securityContext",
              {{"allowPrivilegeEscalation", false},
               {"runAsNonRoot", true},
               {"readOnlyRootFilesystem", true},
               {"seccompProfile", {{"type", "RuntimeDefault"}}},
               {"capabilities", {{"drop", {"ALL"}}}}}},
             {"volumeMounts", mounts}}}},
          {"volumes", volumes}}}};
    Json& podSpec = pod["spec"];
    if (!shape.imagePullSecrets.empty()) {
        Json secrets = Json::array();
        for (const auto& s : shape.imagePullSecrets) secrets.push_back({{"name", s}});
        podSpec["imagePullSecrets"] = secrets;
    }
    if (!shape.nodeSelector.empty()) podSpec["nodeSelector"] = shape.nodeSelector;
    if (!shape.tolerations.empty()) podSpec["tolerations"] = shape.tolerations;
    if (!shape.affinity.empty()) podSpec["affinity"] = shape.affinity;
    if (!shape.priorityClassName.empty()) podSpec["priorityClassName"] = shape.priorityClassName;
    return RunnerPod{std::move(pod), std::move(configMap)};
}

}  // namespace tidemark::op
