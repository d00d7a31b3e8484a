#include "runner/status/metrics_sink.h"

#include "runner/status/http_server.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>

namespace tidemark::status {

struct MetricsSink::Impl {
    Labels job;
    mutable std::mutex mu;
    nlohmann::json state = nlohmann::json::object();
    std::map<std::string, std::uint64_t> errors;  // by lastError.reason
    std::unique_ptr<HttpServer> server;
};

namespace {

double number(const nlohmann::json& block, const char* key) {
    auto it = block.find(key);
    if (it == block.end() || !it->is_number()) return 0;
    return it->get<double>();
}

}  // namespace

MetricsSink::MetricsSink(const std::string& addr, const std::string& ns, const std::string& job)
    : impl_(std::make_unique<Impl>()) {
    impl_->job = {{"namespace", ns}, {"migrationjob", job}};
    impl_->server = std::make_unique<HttpServer>(
        addr,
        std::map<std::string, HttpServer::Handler>{
            {"/healthz",
             [] {
                 return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
             }},
            {"/metrics", [this] {
                 return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", render()};
             }}});
    impl_->server->start();
}

MetricsSink::~MetricsSink() { impl_->server->stop(); }

int MetricsSink::port() const { return impl_->server->port(); }

void MetricsSink::report(std::string_view block, const nlohmann::json& fields) {
    std::lock_guard lock(impl_->mu);
    if (block == "lastError") ++impl_->errors[fields.value("reason", std::string("Unknown"))];
    impl_->state[std::string(block)].merge_patch(fields);
}

std::string MetricsSink::render() const {
    namespace m = metric;
    std::lock_guard lock(impl_->mu);
    const auto& s = impl_->state;
    const Labels& job = impl_->job;
    Exposition out;
    addBuildInfo(out, "runner");
    // A stage's families carry samples once the stage has reported: an Incremental job shows
    // no full copy at 0 rows, and a copy shows no replay lag of 0.
    auto stage = [&](const Family& f, const nlohmann::json* block, double value) {
        out.family(f);
        if (block) out.sample(f, job, value);
    };
    const nlohmann::json* copy = s.contains("fullCopy") ? &s["fullCopy"] : nullptr;
    const nlohmann::json* inc = s.contains("incremental") ? &s["incremental"] : nullptr;
    const auto empty = nlohmann::json::object();
    const auto& c = copy ? *copy : empty;
    const auto& i = inc ? *inc : empty;
    stage(m::kFullCopyRows, copy, number(c, "rowsCopied"));
    stage(m::kFullCopyRowsEstimated, copy, number(c, "rowsEstimated"));
    stage(m::kFullCopyBytes, copy, number(c, "bytesCopied"));
    stage(m::kFullCopyProgress, copy, number(c, "percent") / 100);  // status has percent; a ratio is 0 to 1
    stage(m::kFullCopyRemaining, copy, number(c, "secondsLeft"));
    stage(m::kReplayRows, inc, number(i, "rowsApplied"));
    stage(m::kReplayTransactions, inc, number(i, "transactionsApplied"));
    stage(m::kReplayLag, inc && i.contains("lagSeconds") ? inc : nullptr, number(i, "lagSeconds"));
    stage(m::kReplaySafeMode, inc, i.value("safeMode", false) ? 1 : 0);
    const nlohmann::json* validation = inc && i.contains("validation") ? &i["validation"] : nullptr;
    const auto& v = validation ? *validation : empty;
    stage(m::kValidationRows, validation, number(v, "rowsValidated"));
    stage(m::kValidationPending, validation, number(v, "pending"));
    stage(m::kValidationDiffering, validation, number(v, "differing"));
    stage(m::kValidationSkipped, validation, number(v, "skipped"));
    const nlohmann::json* scan = validation && v.contains("fullScan") ? &v["fullScan"] : nullptr;
    const auto& f = scan ? *scan : empty;
    stage(m::kValidationScanRows, scan, number(f, "rowsScanned"));
    stage(m::kValidationScanPasses, scan, number(f, "passes"));
    stage(m::kValidationScanDiffering, scan, number(f, "differing"));
    out.family(m::kRunnerErrors);
    for (const auto& [reason, n] : impl_->errors) {
        Labels labels = job;
        labels.emplace_back("reason", reason);
        out.sample(m::kRunnerErrors, labels, static_cast<double>(n));
    }
    out.family(m::kPrecheckItems);
    if (s.contains("precheck") && s["precheck"].contains("items")) {
        std::map<std::string, int> byState = {{"Pass", 0}, {"Warning", 0}, {"Failed", 0}};
        for (const auto& item : s["precheck"]["items"]) ++byState[item.value("state", "")];
        for (const auto& [state, n] : byState) {
            if (state.empty()) continue;
            Labels labels = job;
            labels.emplace_back("state", state);
            out.sample(m::kPrecheckItems, labels, n);
        }
    }
    return out.str();
}

}  // namespace tidemark::status
