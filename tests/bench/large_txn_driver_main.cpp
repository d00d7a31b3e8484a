// tidemark-large-txn-bench: the C++ side of tests/bench/large_txn_bench.sh.
//
//   tidemark-large-txn-bench servers --state-dir DIR
//       a source (binlog ROW) and a target on free loopback ports; writes DIR/<name>.port,
//       prints "ready", runs until SIGTERM/SIGINT.
//   tidemark-large-txn-bench catchup --source-port P --target-port Q --from FILE:POS --to FILE:POS
//                                    --database D [--workers N] [--max-held-mib M]
//       replays FROM..TO of database D into the target and prints one JSON line: seconds, rows,
//       transactions, peakRssMiB (getrusage; the script also measures it with /usr/bin/time -v).
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "runner/replay/replay.h"
#include "tests/support/db_server.h"

using namespace tidemark;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

double peakRssMiB() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

class Sink : public status::StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& f) override {
        if (block != "incremental") return;
        std::lock_guard lock(mu);
        last.merge_patch(f);
    }
    void note(std::string_view m) override {
        if (m.find("took") == std::string_view::npos) std::cerr << "note: " << m << "\n";
    }
    void flush() override {}
    nlohmann::json snapshot() {
        std::lock_guard lock(mu);
        return last;
    }
    std::mutex mu;
    nlohmann::json last = nlohmann::json::object();
};

replay::Position parsePos(const std::string& s) {
    auto colon = s.rfind(':');
    return replay::Position{s.substr(0, colon), std::stoull(s.substr(colon + 1)), ""};
}

db::ConnectOptions endpoint(const std::string& role, unsigned port) {
    db::ConnectOptions o;
    o.role = role;
    o.host = "127.0.0.1";
    o.port = port;
    o.user = "root";
    return o;
}

int servers(const std::string& dir) {
    using testing::DbServer;
    using testing::ServerOptions;
    const std::vector<std::string> common = {"--innodb-buffer-pool-size=512M", "--max-connections=200"};
    auto so = ServerOptions::source();
    so.extraArgs = common;
    auto to = ServerOptions::target();
    to.extraArgs = common;
    std::vector<std::unique_ptr<DbServer>> running;
    running.push_back(std::make_unique<DbServer>(so));
    std::ofstream(dir + "/source.port") << running.back()->port() << "\n";
    running.push_back(std::make_unique<DbServer>(to));
    std::ofstream(dir + "/target.port") << running.back()->port() << "\n";
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    std::cout << "ready" << std::endl;
    while (!g_stop) pause();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: tidemark-large-txn-bench servers|catchup ...\n";
        return 2;
    }
    std::string mode = argv[1], stateDir, from, to, database = "bigtxn";
    unsigned sp = 0, tp = 0;
    int workers = 4;
    size_t maxHeldMiB = 8;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--state-dir") stateDir = v;
        else if (a == "--source-port") sp = std::stoul(v);
        else if (a == "--target-port") tp = std::stoul(v);
        else if (a == "--from") from = v;
        else if (a == "--to") to = v;
        else if (a == "--database") database = v;
        else if (a == "--workers") workers = std::stoi(v);
        else if (a == "--max-held-mib") maxHeldMiB = std::stoul(v);
    }
    try {
        if (mode == "servers") return servers(stateDir);
        if (mode != "catchup") {
            std::cerr << "unknown mode " << mode << "\n";
            return 2;
        }
        api::MigrationJob job;
        job.name = "large-txn-bench";
        job.type = api::JobType::Incremental;
        job.objects.include.push_back(api::ObjectRule{database, {}});
        replay::ReplayOptions o;
        o.start = parsePos(from);
        o.stopAt = parsePos(to);
        o.workers = workers;
        o.maxHeldTxnBytes = maxHeldMiB << 20;
        Sink sink;
        std::atomic<bool> stop{false};
        auto t0 = std::chrono::steady_clock::now();
        replay::runReplay(job, endpoint("source", sp), endpoint("target", tp), o, sink, stop);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto st = sink.snapshot();
        nlohmann::json out = {{"seconds", s},
                              {"rows", st.value("rowsApplied", 0)},
                              {"transactions", st.value("transactionsApplied", 0)},
                              {"peakRssMiB", peakRssMiB()}};
        std::cout << out.dump() << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-large-txn-bench: " << e.what() << "\n";
        return 1;
    }
}
