// tidemark-runner: runs one MigrationJob's precheck, full copy, binlog replay, verification or cutover.
// In a cluster the operator starts it in a pod; without one, it runs a manifest directly.
#include "runner/cli/commands.h"
#include "runner/copy/full_copy.h"
#include "runner/db/credentials.h"

#include <atomic>
#include <csignal>
#include <iostream>

namespace {

std::atomic<bool> g_stop{false};

void onStopSignal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
    using namespace tidemark;
    std::signal(SIGTERM, onStopSignal);
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGPIPE, SIG_IGN);
    cli::Options options;
    try {
        options = cli::parseOptions(std::vector<std::string>(argv + 1, argv + argc));
        if (options.command == "help") {
            std::cout << cli::usage();
            return cli::kExitOk;
        }
        if (options.command == "version") {
            std::cout << "tidemark-runner " << TIDEMARK_VERSION << "\n";
            return cli::kExitOk;
        }
    } catch (const cli::UsageError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n" << cli::usage();
        return cli::kExitBadInput;
    }
    try {
        const auto jobs = cli::loadJobs(options);
        if (options.command == "precheck") return cli::commandPrecheck(jobs, options);
        if (options.command == "verify") return cli::commandVerify(jobs, options);
        if (options.command == "cutover") return cli::commandCutover(jobs, options, g_stop);
        if (options.command == "forget") return cli::commandForget(jobs, options);
        return cli::commandRun(jobs, options, g_stop);
    } catch (const api::ManifestError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return cli::kExitBadInput;
    } catch (const db::CredentialsError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return cli::kExitBadInput;
    } catch (const copy::CopyError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return cli::kExitFailed;
    } catch (const db::DbError& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return e.retryable() ? cli::kExitRetryable : cli::kExitFailed;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-runner: " << e.what() << "\n";
        return cli::kExitFailed;
    }
}
