// Command-line options of tidemark-operator.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

struct Options {
    std::string kubeconfig;               // --kubeconfig; "" = in-cluster, else $KUBECONFIG
    std::vector<std::string> namespaces;  // --namespace a,b; empty = all namespaces
    std::string metricsAddr = ":8080";    // --metrics-addr HOST:PORT (healthz, readyz, metrics); "0" = off
    bool leaderElect = true;              // --leader-elect / --no-leader-elect
    std::string leaderElectionNamespace;  // default: the config's namespace ($POD_NAMESPACE)
    std::string leaderElectionId = "tidemark-operator";
    std::chrono::milliseconds leaseDuration{15'000}, renewDeadline{10'000}, retryPeriod{2'000};
    int workers = 2;
    std::chrono::seconds resync{60};
    std::string logLevel = "info";   // trace debug info warn error
    std::string logFormat = "json";  // json | text
    Settings settings;               // --runner-image, --max-jobs-per-namespace, ...
    bool help = false;
    bool version = false;  // --version: print the version and exit
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Options parseOptions(const std::vector<std::string>& args);  // throws UsageError
const char* usage();

}  // namespace tidemark::op
