#include "kube/client.h"

#include "kube/detail/http_transport.h"
#include "kube/errors.h"
#include "kube/line_splitter.h"

namespace tidemark::kube {

using nlohmann::json;

namespace {
constexpr const char* kJson = "application/json";

const char* patchContentType(PatchType type) {
    return type == PatchType::Json ? "application/json-patch+json" : "application/merge-patch+json";
}

const char* toString(PropagationPolicy p) {
    switch (p) {
        case PropagationPolicy::Foreground: return "Foreground";
        case PropagationPolicy::Orphan: return "Orphan";
        case PropagationPolicy::Background: break;
    }
    return "Background";
}

std::optional<WatchEvent::Type> parseEventType(const std::string& type) {
    if (type == "ADDED") return WatchEvent::Type::Added;
    if (type == "MODIFIED") return WatchEvent::Type::Modified;
    if (type == "DELETED") return WatchEvent::Type::Deleted;
    if (type == "BOOKMARK") return WatchEvent::Type::Bookmark;
    if (type == "ERROR") return WatchEvent::Type::Error;
    return std::nullopt;
}

ObjectKey requireKey(const json& object, const char* what) {
    ObjectKey key = ObjectKey::of(object);
    if (key.name.empty()) throw std::invalid_argument(std::string(what) + ": object has no metadata.name");
    return key;
}
}  // namespace

const char* toString(WatchEvent::Type type) {
    switch (type) {
        case WatchEvent::Type::Added: return "ADDED";
        case WatchEvent::Type::Modified: return "MODIFIED";
        case WatchEvent::Type::Deleted: return "DELETED";
        case WatchEvent::Type::Bookmark: return "BOOKMARK";
        case WatchEvent::Type::Error: return "ERROR";
    }
    return "?";
}

struct Client::Impl {
    Config config;
    detail::HttpTransport http;

    explicit Impl(Config c) : config(std::move(c)), http(config) {}

    // Sends the request; a 2xx JSON body is returned parsed, anything else is thrown.
    json call(const std::string& method, const std::string& path, const json* body = nullptr,
              const char* contentType = kJson) const {
        std::string text;
        if (body) text = body->dump();
        auto resp = http.request(method, path, body ? &text : nullptr, contentType);
        if (resp.status < 200 || resp.status >= 300) throwApiError(resp.status, resp.body, method + " " + path);
        if (resp.body.empty()) return json::object();
        auto parsed = json::parse(resp.body, nullptr, false);
        if (parsed.is_discarded()) {
            throw TransportError(method + " " + path + ": response is not JSON (" + std::to_string(resp.body.size()) +
                                 " bytes)");
        }
        return parsed;
    }
};

Client::Client(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;

const Config& Client::config() const { return impl_->config; }

json Client::get(const ResourceRef& ref, const ObjectKey& key) const {
    return impl_->call("GET", ref.objectPath(key.namespace_, key.name));
}

std::optional<json> Client::tryGet(const ResourceRef& ref, const ObjectKey& key) const {
    try {
        return get(ref, key);
    } catch (const ApiError& e) {
        if (e.isNotFound()) return std::nullopt;
        throw;
    }
}

ListResult Client::list(const ResourceRef& ref, const std::string& namespace_, const ListOptions& options) const {
    ListResult result;
    std::string continueToken;
    int64_t limit = options.limit;
    bool first = true;
    while (true) {
        std::vector<std::pair<std::string, std::string>> q = {
            {"labelSelector", options.selectors.labelSelector},
            {"fieldSelector", options.selectors.fieldSelector},
            {"limit", limit > 0 ? std::to_string(limit) : ""},
            {"continue", continueToken},
        };
        // resourceVersion only on the first page: continue tokens carry it.
        if (continueToken.empty()) q.emplace_back("resourceVersion", options.resourceVersion);
        json page;
        try {
            page = impl_->call("GET", ref.collectionPath(namespace_) + buildQuery(q));
        } catch (const ApiError& e) {
            if (!e.isGone() || continueToken.empty()) throw;
            // The continue token expired mid-way: the pages so far belong to an old snapshot, so
            // start over with one unpaged list (client-go's pager does the same).
            result = ListResult{};
            continueToken.clear();
            limit = 0;
            first = true;
            continue;
        }
        if (auto items = page.find("items"); items != page.end() && items->is_array()) {
            for (auto& item : *items) result.items.push_back(std::move(item));
        }
        const json meta = page.value("metadata", json::object());
        if (first) result.resourceVersion = meta.value("resourceVersion", "");
        first = false;
        continueToken = meta.value("continue", "");
        if (continueToken.empty()) break;
    }
    return result;
}

json Client::create(const ResourceRef& ref, const json& object, const std::string& namespace_) const {
    std::string ns = ObjectKey::of(object).namespace_;
    if (ns.empty()) ns = namespace_;
    return impl_->call("POST", ref.collectionPath(ns), &object);
}

json Client::update(const ResourceRef& ref, const json& object) const {
    ObjectKey key = requireKey(object, "update");
    return impl_->call("PUT", ref.objectPath(key.namespace_, key.name), &object);
}

json Client::updateWithRetry(const ResourceRef& ref, const ObjectKey& key, const std::function<bool(json&)>& mutate,
                             int maxAttempts) const {
    for (int attempt = 1;; ++attempt) {
        json object = get(ref, key);
        if (!mutate(object)) return object;
        try {
            return update(ref, object);
        } catch (const Conflict&) {
            if (attempt >= maxAttempts) throw;
        }
    }
}

json Client::patch(const ResourceRef& ref, const ObjectKey& key, const json& patch, PatchType type) const {
    return impl_->call("PATCH", ref.objectPath(key.namespace_, key.name), &patch, patchContentType(type));
}

json Client::remove(const ResourceRef& ref, const ObjectKey& key, const DeleteOptions& options) const {
    json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (options.preconditionUid || options.preconditionResourceVersion) {
        json pre = json::object();
        if (options.preconditionUid) pre["uid"] = *options.preconditionUid;
        if (options.preconditionResourceVersion) pre["resourceVersion"] = *options.preconditionResourceVersion;
        body["preconditions"] = pre;
    }
    if (options.propagationPolicy) body["propagationPolicy"] = toString(*options.propagationPolicy);
    if (options.gracePeriodSeconds) body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
    return impl_->call("DELETE", ref.objectPath(key.namespace_, key.name), &body);
}

json Client::getStatus(const ResourceRef& ref, const ObjectKey& key) const {
    return impl_->call("GET", ref.objectPath(key.namespace_, key.name, "status"));
}

json Client::updateStatus(const ResourceRef& ref, const json& object) const {
    ObjectKey key = requireKey(object, "updateStatus");
    return impl_->call("PUT", ref.objectPath(key.namespace_, key.name, "status"), &object);
}

json Client::patchStatus(const ResourceRef& ref, const ObjectKey& key, const json& patch, PatchType type) const {
    return impl_->call("PATCH", ref.objectPath(key.namespace_, key.name, "status"), &patch, patchContentType(type));
}

WatchEnd Client::watch(const ResourceRef& ref, const std::string& namespace_, const WatchRequest& request,
                       const std::function<void(WatchEvent&&)>& onEvent, std::stop_token stop) const {
    std::string path = ref.collectionPath(namespace_) +
        buildQuery({
            {"watch", "true"},
            {"allowWatchBookmarks", request.allowBookmarks ? "true" : ""},
            {"labelSelector", request.selectors.labelSelector},
            {"fieldSelector", request.selectors.fieldSelector},
            {"resourceVersion", request.resourceVersion},
            {"timeoutSeconds", request.timeoutSeconds > 0 ? std::to_string(request.timeoutSeconds) : ""},
        });
    // The client's inactivity timeout must never end a quiet watch before the server does.
    auto inactivity = std::chrono::seconds(std::max(request.timeoutSeconds, 0) + 60);
    if (request.timeoutSeconds <= 0) inactivity = std::chrono::hours(24);

    LineSplitter lines;
    bool gone = false;
    auto onLine = [&](std::string_view line) {
        if (gone) return;
        auto doc = json::parse(line, nullptr, false);
        if (!doc.is_object()) throw TransportError("GET " + path + ": watch event is not JSON");
        auto type = parseEventType(doc.value("type", ""));
        if (!type) return;  // unknown event types are ignored, as client-go does
        json object = doc.contains("object") ? std::move(doc["object"]) : json::object();
        if (*type == WatchEvent::Type::Error) {
            if (object.is_object() && object.value("code", 0) == 410) {
                gone = true;
                return;
            }
            throwApiError(object.is_object() ? object.value("code", 500) : 500, object.dump(), "GET " + path);
        }
        onEvent(WatchEvent{*type, std::move(object)});
    };
    auto resp = impl_->http.stream(
        path, inactivity,
        [&](std::string_view data) {
            if (!gone) lines.feed(data, onLine);
        },
        stop);
    if (!resp) return WatchEnd::Stopped;
    if (resp->status == 410) return WatchEnd::Gone;
    if (resp->status < 200 || resp->status >= 300) throwApiError(resp->status, resp->body, "GET " + path);
    return gone ? WatchEnd::Gone : WatchEnd::Closed;
}

}  // namespace tidemark::kube
