#include "runner/status/metrics_sink.h"

#include "runner/status/http_server.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <sstream>

namespace tidemark::status {

struct MetricsSink::Impl {
    std::string jobLabel;
    mutable std::mutex mu;
    nlohmann::json state = nlohmann::json::object();
    std::uint64_t errors = 0;
    std::unique_ptr<HttpServer> server;
};

std::string prometheusLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

namespace {

double number(const nlohmann::json& block, const char* key) {
    auto it = block.find(key);
    if (it == block.end() || !it->is_number()) return 0;
    return it->get<double>();
}

}  // namespace

MetricsSink::MetricsSink(const std::string& addr, const std::string& job) : impl_(std::make_unique<Impl>()) {
    impl_->jobLabel = "job=\"" + prometheusLabel(job) + "\"";
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
    if (block == "lastError") ++impl_->errors;
    impl_->state[std::string(block)].merge_patch(fields);
}

std::string MetricsSink::render() const {
    std::lock_guard lock(impl_->mu);
    const auto& s = impl_->state;
    const auto& label = impl_->jobLabel;
    std::ostringstream out;
    auto metric = [&](const char* name, const char* type, const char* help, double value) {
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
            << name << "{" << label << "} " << value << "\n";
    };
    const auto empty = nlohmann::json::object();
    const auto& copy = s.contains("fullCopy") ? s["fullCopy"] : empty;
    const auto& inc = s.contains("incremental") ? s["incremental"] : empty;
    metric("tidemark_runner_rows_copied_total", "counter", "Rows the full copy has written to the target.",
           number(copy, "rowsCopied"));
    metric("tidemark_runner_bytes_copied_total", "counter", "Value bytes the full copy has written.",
           number(copy, "bytesCopied"));
    metric("tidemark_runner_copy_percent", "gauge", "Full copy progress, 0 to 100.", number(copy, "percent"));
    metric("tidemark_runner_copy_bytes_per_second", "gauge", "Current full copy rate.", number(copy, "bytesPerSecond"));
    metric("tidemark_runner_rows_applied_total", "counter", "Row changes replayed from the binlog.",
           number(inc, "rowsApplied"));
    metric("tidemark_runner_transactions_applied_total", "counter", "Source transactions replayed.",
           number(inc, "transactionsApplied"));
    metric("tidemark_runner_replay_lag_seconds", "gauge", "How far the target trails the source.",
           number(inc, "lagSeconds"));
    metric("tidemark_runner_safe_mode", "gauge", "1 while replay writes in safe mode.",
           inc.value("safeMode", false) ? 1 : 0);
    metric("tidemark_runner_errors_total", "counter", "Errors that ended a stage.", static_cast<double>(impl_->errors));
    if (s.contains("precheck") && s["precheck"].contains("items")) {
        std::map<std::string, int> byState = {{"Pass", 0}, {"Warning", 0}, {"Failed", 0}};
        for (const auto& item : s["precheck"]["items"]) ++byState[item.value("state", "")];
        out << "# HELP tidemark_runner_precheck_items Precheck items by state.\n"
               "# TYPE tidemark_runner_precheck_items gauge\n";
        for (const auto& [state, n] : byState)
            out << "tidemark_runner_precheck_items{" << label << ",state=\"" << state << "\"} " << n << "\n";
    }
    return out.str();
}

}  // namespace tidemark::status
