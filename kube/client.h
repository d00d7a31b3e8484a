#pragma once
// Typed-enough REST client for the Kubernetes API: CRUD, patches, the status subresource, paged
// lists and single watch requests. Objects are nlohmann::json as the server sends them.
//
// Thread-safety: a Client may be used from any number of threads at once.
// Errors: non-2xx answers throw ApiError (Conflict for 409 other than AlreadyExists); network
// failures throw TransportError.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/config.h"
#include "kube/query.h"
#include "kube/resource.h"

namespace tidemark::kube {

struct ListOptions {
    Selectors selectors;
    // Page size; 0 = let the server decide. list() always follows `continue` to return every item.
    int64_t limit = 500;
    std::string resourceVersion;  // "" = most recent (consistent read)
};

struct ListResult {
    std::vector<nlohmann::json> items;
    std::string resourceVersion;  // of the list as a whole: watch from here to see every later change
};

enum class PatchType { Merge, Json };  // application/merge-patch+json, application/json-patch+json

enum class PropagationPolicy { Background, Foreground, Orphan };

struct DeleteOptions {
    std::optional<std::string> preconditionUid;              // 409 if the object's uid differs
    std::optional<std::string> preconditionResourceVersion;  // 409 if the object changed
    std::optional<PropagationPolicy> propagationPolicy;
    std::optional<int64_t> gracePeriodSeconds;
};

struct WatchEvent {
    enum class Type { Added, Modified, Deleted, Bookmark, Error };
    Type type;
    nlohmann::json object;
};
const char* toString(WatchEvent::Type type);

struct WatchRequest {
    Selectors selectors;
    // Watch strictly after this version; "" or "0" makes the server start with synthetic ADDED
    // events for the current state.
    std::string resourceVersion;
    // The server ends the stream after this long; the client's own inactivity timeout is set well
    // beyond it so a quiet watch is never killed by the client.
    int timeoutSeconds = 300;
    bool allowBookmarks = true;
};

// How a single watch request ended (errors other than 410 are thrown).
enum class WatchEnd {
    Closed,   // the server ended the stream (timeoutSeconds or restart): re-watch from the last version
    Gone,     // 410 (HTTP or ERROR event): the version is too old, relist
    Stopped,  // the stop token was triggered
};

class Client {
public:
    explicit Client(Config config);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const Config& config() const;

    // GET the object. Throws ApiError (isNotFound()) when absent.
    nlohmann::json get(const ResourceRef& ref, const ObjectKey& key) const;
    // Like get, nullopt instead of 404.
    std::optional<nlohmann::json> tryGet(const ResourceRef& ref, const ObjectKey& key) const;

    // Every matching object, following `continue` pages. namespace_ "" = all namespaces. An
    // expired continue token restarts the list once without paging.
    ListResult list(const ResourceRef& ref, const std::string& namespace_, const ListOptions& options = {}) const;

    // POST; the namespace comes from the object (or namespace_ when the object has none).
    // Returns the created object (uid, resourceVersion, ...). Throws ApiError isAlreadyExists().
    nlohmann::json create(const ResourceRef& ref, const nlohmann::json& object,
                          const std::string& namespace_ = "") const;

    // PUT the whole object; its metadata.resourceVersion is the precondition: throws Conflict when
    // the object changed since it was read.
    nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object) const;

    // Read-modify-write loop: GET, mutate(object), PUT; on Conflict GET again and re-apply, up to
    // maxAttempts. mutate returns false to skip the write (returns the object as read).
    nlohmann::json updateWithRetry(const ResourceRef& ref, const ObjectKey& key,
                                   const std::function<bool(nlohmann::json&)>& mutate, int maxAttempts = 10) const;

    // PATCH with a merge patch (object) or JSON patch (array of ops). A merge patch carrying
    // metadata.resourceVersion, or a JSON patch "test" op, turns stale writes into Conflict.
    nlohmann::json patch(const ResourceRef& ref, const ObjectKey& key, const nlohmann::json& patch,
                         PatchType type = PatchType::Merge) const;

    // DELETE. Returns what the server returned: the object (possibly still present with
    // deletionTimestamp while finalizers run) or a Status.
    nlohmann::json remove(const ResourceRef& ref, const ObjectKey& key, const DeleteOptions& options = {}) const;

    // The status subresource: reads, PUT (only .status is applied, resourceVersion checked),
    // PATCH (only .status is applied).
    nlohmann::json getStatus(const ResourceRef& ref, const ObjectKey& key) const;
    nlohmann::json updateStatus(const ResourceRef& ref, const nlohmann::json& object) const;
    nlohmann::json patchStatus(const ResourceRef& ref, const ObjectKey& key, const nlohmann::json& patch,
                               PatchType type = PatchType::Merge) const;

    // One watch request: calls onEvent for every event, in order, on the calling thread, until
    // the stream ends. BOOKMARK events are passed through; an ERROR event with code 410 returns
    // Gone, any other ERROR event throws ApiError. Stopping cancels the request promptly.
    WatchEnd watch(const ResourceRef& ref, const std::string& namespace_, const WatchRequest& request,
                   const std::function<void(WatchEvent&&)>& onEvent, std::stop_token stop = {}) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube
