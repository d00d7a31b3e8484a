#pragma once
// A rate-limited work queue of string keys (client-go's workqueue semantics):
// - a key is queued at most once however often it is added before a worker takes it;
// - a key being processed (get() returned it, done() not yet called) is never handed to a second
//   worker; if it is added meanwhile it is queued again when done() is called;
// - addRateLimited delays a key by a per-key exponential backoff until forget(key);
// - after shutdown() get() drains what is queued, then returns nullopt; delayed adds are dropped.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace tidemark::kube {

// Per-key exponential backoff: base * 2^failures, capped. Thread-safe.
class ExponentialBackoff {
public:
    explicit ExponentialBackoff(std::chrono::milliseconds base = std::chrono::milliseconds(5),
                                std::chrono::milliseconds cap = std::chrono::seconds(1000));
    // The delay for this attempt; counts a failure for key.
    std::chrono::milliseconds when(const std::string& key);
    void forget(const std::string& key);
    int numRequeues(const std::string& key) const;

private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, int> failures_;
};

class WorkQueue {
public:
    using Clock = std::chrono::steady_clock;

    // addRateLimited delays: baseDelay * 2^failures, capped at maxDelay.
    explicit WorkQueue(std::chrono::milliseconds baseDelay = std::chrono::milliseconds(5),
                       std::chrono::milliseconds maxDelay = std::chrono::seconds(1000));

    void add(const std::string& key);
    void addAfter(const std::string& key, std::chrono::milliseconds delay);
    void addRateLimited(const std::string& key);  // addAfter(key, backoff.when(key))
    void forget(const std::string& key);          // resets the key's backoff
    int numRequeues(const std::string& key) const;

    // Blocks until a key is ready; nullopt once shut down and drained. Call done(key) afterwards.
    std::optional<std::string> get();
    // Like get(), giving up after timeout (nullopt).
    std::optional<std::string> get(std::chrono::milliseconds timeout);
    void done(const std::string& key);

    void shutdown();
    bool shuttingDown() const;
    size_t len() const;  // keys ready to be handed out (not delayed, not processing)

private:
    void addLocked(const std::string& key);
    void promoteDueLocked(Clock::time_point now);
    std::optional<std::string> popLocked();

    ExponentialBackoff backoff_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> queue_;
    std::unordered_set<std::string> dirty_;       // queued (or to be re-queued) and not yet handed out
    std::unordered_set<std::string> processing_;  // handed out, done() not yet called
    // addAfter keys by due time; a key waits at most once, at its earliest due time.
    std::multimap<Clock::time_point, std::string> waiting_;
    std::unordered_map<std::string, std::multimap<Clock::time_point, std::string>::iterator> waitingByKey_;
    bool shuttingDown_ = false;
};

}  // namespace tidemark::kube
