// tidemark-operator: runs MigrationJobs. In a pod it uses the service account (in-cluster
// config); elsewhere --kubeconfig FILE or $KUBECONFIG (the dev cluster writes one).
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include "kube/config.h"
#include "kube/errors.h"
#include "kube/leader_election.h"
#include "operator/controller.h"
#include "runner/status/http_server.h"
#include "operator/log.h"
#include "operator/options.h"

using namespace tidemark;

namespace {

std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop = true; }

kube::Config loadConfig(const op::Options& o) {
    if (!o.kubeconfig.empty()) return kube::loadKubeconfig(o.kubeconfig);
    return kube::loadDefaultConfig();
}

std::string identity() {
    if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

int main(int argc, char** argv) {
    op::Options options;
    try {
        options = op::parseOptions(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const op::UsageError& e) {
        std::cerr << "tidemark-operator: " << e.what() << "\n" << op::usage();
        return 2;
    }
    if (options.help) {
        std::cout << op::usage();
        return 0;
    }
    if (options.version) {
        std::cout << "tidemark-operator " << TIDEMARK_VERSION << "\n";
        return 0;
    }
    op::log::setup(options.logFormat, options.logLevel);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        kube::Config config = loadConfig(options);
        config.userAgent = "tidemark-operator";
        kube::Client client(config);
        op::Metrics metrics;
        const std::string id = identity();

        op::ControllerConfig cc{options.namespaces, options.settings, options.workers, options.resync, id};
        op::Controller controller(client, cc, metrics);

        std::mutex mu;
        std::condition_variable cv;
        bool lead = false, lost = false;
        std::atomic<bool> started{false};

        std::unique_ptr<status::HttpServer> http;
        if (options.metricsAddr != "0" && !options.metricsAddr.empty()) {
            http = std::make_unique<status::HttpServer>(
                options.metricsAddr,
                std::map<std::string, status::HttpServer::Handler>{
                    {"/healthz",
                     [] {
                         return status::HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
                     }},
                    {"/readyz",
                     [&] {
                         // A standby is ready (it serves probes and waits for the lease); the leader is
                         // ready once its caches hold the initial lists.
                         const bool ready = !started || controller.synced();
                         return status::HttpResponse{ready ? 200 : 503, "text/plain; charset=utf-8",
                                                     ready ? "ok\n" : "informers not synced\n"};
                     }},
                    {"/metrics", [&] {
                         return status::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()};
                     }}});
            http->start();
            op::log::info("serving /healthz /readyz /metrics", {{"addr", options.metricsAddr}, {"port", http->port()}});
        }

        std::unique_ptr<kube::LeaderElector> elector;
        if (options.leaderElect) {
            kube::LeaderElectionConfig lc;
            lc.leaseNamespace =
                options.leaderElectionNamespace.empty() ? config.namespace_ : options.leaderElectionNamespace;
            lc.leaseName = options.leaderElectionId;
            lc.identity = id;
            lc.leaseDuration = options.leaseDuration;
            lc.renewDeadline = options.renewDeadline;
            lc.retryPeriod = options.retryPeriod;
            lc.onStartedLeading = [&] {
                std::lock_guard lock(mu);
                lead = true;
                cv.notify_all();
            };
            lc.onStoppedLeading = [&] {
                std::lock_guard lock(mu);
                lost = true;
                cv.notify_all();
            };
            lc.onNewLeader = [](const std::string& who) { op::log::info("leader", {{"identity", who}}); };
            lc.onError = [](const std::string& e) { op::log::warn("leader election", {{"error", e}}); };
            elector = std::make_unique<kube::LeaderElector>(client, lc);
            op::log::info("campaigning for the lease",
                          {{"lease", lc.leaseNamespace + "/" + lc.leaseName}, {"identity", id}});
            elector->start();
        } else {
            lead = true;
        }

        int exitCode = 0;
        while (!g_stop) {
            std::unique_lock lock(mu);
            cv.wait_for(lock, std::chrono::milliseconds(200));
            if (lead && !started) {
                lock.unlock();
                metrics.setLeader(true);
                controller.start();
                started = true;
                continue;
            }
            if (lost) {
                // Another instance may already act on the jobs: stop at once and let the restart
                // campaign again (client-go operators do the same).
                op::log::error("leadership lost; exiting");
                exitCode = 1;
                break;
            }
        }
        op::log::info("stopping");
        controller.stop();
        metrics.setLeader(false);
        if (elector) elector->stop();
        if (http) http->stop();
        return exitCode;
    } catch (const kube::ConfigError& e) {
        op::log::error("no usable Kubernetes configuration", {{"error", e.what()}});
        return 2;
    } catch (const std::exception& e) {
        op::log::error("fatal", {{"error", e.what()}});
        return 1;
    }
}
