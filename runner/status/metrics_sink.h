// A StatusSink that serves what the runner reports as Prometheus metrics (text format 0.0.4)
// on GET /metrics, with /healthz for probes: rows and bytes copied, copy progress, rows and
// transactions applied, replay lag, safe mode, errors, precheck items by state, build info.
// The names are the families of runner/status/prometheus.h.
#pragma once

#include "runner/status/prometheus.h"
#include "runner/status/status_sink.h"

#include <memory>
#include <string>

namespace tidemark::status {

class MetricsSink : public StatusSink {
public:
    // Serves on `addr` ("HOST:PORT", ":PORT"; port 0 picks one). Throws std::runtime_error
    // naming the address when it cannot bind. Every job metric carries the labels
    // namespace="<ns>",migrationjob="<job>" (the operator's labels for the same quantities).
    MetricsSink(const std::string& addr, const std::string& ns, const std::string& job);
    ~MetricsSink() override;

    void report(std::string_view block, const nlohmann::json& fields) override;
    void note(std::string_view) override {}
    void flush() override {}

    std::string render() const;  // the exposition text served on /metrics
    int port() const;            // the bound port

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::status
