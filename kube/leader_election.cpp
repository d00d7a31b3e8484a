#include "kube/leader_election.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "kube/detail/time_format.h"
#include "kube/errors.h"

namespace tidemark::kube {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct LeaderElector::Impl {
    const Client& client;
    LeaderElectionConfig cfg;
    ObjectKey key;

    std::jthread thread;
    std::mutex sleepMu;
    std::condition_variable_any sleepCv;

    std::atomic<bool> leader{false};
    mutable std::mutex observedMu;
    std::string observedHolder;

    // The lease record as last seen and when (local clock): expiry is judged from our own
    // observation time, so clock skew between candidates does not matter.
    json observedSpec;
    SteadyClock::time_point observedAt{};

    Impl(const Client& c, LeaderElectionConfig config)
        : client(c), cfg(std::move(config)), key{cfg.leaseNamespace, cfg.leaseName} {}

    void report(const std::string& what) {
        if (!cfg.onError) return;
        try {
            cfg.onError("leader election " + key.str() + ": " + what);
        } catch (...) {}
    }

    // User callbacks run on the election thread: an exception must not end it.
    template <typename Fn, typename... Args>
    void safely(const char* name, const Fn& fn, const Args&... args) {
        if (!fn) return;
        try {
            fn(args...);
        } catch (const std::exception& e) {
            report(std::string(name) + " threw: " + e.what());
        } catch (...) {
            report(std::string(name) + " threw");
        }
    }

    void observe(const json& spec) {
        if (spec != observedSpec) {
            observedSpec = spec;
            observedAt = SteadyClock::now();
        }
        std::string holder = spec.value("holderIdentity", "");
        bool changed;
        {
            std::lock_guard lock(observedMu);
            changed = holder != observedHolder;
            observedHolder = holder;
        }
        if (changed && !holder.empty()) safely("onNewLeader", cfg.onNewLeader, holder);
    }

    int leaseSeconds() const {
        return std::max<int>(1, static_cast<int>(std::ceil(cfg.leaseDuration.count() / 1000.0)));
    }

    // One attempt to become or stay the holder. False when someone else holds a live lease or we
    // lost a write race.
    bool tryAcquireOrRenew() {
        const std::string now = detail::formatMicroTime(std::chrono::system_clock::now());
        auto lease = client.tryGet(resources::kLeases, key);
        if (!lease) {
            json spec = {{"holderIdentity", cfg.identity},
                         {"leaseDurationSeconds", leaseSeconds()},
                         {"acquireTime", now},
                         {"renewTime", now},
                         {"leaseTransitions", 0}};
            json object = {{"apiVersion", "coordination.k8s.io/v1"},
                           {"kind", "Lease"},
                           {"metadata", {{"name", key.name}, {"namespace", key.namespace_}}},
                           {"spec", spec}};
            try {
                json created = client.create(resources::kLeases, object);
                observe(created.value("spec", spec));
                return true;
            } catch (const ApiError& e) {
                if (e.isAlreadyExists()) return false;  // another candidate created it first
                throw;
            }
        }

        json spec = lease->value("spec", json::object());
        observe(spec);
        const std::string holder = spec.value("holderIdentity", "");
        const auto duration = std::chrono::seconds(spec.value("leaseDurationSeconds", leaseSeconds()));
        if (!holder.empty() && holder != cfg.identity && SteadyClock::now() < observedAt + duration) {
            return false;
        }

        json next = spec;
        next["holderIdentity"] = cfg.identity;
        next["leaseDurationSeconds"] = leaseSeconds();
        next["renewTime"] = now;
        if (holder != cfg.identity) {
            next["acquireTime"] = now;
            next["leaseTransitions"] = spec.value("leaseTransitions", 0) + (holder.empty() ? 0 : 1);
        }
        json updated = *lease;
        updated["spec"] = next;  // metadata.resourceVersion stays: a racer's write makes ours 409
        try {
            json stored = client.update(resources::kLeases, updated);
            observe(stored.value("spec", next));
            return true;
        } catch (const Conflict&) {
            return false;
        }
    }

    bool tryAcquireOrRenewReporting() {
        try {
            return tryAcquireOrRenew();
        } catch (const std::exception& e) {
            report(e.what());
            return false;
        }
    }

    // Gives the lease up so a successor need not wait for it to expire.
    void release() {
        try {
            client.updateWithRetry(
                resources::kLeases, key,
                [&](json& lease) {
                    json& spec = lease["spec"];
                    if (spec.value("holderIdentity", "") != cfg.identity) return false;
                    spec["holderIdentity"] = "";
                    spec["leaseDurationSeconds"] = 1;
                    spec["renewTime"] = detail::formatMicroTime(std::chrono::system_clock::now());
                    return true;
                },
                3);
        } catch (const std::exception& e) {
            report(std::string("release failed: ") + e.what());
        }
    }

    bool sleepFor(std::chrono::milliseconds d, const std::stop_token& stop) {
        std::unique_lock lock(sleepMu);
        sleepCv.wait_for(lock, stop, d, [] { return false; });  // wakes early only on stop
        return !stop.stop_requested();
    }

    bool otherHolderObserved() {
        std::lock_guard lock(observedMu);
        return !observedHolder.empty() && observedHolder != cfg.identity;
    }

    void run(std::stop_token stop) {
        while (!stop.stop_requested()) {
            // Campaign.
            while (!tryAcquireOrRenewReporting()) {
                if (!sleepFor(cfg.retryPeriod, stop)) return;
            }
            if (stop.stop_requested()) {
                if (cfg.releaseOnStop) release();
                return;
            }
            leader = true;
            safely("onStartedLeading", cfg.onStartedLeading);

            // Renew; lead only while renewals succeed within renewDeadline.
            auto lastRenew = SteadyClock::now();
            while (sleepFor(cfg.retryPeriod, stop)) {
                if (tryAcquireOrRenewReporting()) {
                    lastRenew = SteadyClock::now();
                    continue;
                }
                if (otherHolderObserved() || SteadyClock::now() - lastRenew >= cfg.renewDeadline) break;
            }
            leader = false;
            // Stop the work before a successor can take the lease, not after.
            safely("onStoppedLeading", cfg.onStoppedLeading);
            if (stop.stop_requested() && cfg.releaseOnStop) release();
        }
    }
};

LeaderElector::LeaderElector(const Client& client, LeaderElectionConfig config)
    : impl_(std::make_unique<Impl>(client, std::move(config))) {
    const auto& c = impl_->cfg;
    if (c.leaseNamespace.empty() || c.leaseName.empty() || c.identity.empty()) {
        throw std::invalid_argument("leader election needs a lease namespace, name and identity");
    }
    if (!(c.leaseDuration > c.renewDeadline && c.renewDeadline > c.retryPeriod && c.retryPeriod.count() > 0)) {
        throw std::invalid_argument(
            "leader election timings must satisfy leaseDuration > renewDeadline > retryPeriod > 0");
    }
}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
    if (impl_->thread.joinable()) return;
    impl_->thread = std::jthread([this](std::stop_token st) { impl_->run(st); });
}

void LeaderElector::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->thread.request_stop();
    impl_->thread.join();
}

bool LeaderElector::isLeader() const { return impl_->leader; }

std::string LeaderElector::observedLeader() const {
    std::lock_guard lock(impl_->observedMu);
    return impl_->observedHolder;
}

}  // namespace tidemark::kube
