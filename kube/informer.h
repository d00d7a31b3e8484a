#pragma once
// An informer: a Watcher feeding a thread-safe cache of one collection keyed by
// ObjectKey::str(), plus add/update/delete handlers (client-go's SharedInformer, unshared).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/watcher.h"

namespace tidemark::kube {

struct EventHandlers {
    std::function<void(const nlohmann::json& object)> onAdd;
    std::function<void(const nlohmann::json& oldObject, const nlohmann::json& newObject)> onUpdate;
    std::function<void(const nlohmann::json& lastKnown)> onDelete;
};

class Informer {
public:
    // options.resourceVersion is ignored: an informer always starts with a list.
    Informer(const Client& client, WatcherOptions options);
    ~Informer();  // stops
    Informer(const Informer&) = delete;
    Informer& operator=(const Informer&) = delete;

    // Handlers must be added before start(). They run on the informer thread, after the cache
    // already reflects the change, and must not block for long.
    void addHandlers(EventHandlers handlers);
    void start();
    void stop();

    bool hasSynced() const;
    // Waits until the initial list is in the cache; false on timeout.
    bool waitForSync(std::chrono::milliseconds timeout) const;

    std::optional<nlohmann::json> get(const std::string& key) const;
    std::vector<nlohmann::json> list() const;
    std::vector<std::string> keys() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube
