// Command-line options of tidemark-runner.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tidemark::cli {

struct Options {
    std::string command;          // precheck | run | verify | cutover | forget
    std::string jobFile;          // -f
    std::string secretsDir;       // --secrets-dir, else $TIDEMARK_SECRETS_DIR, else /etc/tidemark/secrets
    std::string output = "auto";  // --output table|json|auto
    bool restart = false;         // --restart: resume after an error, replaying in safe mode
    bool skipPrecheck = false;    // --skip-precheck (run only): the operator ran it already
    std::string metricsAddr;      // --metrics-addr HOST:PORT (run only): serve /metrics and /healthz
    std::string sourceId;         // --source ID: one of spec.sources only; "" = every source
    std::string jobId;            // --job-id ID, else $TIDEMARK_JOB_ID: the job instance (api MigrationJob::instance)
    // The cutover (runner/cutover/): `cutover --stop-at`, or `run --cutover-at` (replay up to there and cut
    // over instead of replicating on). "now", FILE:POS or a GTID set; empty = spec.cutover.stopAt.
    std::string stopAt;
    int quietSeconds = -1;         // --quiet-seconds N: -1 = spec.cutover.quietSeconds (5)
    int waitTimeoutSeconds = 600;  // --wait-timeout SECONDS: how long to wait for the source's writes to stop
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses argv; throws UsageError with a one-line message.
Options parseOptions(const std::vector<std::string>& args);
const char* usage();

}  // namespace tidemark::cli
