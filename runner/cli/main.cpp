// tidemark-runner: runs one MigrationJob's precheck, full copy, binlog replay or verification.
// In a cluster the operator starts it in a pod; without one, it runs a manifest directly.
#include "api/migration_job.h"
#include "runner/cli/options.h"
#include "runner/db/credentials.h"
#include "runner/precheck/precheck.h"
#include "runner/status/status_sink.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace {

using namespace tidemark;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitRetryable = 3;

std::atomic<bool> g_stop{false};

void onStopSignal(int) { g_stop.store(true); }

bool jsonOutput(const cli::Options& o) { return o.output == "json" || (o.output == "auto" && !isatty(STDOUT_FILENO)); }

struct Job {
    api::MigrationJob spec;
    db::ConnectOptions source;
    db::ConnectOptions target;
};

Job loadJob(const cli::Options& o) {
    Job job{api::loadManifest(o.jobFile), {}, {}};
    const auto& names = precheck::itemNames();
    for (std::size_t i = 0; i < job.spec.precheck.skip.size(); ++i) {
        const auto& s = job.spec.precheck.skip[i];
        if (std::find(names.begin(), names.end(), s) == names.end())
            throw api::ManifestError(o.jobFile + ": spec.precheck.skip[" + std::to_string(i) + "]: unknown item '" + s +
                                     "'");
    }
    job.source = db::connectOptionsFor(job.spec.source, "source", o.secretsDir);
    job.target = db::connectOptionsFor(job.spec.target, "target", o.secretsDir);
    job.target.allowLocalInfile = true;
    return job;
}

int commandPrecheck(const Job& job, const cli::Options& o) {
    const auto report = precheck::run(job.spec, job.source, job.target);
    if (jsonOutput(o)) std::cout << precheck::renderJson(report) << std::endl;
    else std::cout << "Precheck of " << job.spec.name << ":\n" << precheck::renderTable(report) << std::flush;
    return report.mayProceed(job.spec.precheck.ignoreWarnings) ? kExitOk : kExitFailed;
}

int dispatch(const cli::Options& o) {
    const Job job = loadJob(o);
    if (o.command == "precheck") return commandPrecheck(job, o);
    auto sink = status::defaultSink();
    std::cerr << "tidemark-runner: '" << o.command << "' is not available in this build\n";
    return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGTERM, onStopSignal);
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGPIPE, SIG_IGN);
    cli::Options options;
    try {
        options = cli::parseOptions(std::vector<std::string>(argv + 1, argv + argc));
        if (options.command == "help") {
            std::cout << cli::usage();
            return kExitOk;
        }
    } catch (const cli::UsageError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n" << cli::usage();
        return kExitBadInput;
    }
    try {
        return dispatch(options);
    } catch (const api::ManifestError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return kExitBadInput;
    } catch (const db::CredentialsError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return kExitBadInput;
    } catch (const db::DbError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return e.retryable() ? kExitRetryable : kExitFailed;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return kExitFailed;
    }
}
