// tidemark-copy-bench: runs the full copy (or verify) of one database between two local
// servers as root without a password, for the benchmark script; prints one JSON line with
// the result and this process's peak RSS.
//
//   tidemark-copy-bench --source-port N --target-port M --database DB [--mode logical|physical]
//                       [--capacity 2|4|8|16] [--job NAME] [--verify]
// Tuning comes from the environment (TIDEMARK_COPY_WORKERS, ..., see runner/copy/full_copy.h).
#include "runner/copy/full_copy.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>

using namespace tidemark;

namespace {

class QuietSink : public status::StatusSink {
public:
    void report(std::string_view, const nlohmann::json& fields) override { last_ = fields; }
    void note(std::string_view message) override {
        std::cerr << std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()
                  << " s: " << message << "\n";
    }
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    void flush() override {}
    nlohmann::json last_;
};

long peakRssKiB() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned sourcePort = 0, targetPort = 0;
    std::string database, mode = "logical", jobName = "bench";
    int capacity = 4;
    bool doVerify = false;
    for (int i = 1; i < argc; ++i) {
        auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
        if (arg("--source-port")) sourcePort = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (arg("--target-port")) targetPort = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (arg("--database")) database = argv[++i];
        else if (arg("--mode")) mode = argv[++i];
        else if (arg("--capacity")) capacity = std::stoi(argv[++i]);
        else if (arg("--job")) jobName = argv[++i];
        else if (std::strcmp(argv[i], "--verify") == 0) doVerify = true;
        else {
            std::cerr << "usage: tidemark-copy-bench --source-port N --target-port M --database DB "
                         "[--mode logical|physical] [--capacity N] [--job NAME] [--verify]\n";
            return 2;
        }
    }
    api::MigrationJob job;
    job.name = jobName;
    job.type = api::JobType::Full;
    job.fullMode = mode == "physical" ? api::FullMode::Physical : api::FullMode::Logical;
    job.capacity = capacity;
    job.objects.include.push_back({database, {}});
    db::ConnectOptions source, target;
    source.role = "source";
    source.host = target.host = "127.0.0.1";
    source.user = target.user = "root";
    source.port = sourcePort;
    target.role = "target";
    target.port = targetPort;
    QuietSink sink;
    try {
        const auto t0 = std::chrono::steady_clock::now();
        nlohmann::json out;
        if (doVerify) {
            auto v = copy::verify(job, source, target, sink);
            nlohmann::json lines = nlohmann::json::array();
            for (const auto& d : v.differences) lines.push_back(d.text());
            out = {{"identical", v.identical}, {"rowsCompared", v.rowsCompared}, {"differences", lines}};
        } else {
            std::atomic<bool> stop{false};
            auto r = copy::runFullCopy(job, source, target, sink, stop);
            out = {{"rows", r.rows},       {"bytes", r.bytes},          {"lockSeconds", r.lockSeconds},
                   {"resumed", r.resumed}, {"file", r.replayFrom.file}, {"pos", r.replayFrom.pos}};
        }
        out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["peakRssKiB"] = peakRssKiB();
        std::cout << out.dump() << std::endl;
        return doVerify && !out["identical"].get<bool>() ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-copy-bench: " << e.what() << "\n";
        return 1;
    }
}
