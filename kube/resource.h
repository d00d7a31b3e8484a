#pragma once
// Addressing of API resources: which REST collection a kind lives in, and which object in it.

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace tidemark::kube {

// A REST collection: group "" is the core API (/api/v1), anything else /apis/<group>/<version>.
struct ResourceRef {
    std::string group;
    std::string version;
    std::string plural;
    bool namespaced = true;

    // "v1" or "<group>/<version>", as written in an object's apiVersion.
    std::string apiVersion() const;
    // Collection path. namespace_ "" lists across all namespaces (or a cluster-scoped collection).
    std::string collectionPath(const std::string& namespace_) const;
    // Object path, optionally with a subresource ("status").
    std::string objectPath(const std::string& namespace_, const std::string& name,
                           const std::string& subresource = "") const;
};

namespace resources {
extern const ResourceRef kPods;           // v1 pods
extern const ResourceRef kSecrets;        // v1 secrets
extern const ResourceRef kConfigMaps;     // v1 configmaps
extern const ResourceRef kEvents;         // v1 events
extern const ResourceRef kNamespaces;     // v1 namespaces (cluster-scoped)
extern const ResourceRef kLeases;         // coordination.k8s.io/v1 leases
extern const ResourceRef kMigrationJobs;  // tidemark.dev/v1alpha1 migrationjobs
}  // namespace resources

// An object's identity inside one resource: namespace "" for cluster-scoped objects.
struct ObjectKey {
    std::string namespace_;
    std::string name;

    // "namespace/name", or "name" when cluster-scoped: the key informers and work queues use.
    std::string str() const;
    // Inverse of str().
    static ObjectKey parse(const std::string& key);
    // metadata.namespace / metadata.name of an object.
    static ObjectKey of(const nlohmann::json& object);

    friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

}  // namespace tidemark::kube
