// The controller loop: informers on MigrationJobs and runner pods feed a work queue; a worker
// reads one job afresh, asks decide() what to do and carries the actions out through the API.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "operator/metrics.h"
#include "operator/observed.h"

namespace tidemark::op {

struct ControllerConfig {
    std::vector<std::string> namespaces;  // empty = all
    Settings settings;
    int workers = 2;
    std::chrono::seconds resync{60};
    std::string identity;  // reportingInstance of events
};

class Controller {
public:
    Controller(const kube::Client& client, ControllerConfig config, Metrics& metrics);
    ~Controller();  // stop()
    void start();   // informers and workers on background threads
    void stop();
    bool synced() const;  // every informer holds its initial list

    // One reconcile of namespace/name now, on the calling thread (tests and tools).
    void reconcile(const std::string& key);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::op
