#include "kube/watcher.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "kube/errors.h"

namespace tidemark::kube {

using nlohmann::json;

namespace {
std::string resourceVersionOf(const json& object) {
    if (auto m = object.find("metadata"); m != object.end() && m->is_object()) {
        return m->value("resourceVersion", "");
    }
    return "";
}

// Orders resourceVersions numerically when both are numbers (as etcd's are); they are opaque
// strings otherwise, and then the list order is kept.
bool olderVersion(const std::string& a, const std::string& b) {
    bool numeric = !a.empty() && !b.empty() && a.find_first_not_of("0123456789") == std::string::npos &&
        b.find_first_not_of("0123456789") == std::string::npos;
    if (!numeric) return false;
    if (a.size() != b.size()) return a.size() < b.size();
    return a < b;
}
}  // namespace

struct Watcher::Impl {
    const Client& client;
    WatcherOptions options;
    Handler handler;
    SyncHandler onSynced;

    std::jthread thread;
    std::mutex sleepMu;
    std::condition_variable_any sleepCv;

    mutable std::mutex stateMu;  // guards the fields read from other threads
    std::string lastVersion;
    bool synced = false;
    int watchRequests = 0;
    int relists = 0;

    // Last known state per key: what a relist compares against, and what Deleted reports.
    std::unordered_map<std::string, json> known;
    bool listed = false;  // known holds the whole collection (false while resuming from a version)

    Impl(const Client& c, WatcherOptions o, Handler h, SyncHandler s)
        : client(c), options(std::move(o)), handler(std::move(h)), onSynced(std::move(s)) {}

    void setVersion(const std::string& rv) {
        if (rv.empty()) return;
        std::lock_guard lock(stateMu);
        lastVersion = rv;
    }
    std::string version() const {
        std::lock_guard lock(stateMu);
        return lastVersion;
    }

    void report(const std::string& what) {
        if (options.onError) {
            try {
                options.onError(what);
            } catch (...) {}
        }
    }

    void deliver(const WatchEvent& event) {
        try {
            handler(event);
        } catch (const std::exception& e) {
            report(std::string("watch handler threw: ") + e.what());
        } catch (...) {
            report("watch handler threw a non-standard exception");
        }
    }

    void apply(WatchEvent&& event) {
        switch (event.type) {
            case WatchEvent::Type::Bookmark: setVersion(resourceVersionOf(event.object)); return;
            case WatchEvent::Type::Error: return;  // Client::watch turns ERROR events into Gone or exceptions
            case WatchEvent::Type::Added:
            case WatchEvent::Type::Modified: {
                std::string key = ObjectKey::of(event.object).str();
                auto it = known.find(key);
                // After a relist the server may replay a change the list already contained.
                if (it != known.end() && resourceVersionOf(it->second) == resourceVersionOf(event.object)) {
                    setVersion(resourceVersionOf(event.object));
                    return;
                }
                // Once listed, `known` is the whole collection, so it decides Added vs Modified.
                if (listed) event.type = it == known.end() ? WatchEvent::Type::Added : WatchEvent::Type::Modified;
                known[key] = event.object;
                break;
            }
            case WatchEvent::Type::Deleted: known.erase(ObjectKey::of(event.object).str()); break;
        }
        setVersion(resourceVersionOf(event.object));
        deliver(event);
    }

    // Lists the collection and reports the difference to what is known, ordered by version.
    void relist(const std::stop_token& stop) {
        ListOptions lo;
        lo.selectors = options.selectors;
        lo.limit = options.listPageSize;
        ListResult result = client.list(options.resource, options.namespace_, lo);
        if (stop.stop_requested()) return;

        std::vector<WatchEvent> changes;
        std::unordered_map<std::string, json> fresh;
        fresh.reserve(result.items.size());
        for (auto& item : result.items) {
            std::string key = ObjectKey::of(item).str();
            auto it = known.find(key);
            if (it == known.end()) {
                changes.push_back({WatchEvent::Type::Added, item});
            } else if (resourceVersionOf(it->second) != resourceVersionOf(item)) {
                changes.push_back({WatchEvent::Type::Modified, item});
            }
            fresh.emplace(std::move(key), std::move(item));
        }
        std::stable_sort(changes.begin(), changes.end(), [](const WatchEvent& a, const WatchEvent& b) {
            return olderVersion(resourceVersionOf(a.object), resourceVersionOf(b.object));
        });
        for (auto& [key, last] : known) {
            if (!fresh.count(key)) changes.push_back({WatchEvent::Type::Deleted, last});
        }
        known = std::move(fresh);
        for (const auto& change : changes) deliver(change);
        setVersion(result.resourceVersion);
        this->listed = true;
        {
            std::lock_guard lock(stateMu);
            synced = true;
        }
        if (onSynced) {
            try {
                onSynced();
            } catch (...) {
                report("sync handler threw");
            }
        }
    }

    // Sleeps for d unless stopped first; false when stopped.
    bool sleepFor(std::chrono::milliseconds d, const std::stop_token& stop) {
        std::unique_lock lock(sleepMu);
        sleepCv.wait_for(lock, stop, d, [] { return false; });  // wakes early only on stop
        return !stop.stop_requested();
    }

    void run(std::stop_token stop) {
        auto backoff = options.initialBackoff;
        auto fail = [&](const std::string& what) {
            report(what + " (retrying in " + std::to_string(backoff.count()) + " ms)");
            bool ok = sleepFor(backoff, stop);
            backoff = std::min(backoff * 2, options.maxBackoff);
            return ok;
        };

        bool needList = options.resourceVersion.empty();
        if (!needList) {
            setVersion(options.resourceVersion);
            std::lock_guard lock(stateMu);
            synced = true;
        }
        bool initial = true;
        while (!stop.stop_requested()) {
            try {
                if (needList) {
                    relist(stop);
                    if (stop.stop_requested()) return;
                    if (!initial) {
                        std::lock_guard lock(stateMu);
                        ++relists;
                    }
                    initial = false;
                    needList = false;
                }
                WatchRequest req;
                req.selectors = options.selectors;
                req.resourceVersion = version();
                req.timeoutSeconds = options.timeoutSeconds;
                req.allowBookmarks = true;
                {
                    std::lock_guard lock(stateMu);
                    ++watchRequests;
                }
                const auto opened = std::chrono::steady_clock::now();
                int received = 0;
                WatchEnd end = client.watch(
                    options.resource, options.namespace_, req,
                    [&](WatchEvent&& ev) {
                        ++received;
                        apply(std::move(ev));
                    },
                    stop);
                switch (end) {
                    case WatchEnd::Stopped: return;
                    case WatchEnd::Gone: needList = true; break;
                    case WatchEnd::Closed:  // normal end of a watch window: resume from version()
                        // ...unless the server ends every watch at once: don't spin against it.
                        if (received == 0 &&
                            std::chrono::steady_clock::now() - opened < std::chrono::milliseconds(100)) {
                            if (!fail("watch closed immediately")) return;
                            continue;
                        }
                        break;
                }
                backoff = options.initialBackoff;
            } catch (const ApiError& e) {
                if (e.isGone()) {
                    needList = true;
                    continue;
                }
                if (!fail(e.what())) return;
            } catch (const std::exception& e) {
                if (!fail(e.what())) return;
            }
        }
    }
};

Watcher::Watcher(const Client& client, WatcherOptions options, Handler handler, SyncHandler onSynced)
    : impl_(std::make_unique<Impl>(client, std::move(options), std::move(handler), std::move(onSynced))) {}

Watcher::~Watcher() { stop(); }

void Watcher::start() {
    if (impl_->thread.joinable()) return;
    impl_->thread = std::jthread([this](std::stop_token st) { impl_->run(st); });
}

void Watcher::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->thread.request_stop();
    impl_->thread.join();
}

bool Watcher::hasSynced() const {
    std::lock_guard lock(impl_->stateMu);
    return impl_->synced;
}

std::string Watcher::lastResourceVersion() const { return impl_->version(); }

int Watcher::watchRequests() const {
    std::lock_guard lock(impl_->stateMu);
    return impl_->watchRequests;
}

int Watcher::relists() const {
    std::lock_guard lock(impl_->stateMu);
    return impl_->relists;
}

}  // namespace tidemark::kube
