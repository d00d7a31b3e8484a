#pragma once
// Records core/v1 Events about objects, as `kubectl describe` shows them. Repeats of the same
// (object, type, reason, message) seen by this recorder bump count/lastTimestamp on the existing
// Event with a merge patch instead of creating a new one.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "kube/client.h"

namespace tidemark::kube {

enum class EventType { Normal, Warning };

class EventRecorder {
public:
    // component: source.component and reportingComponent (e.g. "tidemark-operator");
    // instance: reportingInstance / source.host (e.g. the pod name), may be "".
    EventRecorder(const Client& client, std::string component, std::string instance = "");
    ~EventRecorder();

    // involvedObject: the object as read from the API (apiVersion, kind, metadata.{name,
    // namespace, uid, resourceVersion} are used). reason: CamelCase, e.g. "PrecheckFailed".
    // Returns the Event as stored. Throws ApiError/TransportError.
    nlohmann::json record(const nlohmann::json& involvedObject, EventType type, const std::string& reason,
                          const std::string& message);

    // The ObjectReference an Event's involvedObject holds for this object.
    static nlohmann::json objectReference(const nlohmann::json& object);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube
