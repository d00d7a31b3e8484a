// tidemark-replay-bench: the C++ side of tests/bench/replay_bench.sh.
//
//   tidemark-replay-bench servers --state-dir DIR [--servers source,target,...]
//       source (binlog ROW), target, replica1, replica4 (or the ones named) on free loopback
//       ports; writes DIR/<name>.port, prints "ready", runs until SIGTERM/SIGINT.
//   tidemark-replay-bench catchup --source-port P --target-port Q --from FILE:POS --to FILE:POS [--workers N]
//                                 [--database D] [--max-held-mib M]
//       replays FROM..TO of database D (sbtest) into the target, holding at most M MiB of one
//       source transaction (replay.h maxHeldTxnBytes), and prints one JSON line: seconds, rows,
//       transactions, peakRssMiB (getrusage). tests/bench/large_txn_bench.sh uses it too.
//   tidemark-replay-bench follow --source-port P --target-port Q --from FILE:POS --seconds S [--workers N]
//       replays while something else writes; samples lagSeconds twice a second and prints JSON:
//       maxLag, avgLag, p95Lag, rows, peakRssMiB.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

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

class LagSink : public status::StatusSink {
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

api::MigrationJob benchJob(const std::string& database) {
    api::MigrationJob job;
    job.name = "replay-bench";
    job.type = api::JobType::Incremental;
    job.objects.include.push_back(api::ObjectRule{database, {}});
    return job;
}

int servers(const std::string& dir, const std::string& only) {
    using testing::DbServer;
    using testing::ServerOptions;
    const std::vector<std::string> common = {"--innodb-buffer-pool-size=512M", "--max-connections=500"};
    auto so = ServerOptions::source();
    so.extraArgs = common;
    std::vector<std::pair<std::string, ServerOptions>> specs = {{"source", so}};
    for (const char* name : {"target", "replica1", "replica4"}) {
        auto o = ServerOptions::target();
        o.name = name;
        o.extraArgs = common;
        // A MySQL replica of a source with GTIDs must have them too (it needs no binlog for that).
        if (o.flavor == testing::Flavor::MySQL && std::string(name) != "target")
            o.extraArgs.insert(o.extraArgs.end(), {"--gtid-mode=ON", "--enforce-gtid-consistency=ON"});
        specs.emplace_back(name, o);
    }
    std::vector<std::unique_ptr<DbServer>> running;
    for (auto& [name, o] : specs) {
        if (!only.empty() && ("," + only + ",").find("," + name + ",") == std::string::npos) continue;
        running.push_back(std::make_unique<DbServer>(o));
        std::ofstream(dir + "/" + name + ".port") << running.back()->port() << "\n";
    }
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    std::cout << "ready" << std::endl;
    while (!g_stop) pause();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: tidemark-replay-bench servers|catchup|follow ...\n";
        return 2;
    }
    std::string mode = argv[1], stateDir, from, to, only, database = "sbtest";
    unsigned sp = 0, tp = 0;
    int workers = 4;
    double seconds = 30;
    size_t maxHeldMiB = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--state-dir") stateDir = v;
        else if (a == "--source-port") sp = std::stoul(v);
        else if (a == "--target-port") tp = std::stoul(v);
        else if (a == "--from") from = v;
        else if (a == "--to") to = v;
        else if (a == "--workers") workers = std::stoi(v);
        else if (a == "--seconds") seconds = std::stod(v);
        else if (a == "--servers") only = v;
        else if (a == "--database") database = v;
        else if (a == "--max-held-mib") maxHeldMiB = std::stoul(v);
    }
    try {
        if (mode == "servers") return servers(stateDir, only);
        replay::ReplayOptions o;
        o.start = parsePos(from);
        o.workers = workers;
        if (maxHeldMiB > 0) o.maxHeldTxnBytes = maxHeldMiB << 20;
        LagSink sink;
        std::atomic<bool> stop{false};
        if (mode == "catchup") {
            o.stopAt = parsePos(to);
            auto t0 = std::chrono::steady_clock::now();
            replay::runReplay(benchJob(database), endpoint("source", sp), endpoint("target", tp), o, sink, stop);
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            auto st = sink.snapshot();
            nlohmann::json out = {{"seconds", s},
                                  {"rows", st.value("rowsApplied", 0)},
                                  {"transactions", st.value("transactionsApplied", 0)},
                                  {"peakRssMiB", peakRssMiB()}};
            std::cout << out.dump() << std::endl;
            return 0;
        }
        if (mode == "follow") {
            std::exception_ptr err;
            std::thread t([&] {
                try {
                    replay::runReplay(benchJob(database), endpoint("source", sp), endpoint("target", tp), o, sink,
                                      stop);
                } catch (...) {
                    err = std::current_exception();
                }
            });
            std::vector<double> lags;
            auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
            while (std::chrono::steady_clock::now() < end && !err) {
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
                auto st = sink.snapshot();
                if (st.contains("lagSeconds")) lags.push_back(st["lagSeconds"].get<double>());
            }
            stop = true;
            t.join();
            if (err) std::rethrow_exception(err);
            std::sort(lags.begin(), lags.end());
            double sum = 0;
            for (double l : lags) sum += l;
            nlohmann::json out = {
                {"samples", lags.size()},
                {"maxLag", lags.empty() ? 0 : lags.back()},
                {"avgLag", lags.empty() ? 0 : sum / lags.size()},
                {"p95Lag", lags.empty() ? 0 : lags[std::min(lags.size() - 1, lags.size() * 95 / 100)]},
                {"rows", sink.snapshot().value("rowsApplied", 0)},
                {"peakRssMiB", peakRssMiB()}};
            std::cout << out.dump() << std::endl;
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "tidemark-replay-bench: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}
