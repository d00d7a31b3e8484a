#include "kube/informer.h"

#include <condition_variable>
#include <mutex>
#include <unordered_map>

namespace tidemark::kube {

using nlohmann::json;

struct Informer::Impl {
    std::vector<EventHandlers> handlers;
    mutable std::mutex mu;
    mutable std::condition_variable syncedCv;
    std::unordered_map<std::string, json> store;
    bool synced = false;
    std::unique_ptr<Watcher> watcher;

    void onEvent(const WatchEvent& event) {
        std::string key = ObjectKey::of(event.object).str();
        std::optional<json> old;
        {
            std::lock_guard lock(mu);
            auto it = store.find(key);
            if (it != store.end()) old = it->second;
            if (event.type == WatchEvent::Type::Deleted) {
                if (it != store.end()) store.erase(it);
            } else {
                store[key] = event.object;
            }
        }
        for (const auto& h : handlers) {
            if (event.type == WatchEvent::Type::Deleted) {
                if (h.onDelete) h.onDelete(event.object);
            } else if (old) {
                if (h.onUpdate) h.onUpdate(*old, event.object);
            } else if (h.onAdd) {
                h.onAdd(event.object);
            }
        }
    }

    void onSynced() {
        std::lock_guard lock(mu);
        synced = true;
        syncedCv.notify_all();
    }
};

Informer::Informer(const Client& client, WatcherOptions options) : impl_(std::make_unique<Impl>()) {
    options.resourceVersion.clear();
    Impl* impl = impl_.get();
    impl_->watcher = std::make_unique<Watcher>(
        client, std::move(options), [impl](const WatchEvent& e) { impl->onEvent(e); }, [impl] { impl->onSynced(); });
}

Informer::~Informer() { stop(); }

void Informer::addHandlers(EventHandlers handlers) { impl_->handlers.push_back(std::move(handlers)); }

void Informer::start() { impl_->watcher->start(); }

void Informer::stop() { impl_->watcher->stop(); }

bool Informer::hasSynced() const {
    std::lock_guard lock(impl_->mu);
    return impl_->synced;
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    return impl_->syncedCv.wait_for(lock, timeout, [this] { return impl_->synced; });
}

std::optional<json> Informer::get(const std::string& key) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->store.find(key);
    if (it == impl_->store.end()) return std::nullopt;
    return it->second;
}

std::vector<json> Informer::list() const {
    std::lock_guard lock(impl_->mu);
    std::vector<json> out;
    out.reserve(impl_->store.size());
    for (const auto& [key, obj] : impl_->store) out.push_back(obj);
    return out;
}

std::vector<std::string> Informer::keys() const {
    std::lock_guard lock(impl_->mu);
    std::vector<std::string> out;
    out.reserve(impl_->store.size());
    for (const auto& [key, obj] : impl_->store) out.push_back(key);
    return out;
}

}  // namespace tidemark::kube
