#include "operator/pod_trouble.h"

#include "operator/secret_refs.h"

#include <algorithm>
#include <regex>

namespace tidemark::op {

namespace {

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

std::string namespaceOf(const Json& job) { return str(job, "/metadata/namespace", "default"); }

std::string describeSecrets(const Json& job, const std::string& only = "") {
    std::string s;
    for (const auto& ref : secretReferences(job)) {
        if (!only.empty() && ref.name != only) continue;
        s += (s.empty() ? "" : "; ") + ref.name + " (" + ref.field + ", " +
            (ref.tls ? "keys ca.crt and/or tls.crt, tls.key" : "keys username and password") + ")";
    }
    return s;
}

// A kubelet message about a Secret, turned into what the user must do.
std::string secretInstruction(const std::string& kubeletMessage, const Json& job) {
    std::smatch m;
    static const std::regex missingSecret(R"(secrets? \"(?:[^\"/]+/)?([^\"]+)\" not found)");
    static const std::regex missingKey(
        R"(non-existent secret key:? \"?([^\s\"]+)|couldn't find key (\S+) in Secret \S*?/?([^\s/]+)$)");
    if (std::regex_search(kubeletMessage, m, missingSecret)) {
        const std::string name = m[1];
        const std::string where = describeSecrets(job, name);
        return "Secret " + name + " not found in namespace " + namespaceOf(job) + "; create it" +
            (where.empty() ? "" : ": " + where) + ", or correct the name in the spec";
    }
    if (std::regex_search(kubeletMessage, m, missingKey)) {
        const std::string key = m[1].matched ? m[1].str() : m[2].str();
        const std::string secret = m[3].matched ? m[3].str() : "";
        return "a Secret lacks key " + key + (secret.empty() ? "" : " (Secret " + secret + ")") +
            "; add the key to the Secret. The job reads: " + describeSecrets(job, secret);
    }
    return "";
}

// "1024Mi" for capacity 2: what raising spec.capacity buys.
std::string memoryAdvice(const PodView& pod, const Json& job) {
    const int64_t capacity = pod.capacity ? pod.capacity : integer(job, "/spec/capacity", 2);
    std::string next;
    for (int c : {2, 4, 8, 16})
        if (c > capacity) {
            next = std::to_string(c);
            break;
        }
    return "the runner needs more memory: raise spec.capacity (each unit adds 512Mi; capacity " +
        std::to_string(capacity) + " has " + (pod.memoryLimit.empty() ? "no limit set" : pod.memoryLimit) + ")" +
        (next.empty() ? "" : ", e.g. to " + next) + "; the job retries by itself";
}

std::string imageAdvice(const Settings& settings) {
    return "check the operator's --runner-image (Helm value image.repository / image.tag, now " + settings.runnerImage +
        ") and that the node can pull it (registry reachable, imagePullSecrets)";
}

}  // namespace

bool isPodTroubleReason(const std::string& reason) {
    static const char* reasons[] = {"ServiceAccountMissing", "QuotaExceeded",   "PodRejected", "SecretMissing",
                                    "RunnerConfigError",     "ImagePullFailed", "OOMKilled",   "Evicted",
                                    "RunnerNotStarted"};
    return std::any_of(std::begin(reasons), std::end(reasons), [&](const char* r) { return reason == r; });
}

std::optional<PodTrouble> refusalTrouble(const PodRefusal& r, const Json& job, const Settings& settings) {
    if (r.code != 400 && r.code != 403 && r.code != 422) return std::nullopt;
    const std::string ns = namespaceOf(job);
    const std::string head = "the API server refused runner pod " + r.podName + ": " + r.message;
    using K = PodTrouble::Kind;
    if (r.code == 403 && contains(r.message, "service account")) {
        return PodTrouble{K::Retry, "ServiceAccountMissing",
                          head + "; create ServiceAccount " + settings.runnerServiceAccount + " in namespace " + ns +
                              " (the Helm chart creates it in runner.namespaces; or set --runner-service-account)"};
    }
    if (r.code == 403 && contains(r.message, "exceeded quota")) {
        return PodTrouble{K::Retry, "QuotaExceeded",
                          head + "; free quota in namespace " + ns +
                              ", raise the ResourceQuota, or lower spec.capacity "
                              "(each unit requests 500m CPU and 512Mi)"};
    }
    if (contains(r.message, "PodSecurity")) {
        return PodTrouble{K::Permanent, "PodRejected",
                          head +
                              "; runner pods meet Pod Security \"restricted\": check the namespace's "
                              "pod-security.kubernetes.io labels, then set spec.restartToken to a new value to retry"};
    }
    return PodTrouble{
        K::Permanent, "PodRejected",
        head + "; fix the admission policy that refuses it, then set spec.restartToken to a new value to retry"};
}

std::optional<PodTrouble> podTrouble(const PodView& pod, const std::vector<Json>& podEvents, const Json& job,
                                     const Settings& settings) {
    using K = PodTrouble::Kind;
    const std::string head = "runner pod " + pod.name;
    if (pod.podReason == "Evicted") {
        return PodTrouble{K::Retry, "Evicted",
                          head + " was evicted by its node" + (pod.podMessage.empty() ? "" : ": " + pod.podMessage) +
                              "; a new runner resumes from the checkpoint"};
    }
    if (pod.terminatedReason == "OOMKilled") {
        return PodTrouble{K::Retry, "OOMKilled",
                          head + " was killed for exceeding its memory limit " +
                              (pod.memoryLimit.empty() ? std::string("(none set)") : pod.memoryLimit) +
                              " (OOMKilled); " + memoryAdvice(pod, job)};
    }
    if (pod.terminatedReason == "StartError" || pod.terminatedReason == "ContainerCannotRun") {
        return PodTrouble{K::Permanent, "RunnerNotStarted",
                          head + " could not start tidemark-runner in image " + pod.image +
                              (pod.terminatedMessage.empty() ? "" : ": " + pod.terminatedMessage) +
                              "; the image must hold tidemark-runner on its PATH: " + imageAdvice(settings) +
                              ", then set spec.restartToken to a new value to retry"};
    }
    if (pod.terminated()) return std::nullopt;  // the runner's own exit: its code decides

    const std::string& w = pod.waitingReason;
    if (w == "ErrImagePull" || w == "ImagePullBackOff" || w == "InvalidImageName") {
        return PodTrouble{w == "InvalidImageName" ? K::Permanent : K::Waiting, "ImagePullFailed",
                          head + " cannot pull image " + pod.image + " (" + w +
                              (pod.waitingMessage.empty() ? "" : ": " + pod.waitingMessage) + "); " +
                              imageAdvice(settings)};
    }
    if (w == "CreateContainerConfigError" || w == "CreateContainerError") {
        const std::string fix = secretInstruction(pod.waitingMessage, job);
        return PodTrouble{K::Waiting, fix.empty() ? "RunnerConfigError" : "SecretMissing",
                          head + " cannot start (" + w + (pod.waitingMessage.empty() ? "" : ": " + pod.waitingMessage) +
                              ")" + (fix.empty() ? "" : "; " + fix)};
    }
    // A missing Secret in a volume leaves the pod in ContainerCreating; only an Event says why.
    const std::string podName = pod.name;
    const Json* latest = nullptr;
    for (const auto& e : podEvents) {
        if (str(e, "/involvedObject/name") != podName || str(e, "/type") != "Warning") continue;
        if (str(e, "/reason") != "FailedMount") continue;
        latest = &e;  // events arrive oldest first; the newest says what is wrong now
    }
    if (latest) {
        const std::string msg = str(*latest, "/message");
        const std::string fix = secretInstruction(msg, job);
        return PodTrouble{K::Waiting, fix.empty() ? "RunnerConfigError" : "SecretMissing",
                          head + " cannot start (FailedMount: " + msg + ")" + (fix.empty() ? "" : "; " + fix)};
    }
    return std::nullopt;
}

}  // namespace tidemark::op
