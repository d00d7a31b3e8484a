#include "operator/secret_refs.h"

namespace tidemark::op {

namespace {

void endpointSecrets(const Json& endpoint, const std::string& field, std::vector<SecretRef>& out) {
    if (!endpoint.is_object()) return;
    const Json* credentials = endpoint.contains("credentialsSecret") ? &endpoint["credentialsSecret"] : nullptr;
    if (credentials && credentials->is_object() && credentials->value("name", Json()).is_string())
        out.push_back({(*credentials)["name"].get<std::string>(), field + ".credentialsSecret", false});
    const Json* tls = endpoint.contains("tls") ? &endpoint["tls"] : nullptr;
    if (tls && tls->is_object() && tls->value("secretName", Json()).is_string())
        out.push_back({(*tls)["secretName"].get<std::string>(), field + ".tls.secretName", true});
}

}  // namespace

std::vector<SecretRef> secretReferences(const Json& job) {
    std::vector<SecretRef> out;
    const Json* spec = job.contains("spec") && job["spec"].is_object() ? &job["spec"] : nullptr;
    if (!spec) return out;
    if (spec->contains("source")) endpointSecrets((*spec)["source"], "spec.source", out);
    if (spec->contains("sources") && (*spec)["sources"].is_array())
        for (std::size_t i = 0; i < (*spec)["sources"].size(); ++i)
            endpointSecrets((*spec)["sources"][i], "spec.sources[" + std::to_string(i) + "]", out);
    if (spec->contains("target")) endpointSecrets((*spec)["target"], "spec.target", out);
    return out;
}

}  // namespace tidemark::op
