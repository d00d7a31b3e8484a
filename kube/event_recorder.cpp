#include "kube/event_recorder.h"

#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "kube/detail/time_format.h"
#include "kube/errors.h"

namespace tidemark::kube {

using nlohmann::json;

namespace {
// Bounded memory: the cache of events to aggregate into is cleared when it grows past this.
constexpr size_t kMaxCachedEvents = 4096;

struct CachedEvent {
    ObjectKey event;
    int64_t count = 1;
};
}  // namespace

struct EventRecorder::Impl {
    const Client& client;
    std::string component;
    std::string instance;
    std::mutex mu;
    std::unordered_map<std::string, CachedEvent> recent;  // aggregation key -> stored Event

    Impl(const Client& c, std::string comp, std::string inst)
        : client(c), component(std::move(comp)), instance(std::move(inst)) {}
};

EventRecorder::EventRecorder(const Client& client, std::string component, std::string instance)
    : impl_(std::make_unique<Impl>(client, std::move(component), std::move(instance))) {}

EventRecorder::~EventRecorder() = default;

json EventRecorder::objectReference(const json& object) {
    const json meta = object.value("metadata", json::object());
    json ref = json::object();
    auto copy = [&](const char* from, const json& src, const char* to) {
        if (auto it = src.find(from); it != src.end() && it->is_string() && !it->get<std::string>().empty()) {
            ref[to] = *it;
        }
    };
    copy("apiVersion", object, "apiVersion");
    copy("kind", object, "kind");
    copy("name", meta, "name");
    copy("namespace", meta, "namespace");
    copy("uid", meta, "uid");
    copy("resourceVersion", meta, "resourceVersion");
    return ref;
}

json EventRecorder::record(const json& involvedObject, EventType type, const std::string& reason,
                           const std::string& message) {
    const json ref = objectReference(involvedObject);
    const std::string typeName = type == EventType::Warning ? "Warning" : "Normal";
    const auto nowPoint = std::chrono::system_clock::now();
    const std::string now = detail::formatTime(nowPoint);
    std::string ns = ref.value("namespace", "");
    if (ns.empty()) ns = "default";  // events about cluster-scoped objects

    const std::string aggregateKey = ref.value("uid", "") + "\n" + ref.value("kind", "") + "\n" + ns + "\n" +
        ref.value("name", "") + "\n" + typeName + "\n" + reason + "\n" + message;
    std::optional<CachedEvent> previous;
    {
        std::lock_guard lock(impl_->mu);
        if (auto it = impl_->recent.find(aggregateKey); it != impl_->recent.end()) previous = it->second;
    }
    if (previous) {
        try {
            json stored = impl_->client.patch(resources::kEvents, previous->event,
                                              {{"count", previous->count + 1}, {"lastTimestamp", now}});
            std::lock_guard lock(impl_->mu);
            impl_->recent[aggregateKey].count = stored.value("count", previous->count + 1);
            return stored;
        } catch (const ApiError& e) {
            if (!e.isNotFound()) throw;  // the Event expired (TTL): create a new one
        }
    }

    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%llx",
                  static_cast<unsigned long long>(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(nowPoint.time_since_epoch()).count()));
    json source = {{"component", impl_->component}};
    if (!impl_->instance.empty()) source["host"] = impl_->instance;
    json event = {
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", {{"name", ref.value("name", "object") + suffix}, {"namespace", ns}}},
        {"involvedObject", ref},
        {"reason", reason},
        {"message", message},
        {"type", typeName},
        {"count", 1},
        {"firstTimestamp", now},
        {"lastTimestamp", now},
        {"source", source},
        {"reportingComponent", impl_->component},
        {"reportingInstance", impl_->instance},
    };
    json stored = impl_->client.create(resources::kEvents, event);
    std::lock_guard lock(impl_->mu);
    if (impl_->recent.size() >= kMaxCachedEvents) impl_->recent.clear();
    impl_->recent[aggregateKey] = CachedEvent{ObjectKey::of(stored), 1};
    return stored;
}

}  // namespace tidemark::kube
