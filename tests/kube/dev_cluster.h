#pragma once
// hack/devcluster (the fake API server) as a child process for one test: started on a free
// loopback port, ready once /version answers, killed when the guard goes out of scope (also when
// the test fails by exception).

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"

namespace tidemark::kube::testing {

class DevCluster {
public:
    // Starts the server with extraArgs after --port/--kubeconfig. nullopt (after printing why)
    // only when hack/devcluster does not exist in this checkout; any other failure throws.
    static std::optional<DevCluster> start(const std::vector<std::string>& extraArgs = {});

    DevCluster(DevCluster&&) noexcept;
    DevCluster& operator=(DevCluster&&) = delete;
    ~DevCluster();

    int port() const { return port_; }
    const std::string& kubeconfigPath() const { return kubeconfig_; }
    // The config loaded from the kubeconfig the server wrote.
    Config config() const;
    // A namespace created for the test.
    static constexpr const char* kNamespace = "tidemark-test";
    // The server's output so far (for failure messages).
    std::string log() const;

private:
    DevCluster() = default;
    void stop();

    pid_t pid_ = -1;
    int port_ = 0;
    std::string dir_;
    std::string kubeconfig_;
};

}  // namespace tidemark::kube::testing
