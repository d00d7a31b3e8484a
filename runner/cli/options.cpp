#include "runner/cli/options.h"

#include <cstdlib>

#include "api/migration_job.h"
#include "runner/cutover/stop_position.h"

namespace tidemark::cli {

const char* usage() {
    return "usage: tidemark-runner <precheck|run|verify|cutover|forget> -f JOB.yaml [--job-id ID] [--source ID]\n"
           "                       [--secrets-dir DIR]\n"
           "                       [--output table|json] [--restart] [--skip-precheck] [--metrics-addr HOST:PORT]\n"
           "                       [--cutover-at now|FILE:POS|GTIDSET] (run)\n"
           "                       [--stop-at now|FILE:POS|GTIDSET] [--quiet-seconds N] [--wait-timeout SECONDS] "
           "(cutover)\n"
           "       tidemark-runner --version\n"
           "\n"
           "  precheck   check source, target and job; exit 0 when the job may proceed, 1 when not\n"
           "  run        precheck, then the whole job: full copy and/or binlog replay (until SIGTERM)\n"
           "  verify     compare source and target row for row; exit 1 when anything differs\n"
           "  cutover    once the source's writes stop: replay up to the stop position, compare every selected\n"
           "             table row for row, run the switch checks, print the report; exit 0 only when it is\n"
           "             safe to switch the application to the target, 1 when not\n"
           "  forget     delete the job instance's checkpoints from the target's tidemark_meta (start over)\n"
           "\n"
           "  -f FILE          the MigrationJob manifest (the YAML applied to the cluster)\n"
           "  --job-id ID      names this instance of the job (default $TIDEMARK_JOB_ID, else the\n"
           "                   manifest's tidemark.dev/instance-id annotation or metadata.uid); progress\n"
           "                   in tidemark_meta belongs to one instance: a new ID starts over\n"
           "  --source ID      a job of several sources (spec.sources): work on that source only (default:\n"
           "                   all of them, each by a stream of its own in this process)\n"
           "  --secrets-dir    where Secrets are mounted as DIR/<secretName>/<key>\n"
           "                   (default $TIDEMARK_SECRETS_DIR or /etc/tidemark/secrets)\n"
           "  --output         table (terminal), json; default: table on a terminal, json otherwise\n"
           "  --restart        resume after an error, replaying in safe mode (replaces conflicting target rows)\n"
           "  --skip-precheck  run without the precheck (the operator ran it already)\n"
           "  --metrics-addr   serve Prometheus /metrics and /healthz there while running (e.g. :9090)\n"
           "  --stop-at        where the cutover stops replay: now (the source's position once its writes\n"
           "                   stopped), FILE:POS or a MySQL GTID set (default spec.cutover.stopAt, else now)\n"
           "  --cutover-at     run: after the copy, replay only up to there and perform the cutover (as above)\n"
           "                   instead of replicating until SIGTERM; exit 0 when safe, 1 when not\n"
           "  --quiet-seconds  the source's binary log must stay still this long for its writes to count as\n"
           "                   stopped (default spec.cutover.quietSeconds, 5), unless it is read-only\n"
           "  --wait-timeout   how long the cutover waits for the source's writes to stop (default 600)\n"
           "\n"
           "exit status: 0 done or may proceed, 1 failed or may not proceed, 2 bad input, 3 failed but retryable\n";
}

namespace {

int seconds(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    int n = -1;
    try {
        n = std::stoi(text, &used);
    } catch (const std::exception&) {}
    if (used != text.size() || n < 0) throw UsageError(flag + " takes a whole number of seconds, got '" + text + "'");
    return n;
}

// --stop-at belongs to cutover and --cutover-at to run; the value must read as a stop position.
void checkCutoverFlags(const Options& o, const std::string& flag) {
    if (flag.empty()) return;
    const std::string wanted = o.command == "run" ? "--cutover-at" : o.command == "cutover" ? "--stop-at" : "";
    if (flag != wanted)
        throw UsageError(flag + " applies to " + (flag == "--stop-at" ? "cutover" : "run") + " only" +
                         (wanted.empty() ? "" : " (use " + wanted + " with " + o.command + ")"));
    try {
        cutover::parseStopRequest(o.stopAt);
    } catch (const std::invalid_argument& e) {
        throw UsageError(flag + ": " + e.what());
    }
}

}  // namespace

Options parseOptions(const std::vector<std::string>& args) {
    Options o;
    std::string cutoverFlag;  // --stop-at or --cutover-at, whichever was given
    if (const char* env = std::getenv("TIDEMARK_SECRETS_DIR")) o.secretsDir = env;
    if (const char* env = std::getenv("TIDEMARK_JOB_ID")) o.jobId = env;
    if (o.secretsDir.empty()) o.secretsDir = "/etc/tidemark/secrets";
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&](const std::string& flag) -> std::string {
            if (i + 1 >= args.size()) throw UsageError(flag + " needs a value");
            return args[++i];
        };
        if (a == "-f" || a == "--file") o.jobFile = value(a);
        else if (a.rfind("--file=", 0) == 0) o.jobFile = a.substr(7);
        else if (a == "--secrets-dir") o.secretsDir = value(a);
        else if (a.rfind("--secrets-dir=", 0) == 0) o.secretsDir = a.substr(14);
        else if (a == "--output" || a == "-o") o.output = value(a);
        else if (a.rfind("--output=", 0) == 0) o.output = a.substr(9);
        else if (a == "--restart") o.restart = true;
        else if (a == "--skip-precheck") o.skipPrecheck = true;
        else if (a == "--metrics-addr") o.metricsAddr = value(a);
        else if (a.rfind("--metrics-addr=", 0) == 0) o.metricsAddr = a.substr(15);
        else if (a == "--source") o.sourceId = value(a);
        else if (a.rfind("--source=", 0) == 0) o.sourceId = a.substr(9);
        else if (a == "--job-id") o.jobId = value(a);
        else if (a.rfind("--job-id=", 0) == 0) o.jobId = a.substr(9);
        else if (a == "--stop-at" || a == "--cutover-at") {
            o.stopAt = value(a);
            cutoverFlag = a;
        } else if (a.rfind("--stop-at=", 0) == 0 || a.rfind("--cutover-at=", 0) == 0) {
            cutoverFlag = a.substr(0, a.find('='));
            o.stopAt = a.substr(a.find('=') + 1);
        } else if (a == "--quiet-seconds") o.quietSeconds = seconds(a, value(a));
        else if (a.rfind("--quiet-seconds=", 0) == 0) o.quietSeconds = seconds("--quiet-seconds", a.substr(16));
        else if (a == "--wait-timeout") o.waitTimeoutSeconds = seconds(a, value(a));
        else if (a.rfind("--wait-timeout=", 0) == 0) o.waitTimeoutSeconds = seconds("--wait-timeout", a.substr(15));
        else if (a == "-h" || a == "--help") o.command = "help";
        else if (a == "--version") o.command = "version";
        else if (!a.empty() && a[0] == '-') throw UsageError("unknown option '" + a + "'");
        else if (o.command.empty()) o.command = a;
        else throw UsageError("unexpected argument '" + a + "'");
    }
    if (o.command == "help" || o.command == "version") return o;
    if (o.command.empty()) throw UsageError("missing command (precheck, run, verify, cutover or forget)");
    if (o.command != "precheck" && o.command != "run" && o.command != "verify" && o.command != "cutover" &&
        o.command != "forget")
        throw UsageError("unknown command '" + o.command + "' (expected precheck, run, verify, cutover or forget)");
    checkCutoverFlags(o, cutoverFlag);
    if (!o.jobId.empty())
        if (auto p = api::instanceIdProblem(o.jobId)) throw UsageError("--job-id: " + *p);
    if (o.jobFile.empty()) throw UsageError("missing -f JOB.yaml");
    if (o.output != "auto" && o.output != "table" && o.output != "json")
        throw UsageError("--output must be table or json, got '" + o.output + "'");
    return o;
}

}  // namespace tidemark::cli
