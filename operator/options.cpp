#include "operator/options.h"

#include <cstdlib>

#include "operator/runner_pod.h"

namespace tidemark::op {

const char* usage() {
    return "usage: tidemark-operator [options]\n"
           "\n"
           "  --kubeconfig FILE               kubeconfig to use (default: in-cluster, else $KUBECONFIG)\n"
           "  --namespace NS[,NS...]          watch only these namespaces (default: all)\n"
           "  --runner-image IMAGE            image of the runner pods (default $TIDEMARK_RUNNER_IMAGE)\n"
           "  --runner-image-pull-policy P    Always | IfNotPresent | Never (default IfNotPresent)\n"
           "  --runner-service-account NAME   service account of the runner pods (default tidemark-runner)\n"
           "  --runner-pod-template JSON      shape of runner pods: imagePullSecrets, nodeSelector, tolerations,\n"
           "                                  affinity, priorityClassName, labels, annotations,\n"
           "                                  resourcesPerCapacityUnit {cpuRequest, cpuLimit, memoryRequest,\n"
           "                                  memoryLimit} (default 500m, 1000m, 512Mi, 512Mi)\n"
           "  --max-jobs-per-namespace N      MigrationJobs allowed per namespace (default 200)\n"
           "  --metrics-addr HOST:PORT        /healthz, /readyz and /metrics (default :8080; 0 = off)\n"
           "  --leader-elect / --no-leader-elect   Lease-based leader election (default on)\n"
           "  --leader-election-namespace NS  namespace of the Lease (default: the pod's namespace)\n"
           "  --leader-election-id NAME       name of the Lease (default tidemark-operator)\n"
           "  --workers N                     jobs reconciled in parallel (default 2)\n"
           "  --retry-base SECONDS            first retry of a failed runner after this (default 10, doubling)\n"
           "  --retry-cap SECONDS             longest wait between retries (default 300)\n"
           "  --log-level LEVEL               trace, debug, info, warn, error (default info)\n"
           "  --log-format json|text          (default json)\n"
           "  --version                       print the version and exit\n";
}

Options parseOptions(const std::vector<std::string>& args) {
    Options o;
    if (const char* img = std::getenv("TIDEMARK_RUNNER_IMAGE"); img && *img) o.settings.runnerImage = img;
    auto toInt = [](const std::string& flag, const std::string& v, int min) {
        try {
            size_t used = 0;
            int n = std::stoi(v, &used);
            if (used != v.size() || n < min) throw std::invalid_argument(v);
            return n;
        } catch (const std::exception&) {
            throw UsageError(flag + " needs an integer >= " + std::to_string(min) + ", got '" + v + "'");
        }
    };
    for (size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        std::string inlineValue;
        bool hasInline = false;
        if (a.rfind("--", 0) == 0) {
            if (auto eq = a.find('='); eq != std::string::npos) {
                inlineValue = a.substr(eq + 1);
                a = a.substr(0, eq);
                hasInline = true;
            }
        }
        auto value = [&]() -> std::string {
            if (hasInline) return inlineValue;
            if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
            return args[++i];
        };
        if (a == "-h" || a == "--help") o.help = true;
        else if (a == "--version") o.version = true;
        else if (a == "--kubeconfig") o.kubeconfig = value();
        else if (a == "--namespace" || a == "--namespaces" || a == "-n") {
            const std::string v = value();
            size_t start = 0;
            while (start <= v.size()) {
                size_t comma = v.find(',', start);
                std::string ns = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!ns.empty()) o.namespaces.push_back(ns);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else if (a == "--runner-image") o.settings.runnerImage = value();
        else if (a == "--runner-image-pull-policy") o.settings.runnerImagePullPolicy = value();
        else if (a == "--runner-service-account") o.settings.runnerServiceAccount = value();
        else if (a == "--runner-pod-template") {
            try {
                o.settings.runnerPod = parseRunnerPodTemplate(value());
            } catch (const std::invalid_argument& e) {
                throw UsageError("--runner-pod-template: " + std::string(e.what()));
            }
        } else if (a == "--max-jobs-per-namespace") o.settings.maxJobsPerNamespace = toInt(a, value(), 1);
        else if (a == "--metrics-addr") o.metricsAddr = value();
        else if (a == "--leader-elect") o.leaderElect = !hasInline || (inlineValue != "false" && inlineValue != "0");
        else if (a == "--no-leader-elect") o.leaderElect = false;
        else if (a == "--leader-election-namespace") o.leaderElectionNamespace = value();
        else if (a == "--leader-election-id") o.leaderElectionId = value();
        else if (a == "--workers") o.workers = toInt(a, value(), 1);
        else if (a == "--retry-base") o.settings.retryBase = std::chrono::seconds(toInt(a, value(), 1));
        else if (a == "--retry-cap") o.settings.retryCap = std::chrono::seconds(toInt(a, value(), 1));
        else if (a == "--log-level") o.logLevel = value();
        else if (a == "--log-format") {
            o.logFormat = value();
            if (o.logFormat != "json" && o.logFormat != "text") throw UsageError("--log-format must be json or text");
        } else throw UsageError("unknown option '" + a + "'");
    }
    return o;
}

}  // namespace tidemark::op
