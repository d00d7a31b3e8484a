// Command-line options of tidemark-runner.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tidemark::cli {

struct Options {
    std::string command;          // precheck | run | verify | forget
    std::string jobFile;          // -f
    std::string secretsDir;       // --secrets-dir, else $TIDEMARK_SECRETS_DIR, else /etc/tidemark/secrets
    std::string output = "auto";  // --output table|json|auto
    bool restart = false;         // --restart: resume after an error, replaying in safe mode
    bool skipPrecheck = false;    // --skip-precheck (run only): the operator ran it already
    std::string metricsAddr;      // --metrics-addr HOST:PORT (run only): serve /metrics and /healthz
    std::string jobId;            // --job-id ID, else $TIDEMARK_JOB_ID: the job instance (api MigrationJob::instance)
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses argv; throws UsageError with a one-line message.
Options parseOptions(const std::vector<std::string>& args);
const char* usage();

}  // namespace tidemark::cli
