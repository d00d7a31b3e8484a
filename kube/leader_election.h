#pragma once
// Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection algorithm):
// acquire when the lease is free or its holder has not renewed within leaseDuration (measured on
// the local clock from when this process last saw the record change), renew every retryPeriod,
// give up leadership when no renewal succeeded within renewDeadline. Writes are PUTs carrying the
// resourceVersion read, so two candidates racing for the lease cannot both win (409).

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"

namespace tidemark::kube {

struct LeaderElectionConfig {
    std::string leaseNamespace;
    std::string leaseName;
    std::string identity;  // unique per candidate, e.g. the pod name
    std::chrono::milliseconds leaseDuration{15'000};
    std::chrono::milliseconds renewDeadline{10'000};
    std::chrono::milliseconds retryPeriod{2'000};
    // On stop(), a leader clears holderIdentity so a successor need not wait for expiry.
    bool releaseOnStop = true;
    // Called on the election thread; must return promptly (start/stop work elsewhere).
    std::function<void()> onStartedLeading;
    std::function<void()> onStoppedLeading;
    std::function<void(const std::string& identity)> onNewLeader;  // optional, any observed holder
    std::function<void(const std::string&)> onError;               // optional diagnostics
};

class LeaderElector {
public:
    // Throws std::invalid_argument unless leaseDuration > renewDeadline > retryPeriod > 0 and the
    // names are non-empty.
    LeaderElector(const Client& client, LeaderElectionConfig config);
    ~LeaderElector();  // stop()
    LeaderElector(const LeaderElector&) = delete;
    LeaderElector& operator=(const LeaderElector&) = delete;

    // Runs the election on a background thread. After losing leadership it campaigns again.
    void start();
    // Stops campaigning; a leader calls onStoppedLeading and (releaseOnStop) releases the lease.
    void stop();

    bool isLeader() const;
    std::string observedLeader() const;  // last holderIdentity seen ("" if none)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube
