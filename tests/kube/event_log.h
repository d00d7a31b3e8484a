#pragma once
// Collects what a watcher/informer reports, for assertions from the test thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace tidemark::kube::testing {

class EventLog {
public:
    void add(std::string entry) {
        std::lock_guard lock(mu_);
        entries_.push_back(std::move(entry));
        cv_.notify_all();
    }
    std::vector<std::string> entries() const {
        std::lock_guard lock(mu_);
        return entries_;
    }
    // Waits until pred(entries) holds; false on timeout.
    bool waitFor(const std::function<bool(const std::vector<std::string>&)>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return pred(entries_); });
    }
    bool waitForCount(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        return waitFor([n](const auto& e) { return e.size() >= n; }, timeout);
    }

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::vector<std::string> entries_;
};

}  // namespace tidemark::kube::testing
