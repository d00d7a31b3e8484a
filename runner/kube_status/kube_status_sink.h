// A StatusSink that publishes the runner's blocks of MigrationJob.status (precheck, fullCopy,
// incremental, lastError) into the job's status subresource with JSON merge patches, so the
// operator's fields (phase, conditions, capacity, ...) are never touched and never lost.
//
// report() only merges into memory; a background thread publishes: steady progress (rows,
// bytes, percent, lag, positions) at most once per `minInterval` (10 s in a pod), a change the
// operator acts on (a new block or field, an error, the stalled state, a finished copy) within a
// second; flush() publishes now and waits. API failures are reported
// on stderr and retried on the next publish; they never reach the engine. Blocks other than
// api::contract::kRunnerBlocks (also cutover and sources, a job of several sources' blocks per
// source) are kept local (the CRD has no place for them).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "runner/status/status_sink.h"

namespace tidemark::kube {
class Client;
}

namespace tidemark::status {

// In-cluster configuration when running in a pod (KUBERNETES_SERVICE_HOST), else $KUBECONFIG.
// Throws std::runtime_error naming what is missing when neither is usable.
std::unique_ptr<StatusSink> kubeStatusSink(const std::string& ns, const std::string& name);

// The same against a given client (tests); the client must outlive the sink.
std::unique_ptr<StatusSink> kubeStatusSink(const kube::Client& client, const std::string& ns, const std::string& name,
                                           std::chrono::milliseconds minInterval = std::chrono::seconds(10));

// True when `fields` reported into `block` only move progress the server already shows (rows,
// bytes, percent below 100, lag, positions): such a report waits for the interval. False for a
// change the operator acts on (a first report, an error, the stalled state, a finished copy).
bool steadyProgress(const nlohmann::json& published, std::string_view block, const nlohmann::json& fields);

}  // namespace tidemark::status
