#include "kube/work_queue.h"

#include <algorithm>

namespace tidemark::kube {

ExponentialBackoff::ExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds cap)
    : base_(base), cap_(cap) {}

std::chrono::milliseconds ExponentialBackoff::when(const std::string& key) {
    int failures;
    {
        std::lock_guard lock(mu_);
        failures = failures_[key]++;
    }
    // base * 2^failures, computed without overflow: stop doubling once past the cap.
    auto delay = base_;
    for (int i = 0; i < failures && delay < cap_; ++i) delay *= 2;
    return std::min(delay, cap_);
}

void ExponentialBackoff::forget(const std::string& key) {
    std::lock_guard lock(mu_);
    failures_.erase(key);
}

int ExponentialBackoff::numRequeues(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = failures_.find(key);
    return it == failures_.end() ? 0 : it->second;
}

WorkQueue::WorkQueue(std::chrono::milliseconds baseDelay, std::chrono::milliseconds maxDelay)
    : backoff_(baseDelay, maxDelay) {}

void WorkQueue::addLocked(const std::string& key) {
    if (shuttingDown_ || dirty_.count(key)) return;
    dirty_.insert(key);
    if (processing_.count(key)) return;  // done() queues it again
    queue_.push_back(key);
    cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
    std::lock_guard lock(mu_);
    addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    if (shuttingDown_) return;
    if (delay <= std::chrono::milliseconds::zero()) {
        addLocked(key);
        return;
    }
    auto due = Clock::now() + delay;
    if (auto it = waitingByKey_.find(key); it != waitingByKey_.end()) {
        if (it->second->first <= due) return;
        waiting_.erase(it->second);
        waitingByKey_.erase(it);
    }
    waitingByKey_.emplace(key, waiting_.emplace(due, key));
    cv_.notify_all();  // a waiting get() may need to wake earlier
}

void WorkQueue::addRateLimited(const std::string& key) { addAfter(key, backoff_.when(key)); }

void WorkQueue::forget(const std::string& key) { backoff_.forget(key); }

int WorkQueue::numRequeues(const std::string& key) const { return backoff_.numRequeues(key); }

void WorkQueue::promoteDueLocked(Clock::time_point now) {
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
        std::string key = std::move(waiting_.begin()->second);
        waiting_.erase(waiting_.begin());
        waitingByKey_.erase(key);
        addLocked(key);
    }
}

std::optional<std::string> WorkQueue::popLocked() {
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    processing_.insert(key);
    dirty_.erase(key);
    return key;
}

std::optional<std::string> WorkQueue::get() {
    std::unique_lock lock(mu_);
    while (true) {
        promoteDueLocked(Clock::now());
        if (!queue_.empty()) return popLocked();
        if (shuttingDown_) return std::nullopt;
        if (waiting_.empty()) {
            cv_.wait(lock);
        } else {
            cv_.wait_until(lock, waiting_.begin()->first);
        }
    }
}

std::optional<std::string> WorkQueue::get(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::unique_lock lock(mu_);
    while (true) {
        auto now = Clock::now();
        promoteDueLocked(now);
        if (!queue_.empty()) return popLocked();
        if (shuttingDown_ || now >= deadline) return std::nullopt;
        auto until = deadline;
        if (!waiting_.empty()) until = std::min(until, waiting_.begin()->first);
        cv_.wait_until(lock, until);
    }
}

void WorkQueue::done(const std::string& key) {
    std::lock_guard lock(mu_);
    processing_.erase(key);
    if (dirty_.count(key)) {
        queue_.push_back(key);
        cv_.notify_one();
    }
}

void WorkQueue::shutdown() {
    std::lock_guard lock(mu_);
    shuttingDown_ = true;
    waiting_.clear();
    waitingByKey_.clear();
    cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
    std::lock_guard lock(mu_);
    return shuttingDown_;
}

size_t WorkQueue::len() const {
    std::lock_guard lock(mu_);
    return queue_.size();
}

}  // namespace tidemark::kube
