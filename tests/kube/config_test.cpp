#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "kube/config.h"
#include "kube/errors.h"

using namespace tidemark::kube;

namespace {
const std::string kKubeconfig = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: http://127.0.0.1:18080/
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
- name: files
  cluster:
    server: https://files.example:443
    certificate-authority: certs/ca.crt
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: dev-token
- name: cert-user
  user:
    client-certificate-data: Y2xpZW50IGNlcnQ=
    client-key-data: Y2xpZW50IGtleSE=
- name: file-user
  user:
    client-certificate: /abs/client.crt
    client-key: keys/client.key
    tokenFile: token
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
contexts:
- name: dev
  context: {cluster: local, user: dev-user, namespace: tidemark}
- name: prod
  context: {cluster: prod, user: cert-user}
- name: files
  context: {cluster: files, user: file-user}
- name: exec
  context: {cluster: prod, user: exec-user}
- name: broken
  context: {cluster: nowhere, user: dev-user}
)";
}  // namespace

TEST_CASE("kubeconfig_current_context_with_bearer_token_and_plain_http") {
    Config c = parseKubeconfig(kKubeconfig, "/home/u/.kube");
    CHECK(c.server == "http://127.0.0.1:18080");  // trailing slash dropped
    CHECK(c.namespace_ == "tidemark");
    CHECK(c.bearerToken == "dev-token");
    CHECK(c.certificateAuthorityPem.empty());
    CHECK_FALSE(c.insecureSkipTlsVerify);
}

TEST_CASE("kubeconfig_named_context_decodes_data_fields") {
    Config c = parseKubeconfig(kKubeconfig, "/home/u/.kube", "prod");
    CHECK(c.server == "https://10.0.0.1:6443");
    CHECK(c.namespace_ == "default");
    CHECK(c.certificateAuthorityPem == "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    CHECK(c.clientCertificatePem == "client cert");
    CHECK(c.clientKeyPem == "client key!");
    CHECK(c.bearerToken.empty());
}

TEST_CASE("kubeconfig_relative_paths_resolve_against_its_directory") {
    Config c = parseKubeconfig(kKubeconfig, "/home/u/.kube", "files");
    CHECK(c.certificateAuthorityFile == "/home/u/.kube/certs/ca.crt");
    CHECK(c.clientCertificateFile == "/abs/client.crt");
    CHECK(c.clientKeyFile == "/home/u/.kube/keys/client.key");
    CHECK(c.tokenFile == "/home/u/.kube/token");
    CHECK(c.insecureSkipTlsVerify);
}

TEST_CASE("kubeconfig_errors_name_what_is_missing") {
    CHECK_THROWS_WITH_AS(parseKubeconfig(kKubeconfig, "", "nope"), doctest::Contains("no context named \"nope\""),
                         ConfigError);
    CHECK_THROWS_WITH_AS(parseKubeconfig(kKubeconfig, "", "broken"), doctest::Contains("no cluster named \"nowhere\""),
                         ConfigError);
    CHECK_THROWS_WITH_AS(parseKubeconfig(kKubeconfig, "", "exec"), doctest::Contains("exec"), ConfigError);
    CHECK_THROWS_AS(parseKubeconfig("contexts: [", ""), ConfigError);
    CHECK_THROWS_AS(parseKubeconfig("kind: Config\n", ""), ConfigError);  // no current-context
}

TEST_CASE("kubeconfig_file_is_read_from_disk") {
    auto dir = std::filesystem::temp_directory_path() / ("tidemark-kubeconfig-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    { std::ofstream(dir / "config") << kKubeconfig; }
    Config c = loadKubeconfig((dir / "config").string(), "files");
    CHECK(c.clientKeyFile == (dir / "keys/client.key").string());
    CHECK_THROWS_AS(loadKubeconfig((dir / "missing").string()), ConfigError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("in_cluster_config_reads_the_service_account") {
    auto dir = std::filesystem::temp_directory_path() / ("tidemark-sa-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    { std::ofstream(dir / "token") << "sa-token\n"; }
    { std::ofstream(dir / "ca.crt") << "ca"; }
    { std::ofstream(dir / "namespace") << "migrations\n"; }
    ::unsetenv("POD_NAMESPACE");

    ::unsetenv("KUBERNETES_SERVICE_HOST");
    CHECK_THROWS_AS(inClusterConfig(dir.string()), ConfigError);

    ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    Config c = inClusterConfig(dir.string());
    CHECK(c.server == "https://10.96.0.1:443");
    CHECK(c.tokenFile == (dir / "token").string());
    CHECK(c.certificateAuthorityFile == (dir / "ca.crt").string());
    CHECK(c.namespace_ == "migrations");

    ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    ::setenv("POD_NAMESPACE", "from-env", 1);
    c = inClusterConfig(dir.string());
    CHECK(c.server == "https://[fd00::1]:443");
    CHECK(c.namespace_ == "from-env");

    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    ::unsetenv("POD_NAMESPACE");
    std::filesystem::remove_all(dir);
}
