#include "kube/resource.h"

#include <nlohmann/json.hpp>

#include "kube/query.h"

namespace tidemark::kube {

std::string ResourceRef::apiVersion() const { return group.empty() ? version : group + "/" + version; }

std::string ResourceRef::collectionPath(const std::string& namespace_) const {
    std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (namespaced && !namespace_.empty()) path += "/namespaces/" + urlEncode(namespace_);
    return path + "/" + plural;
}

std::string ResourceRef::objectPath(const std::string& namespace_, const std::string& name,
                                    const std::string& subresource) const {
    std::string path = collectionPath(namespace_) + "/" + urlEncode(name);
    if (!subresource.empty()) path += "/" + subresource;
    return path;
}

namespace resources {
const ResourceRef kPods{"", "v1", "pods", true};
const ResourceRef kSecrets{"", "v1", "secrets", true};
const ResourceRef kConfigMaps{"", "v1", "configmaps", true};
const ResourceRef kEvents{"", "v1", "events", true};
const ResourceRef kNamespaces{"", "v1", "namespaces", false};
const ResourceRef kLeases{"coordination.k8s.io", "v1", "leases", true};
const ResourceRef kMigrationJobs{"tidemark.dev", "v1alpha1", "migrationjobs", true};
}  // namespace resources

std::string ObjectKey::str() const { return namespace_.empty() ? name : namespace_ + "/" + name; }

ObjectKey ObjectKey::parse(const std::string& key) {
    auto slash = key.find('/');
    if (slash == std::string::npos) return {"", key};
    return {key.substr(0, slash), key.substr(slash + 1)};
}

ObjectKey ObjectKey::of(const nlohmann::json& object) {
    ObjectKey key;
    if (auto m = object.find("metadata"); m != object.end() && m->is_object()) {
        key.namespace_ = m->value("namespace", "");
        key.name = m->value("name", "");
    }
    return key;
}

}  // namespace tidemark::kube
