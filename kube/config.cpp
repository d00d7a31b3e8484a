#include "kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/detail/base64.h"
#include "kube/errors.h"

namespace tidemark::kube {
namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string resolve(const std::string& path, const std::string& baseDir) {
    if (path.empty() || baseDir.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(baseDir) / path).lexically_normal().string();
}

// The entry named `name` of a list of {name, <field>: {...}} (kubeconfig's clusters/users/contexts).
YAML::Node findNamed(const YAML::Node& root, const char* list, const char* field, const std::string& name) {
    const YAML::Node entries = root[list];
    if (entries && entries.IsSequence()) {
        for (const auto& e : entries) {
            if (e["name"] && e["name"].as<std::string>() == name) {
                YAML::Node inner = e[field];
                return inner ? inner : YAML::Node(YAML::NodeType::Map);
            }
        }
    }
    throw ConfigError(std::string("kubeconfig: no ") + field + " named \"" + name + "\" in " + list);
}

std::string str(const YAML::Node& node, const char* key) {
    const YAML::Node v = node[key];
    return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

}  // namespace

Config parseKubeconfig(const std::string& yamlText, const std::string& baseDir, const std::string& context) {
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        throw ConfigError(std::string("kubeconfig is not valid YAML: ") + e.what());
    }
    if (!root || !root.IsMap()) throw ConfigError("kubeconfig is empty or not a mapping");

    std::string contextName = context.empty() ? str(root, "current-context") : context;
    if (contextName.empty()) throw ConfigError("kubeconfig has no current-context and none was given");

    try {
        const YAML::Node ctx = findNamed(root, "contexts", "context", contextName);
        const std::string clusterName = str(ctx, "cluster");
        if (clusterName.empty()) throw ConfigError("kubeconfig context \"" + contextName + "\" names no cluster");
        const YAML::Node cluster = findNamed(root, "clusters", "cluster", clusterName);
        const std::string userName = str(ctx, "user");

        Config cfg;
        cfg.server = str(cluster, "server");
        while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
        if (cfg.server.empty()) throw ConfigError("kubeconfig cluster \"" + clusterName + "\" has no server");
        if (auto ns = str(ctx, "namespace"); !ns.empty()) cfg.namespace_ = ns;

        if (auto data = str(cluster, "certificate-authority-data"); !data.empty()) {
            cfg.certificateAuthorityPem = detail::base64Decode(data);
        }
        cfg.certificateAuthorityFile = resolve(str(cluster, "certificate-authority"), baseDir);
        if (const YAML::Node insecure = cluster["insecure-skip-tls-verify"]; insecure && insecure.IsScalar()) {
            cfg.insecureSkipTlsVerify = insecure.as<bool>();
        }

        if (!userName.empty()) {
            const YAML::Node user = findNamed(root, "users", "user", userName);
            cfg.bearerToken = str(user, "token");
            cfg.tokenFile = resolve(str(user, "tokenFile"), baseDir);
            if (auto data = str(user, "client-certificate-data"); !data.empty()) {
                cfg.clientCertificatePem = detail::base64Decode(data);
            }
            cfg.clientCertificateFile = resolve(str(user, "client-certificate"), baseDir);
            if (auto data = str(user, "client-key-data"); !data.empty()) {
                cfg.clientKeyPem = detail::base64Decode(data);
            }
            cfg.clientKeyFile = resolve(str(user, "client-key"), baseDir);
            bool hasCredential = !cfg.bearerToken.empty() || !cfg.tokenFile.empty() ||
                !cfg.clientCertificatePem.empty() || !cfg.clientCertificateFile.empty();
            if (user["exec"] && !hasCredential) {
                throw ConfigError("kubeconfig user \"" + userName +
                                  "\" uses an exec credential plugin, which tidemark does not support; "
                                  "use a token or client certificate");
            }
        }
        return cfg;
    } catch (const YAML::Exception& e) {
        throw ConfigError("kubeconfig context \"" + contextName + "\": " + e.what());
    }
}

Config loadKubeconfig(const std::string& path, const std::string& context) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    try {
        return parseKubeconfig(readFile(path), dir, context);
    } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what());
    }
}

Config inClusterConfig(const std::string& serviceAccountDir) {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
        throw ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
    }
    Config cfg;
    std::string h = host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
    cfg.server = "https://" + h + ":" + port;
    cfg.tokenFile = serviceAccountDir + "/token";
    if (!std::filesystem::exists(cfg.tokenFile)) {
        throw ConfigError("service account token missing at " + cfg.tokenFile);
    }
    cfg.certificateAuthorityFile = serviceAccountDir + "/ca.crt";
    if (const char* ns = std::getenv("POD_NAMESPACE"); ns && *ns) {
        cfg.namespace_ = ns;
    } else if (std::filesystem::exists(serviceAccountDir + "/namespace")) {
        cfg.namespace_ = trim(readFile(serviceAccountDir + "/namespace"));
    }
    return cfg;
}

Config loadDefaultConfig() {
    if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host) {
        return inClusterConfig();
    }
    if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
        std::string list = env;
        std::string first = list.substr(0, list.find(':'));
        if (!first.empty()) return loadKubeconfig(first);
    }
    const char* home = std::getenv("HOME");
    if (!home) throw ConfigError("no KUBECONFIG, no in-cluster environment and no HOME");
    return loadKubeconfig(std::string(home) + "/.kube/config");
}

}  // namespace tidemark::kube
