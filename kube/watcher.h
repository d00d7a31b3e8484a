#pragma once
// A long-running list+watch of one collection on a background thread (client-go's Reflector):
// resumes from the last seen resourceVersion when the server closes the stream, follows
// bookmarks, relists on 410 Gone and reports what changed meanwhile, and reconnects with
// exponential backoff on errors. Every change the watch streams is reported once, in order; after
// a relist, what changed while the watcher was behind is reported once per object (its newest
// state: Added/Modified ordered by resourceVersion, then Deleted).

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"

namespace tidemark::kube {

struct WatcherOptions {
    ResourceRef resource;
    std::string namespace_;  // "" = all namespaces / cluster-scoped
    Selectors selectors;
    // "" = list first (each existing object is reported as Added) then watch from the list's
    // version. Otherwise watch strictly after this version (no initial list).
    std::string resourceVersion;
    int timeoutSeconds = 300;  // per watch request; the watcher re-watches after each
    std::chrono::milliseconds initialBackoff{200};
    std::chrono::milliseconds maxBackoff{30'000};
    int64_t listPageSize = 500;
    // Diagnostics for failures the watcher recovers from (transport errors, handler exceptions).
    // Called on the watcher thread.
    std::function<void(const std::string&)> onError;
};

class Watcher {
public:
    // Called on the watcher thread, one event at a time: Added/Modified/Deleted (Deleted carries
    // the last known state). Bookmark and Error events are consumed by the watcher.
    using Handler = std::function<void(const WatchEvent&)>;
    // Called on the watcher thread after the initial list was delivered (and after each relist).
    using SyncHandler = std::function<void()>;

    Watcher(const Client& client, WatcherOptions options, Handler handler, SyncHandler onSynced = nullptr);
    ~Watcher();  // stops
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    void start();
    // Cancels the running request and joins the thread; no handler call happens after it returns.
    // Not from inside a handler (it would join its own thread).
    void stop();

    // True once the initial list has been delivered (immediately true with a start version).
    bool hasSynced() const;
    // Latest resourceVersion seen (events, bookmarks, lists).
    std::string lastResourceVersion() const;
    // Counters for tests and metrics.
    int watchRequests() const;  // watch requests opened
    int relists() const;        // lists after 410 Gone (not counting the initial list)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube
