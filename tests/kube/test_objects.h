#pragma once
// Objects the dev-cluster tests create.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "dev_cluster.h"

namespace tidemark::kube::testing {

inline nlohmann::json migrationJob(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    nlohmann::json meta = {{"name", name}, {"namespace", DevCluster::kNamespace}};
    if (!labels.empty()) meta["labels"] = labels;
    return {{"apiVersion", "tidemark.dev/v1alpha1"},
            {"kind", "MigrationJob"},
            {"metadata", meta},
            {"spec",
             {{"source", {{"host", "mysql.example"}, {"credentialsSecret", {{"name", "source"}}}}},
              {"target", {{"host", "tidb.example"}, {"credentialsSecret", {{"name", "target"}}}}}}}};
}

inline nlohmann::json configMap(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", DevCluster::kNamespace}}},
            {"data", {{"value", value}}}};
}

using resources::kConfigMaps;

inline ObjectKey key(const std::string& name) { return {DevCluster::kNamespace, name}; }

}  // namespace tidemark::kube::testing
