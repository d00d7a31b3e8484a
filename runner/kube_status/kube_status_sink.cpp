#include "runner/kube_status/kube_status_sink.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "api/runner_contract.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/errors.h"

namespace tidemark::status {

namespace {

using nlohmann::json;

bool runnerBlock(std::string_view block) { return api::contract::runnerOwns(block); }

// Accumulates merge patches: objects merge key by key, anything else (nulls included, so that
// deletions reach the server) replaces.
void accumulate(json& into, const json& patch) {
    if (!patch.is_object() || !into.is_object()) {
        into = patch;
        return;
    }
    for (const auto& [k, v] : patch.items()) {
        if (v.is_object() && into.contains(k) && into[k].is_object()) accumulate(into[k], v);
        else into[k] = v;
    }
}

}  // namespace

bool steadyProgress(const json& published, std::string_view block, const json& fields) {
    static const std::set<std::string, std::less<>> kSteady = {
        "rowsCopied",      "bytesCopied", "bytesPerSecond", "rowsEstimated",       "percent",
        "lagSeconds",      "rowsApplied", "rowsPerSecond",  "transactionsApplied", "sourcePosition",
        "appliedPosition", "gtidSet",     "safeModeUntil",  "tablesDone",          "tables"};
    auto b = published.find(std::string(block));
    if (b == published.end() || !b->is_object() || !fields.is_object()) return false;
    if (block == api::contract::kBlockSources) {  // {id: {block: fields}}: steady when each source's is
        for (const auto& [id, blocks] : fields.items()) {
            if (!blocks.is_object() || !b->contains(id)) return false;
            for (const auto& [inner, innerFields] : blocks.items())
                if (!steadyProgress((*b)[id], inner, innerFields)) return false;
        }
        return true;
    }
    for (const auto& [k, v] : fields.items()) {
        if (!kSteady.count(k) || !b->contains(k)) return false;
        if (k == "percent" && v.is_number() && v.get<double>() >= 100) return false;
    }
    return true;
}

namespace {

class KubeStatusSink final : public StatusSink {
public:
    KubeStatusSink(const kube::Client& client, std::unique_ptr<kube::Client> owned, std::string ns, std::string name,
                   std::chrono::milliseconds minInterval)
        : owned_(std::move(owned)), client_(client), key_{std::move(ns), std::move(name)}, minInterval_(minInterval) {
        thread_ = std::thread([this] { loop(); });
    }

    ~KubeStatusSink() override {
        flush();
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    void report(std::string_view block, const json& fields) override {
        if (!runnerBlock(block)) return;
        std::lock_guard lock(mu_);
        if (gone_) return;
        if (!steadyProgress(published_, block, fields)) urgent_ = true;
        json& pending = pending_[std::string(block)];
        if (pending.is_null()) pending = json::object();
        accumulate(pending, fields);
        cv_.notify_all();
    }

    void note(std::string_view message) override {
        std::lock_guard lock(mu_);
        std::cerr << message << "\n";
    }

    void flush() override {
        std::unique_lock lock(mu_);
        publishLocked(lock);
    }

private:
    void loop() {
        std::unique_lock lock(mu_);
        while (!stopping_) {
            cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (stopping_) break;
            // Rate limit: steady progress at most once per interval, a change within a second;
            // reports meanwhile coalesce.
            const auto due = [&] {
                return lastPublish_ + (urgent_ ? std::min(minInterval_, kChangeDelay) : minInterval_);
            };
            // Each wake-up (a report may have made it urgent) recomputes when the publish is due.
            for (auto d = due(); !stopping_ && std::chrono::steady_clock::now() < d; d = due()) cv_.wait_until(lock, d);
            if (stopping_) break;
            publishLocked(lock);
            if (!pending_.empty()) cv_.wait_for(lock, minInterval_, [&] { return stopping_; });  // failed: back off
        }
    }

    // Sends everything pending as one status merge patch. Called with the lock held; releases it
    // during the request so report() never waits on the network. One publish at a time, in order.
    void publishLocked(std::unique_lock<std::mutex>& lock) {
        // Wait for a publish in flight first, even with nothing pending: flush() promises that
        // everything reported before it is on the server when it returns.
        while (publishing_) done_.wait(lock);
        if (pending_.empty() || gone_) return;
        json patch = {{"status", pending_}};
        pending_ = json::object();
        urgent_ = false;
        publishing_ = true;
        lock.unlock();
        std::string error;
        bool gone = false;
        try {
            client_.patchStatus(kube::resources::kMigrationJobs, key_, patch);
        } catch (const kube::ApiError& e) {
            gone = e.isNotFound();
            error = e.what();
        } catch (const std::exception& e) {
            error = e.what();
        }
        lock.lock();
        publishing_ = false;
        lastPublish_ = std::chrono::steady_clock::now();
        if (error.empty() && !gone) accumulate(published_, patch["status"]);
        if (gone) {
            gone_ = true;  // the job was deleted: nothing left to report into
            pending_ = json::object();
            std::cerr << "tidemark-runner: MigrationJob " << key_.str() << " is gone; status not published\n";
        } else if (!error.empty()) {
            // Put it back under anything newer, to be retried.
            json retry = patch["status"];
            accumulate(retry, pending_);
            pending_ = retry;
            urgent_ = true;  // retried after the interval's back-off below, not at once
            std::cerr << "tidemark-runner: status of MigrationJob " << key_.str() << " not published: " << error
                      << "\n";
        }
        done_.notify_all();
    }

    std::unique_ptr<kube::Client> owned_;
    const kube::Client& client_;
    kube::ObjectKey key_;
    std::chrono::milliseconds minInterval_;
    std::mutex mu_;
    std::condition_variable cv_, done_;
    static constexpr std::chrono::milliseconds kChangeDelay{1000};
    json pending_ = json::object();
    json published_ = json::object();  // what the server holds of the runner's blocks
    bool urgent_ = false;              // pending holds a change, not only steady progress
    bool publishing_ = false;
    bool stopping_ = false;
    bool gone_ = false;
    std::chrono::steady_clock::time_point lastPublish_{};
    std::thread thread_;
};

}  // namespace

std::unique_ptr<StatusSink> kubeStatusSink(const kube::Client& client, const std::string& ns, const std::string& name,
                                           std::chrono::milliseconds minInterval) {
    return std::make_unique<KubeStatusSink>(client, nullptr, ns, name, minInterval);
}

std::unique_ptr<StatusSink> kubeStatusSink(const std::string& ns, const std::string& name) {
    kube::Config config;
    try {
        config = kube::loadDefaultConfig();
    } catch (const kube::ConfigError& e) {
        throw std::runtime_error(std::string("cannot report status to MigrationJob ") + ns + "/" + name + ": " +
                                 e.what());
    }
    config.userAgent = "tidemark-runner";
    config.requestTimeout = std::chrono::seconds(10);
    auto client = std::make_unique<kube::Client>(config);
    const kube::Client& ref = *client;
    return std::make_unique<KubeStatusSink>(ref, std::move(client), ns, name, std::chrono::seconds(10));
}

}  // namespace tidemark::status
