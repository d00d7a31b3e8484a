#pragma once
// Where the API server is and how to authenticate to it: in-cluster service account or kubeconfig.

#include <chrono>
#include <string>

namespace tidemark::kube {

struct Config {
    std::string server;                  // "https://host:port" or "http://127.0.0.1:port" (no trailing slash)
    std::string namespace_ = "default";  // the context's / pod's namespace

    // Authentication. tokenFile is re-read periodically (bound service-account tokens rotate) and
    // wins over bearerToken when set.
    std::string bearerToken;
    std::string tokenFile;
    std::string clientCertificatePem;  // PEM text (from *-data, already base64-decoded)
    std::string clientCertificateFile;
    std::string clientKeyPem;
    std::string clientKeyFile;

    // Server verification.
    std::string certificateAuthorityPem;
    std::string certificateAuthorityFile;
    bool insecureSkipTlsVerify = false;

    // Per-request client timeout for ordinary (non-watch) calls.
    std::chrono::seconds requestTimeout{30};
    std::string userAgent = "tidemark";
};

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, token/ca.crt/namespace under
// serviceAccountDir. Namespace: $POD_NAMESPACE, else the namespace file, else "default".
// Throws ConfigError when not running in a cluster.
Config inClusterConfig(const std::string& serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Parses kubeconfig YAML text. context "" = current-context. Relative file paths resolve against
// baseDir (the kubeconfig's directory). *-data fields are base64-decoded into the *Pem fields.
// Throws ConfigError naming the missing/invalid entry.
Config parseKubeconfig(const std::string& yamlText, const std::string& baseDir, const std::string& context = "");

// Reads and parses a kubeconfig file (see parseKubeconfig).
Config loadKubeconfig(const std::string& path, const std::string& context = "");

// In-cluster when KUBERNETES_SERVICE_HOST is set, else the first file of $KUBECONFIG, else
// ~/.kube/config.
Config loadDefaultConfig();

}  // namespace tidemark::kube
