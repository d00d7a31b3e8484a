// A StatusSink that publishes the runner's blocks of MigrationJob.status (precheck, fullCopy,
// incremental, lastError) into the job's status subresource with JSON merge patches, so the
// operator's fields (phase, conditions, capacity, ...) are never touched and never lost.
//
// report() only merges into memory; a background thread publishes what changed at most once
// per `minInterval` (default 2 s); flush() publishes now and waits. API failures are reported
// on stderr and retried on the next publish; they never reach the engine. Blocks other than
// the four above are kept local (the CRD has no place for them).
#pragma once

#include <chrono>
#include <memory>
#include <string>

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
                                           std::chrono::milliseconds minInterval = std::chrono::seconds(2));

}  // namespace tidemark::status
