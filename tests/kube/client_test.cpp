#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dev_cluster.h"
#include "kube/errors.h"
#include "test_objects.h"

using namespace tidemark::kube;
using namespace tidemark::kube::testing;
using nlohmann::json;
using resources::kMigrationJobs;

namespace {
std::set<std::string> names(const std::vector<json>& items) {
    std::set<std::string> out;
    for (const auto& i : items) out.insert(i["metadata"]["name"].get<std::string>());
    return out;
}
}  // namespace

TEST_CASE("client_create_get_and_list_with_selectors_and_paging") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());

    for (int i = 0; i < 7; ++i) {
        json created =
            client.create(kMigrationJobs, migrationJob("job-" + std::to_string(i), {{"app", i < 4 ? "a" : "b"}}));
        CHECK_FALSE(created["metadata"]["uid"].get<std::string>().empty());
        CHECK_FALSE(created["metadata"]["resourceVersion"].get<std::string>().empty());
    }
    json got = client.get(kMigrationJobs, key("job-3"));
    CHECK(got["spec"]["source"]["host"] == "mysql.example");
    CHECK(got["spec"]["type"] == "FullAndIncremental");  // CRD default applied

    ListOptions paged;
    paged.limit = 2;  // 4 pages
    ListResult all = client.list(kMigrationJobs, DevCluster::kNamespace, paged);
    CHECK(all.items.size() == 7);
    CHECK(names(all.items).size() == 7);
    CHECK_FALSE(all.resourceVersion.empty());

    ListOptions byLabel;
    byLabel.selectors.labelSelector = labelSelectorFromMap({{"app", "a"}});
    CHECK(names(client.list(kMigrationJobs, DevCluster::kNamespace, byLabel).items) ==
          std::set<std::string>{"job-0", "job-1", "job-2", "job-3"});
    byLabel.selectors.labelSelector = "app!=a";
    byLabel.limit = 1;
    CHECK(names(client.list(kMigrationJobs, DevCluster::kNamespace, byLabel).items) ==
          std::set<std::string>{"job-4", "job-5", "job-6"});

    ListOptions byField;
    byField.selectors.fieldSelector = "metadata.name=job-5";
    CHECK(names(client.list(kMigrationJobs, DevCluster::kNamespace, byField).items) == std::set<std::string>{"job-5"});

    CHECK(client.list(kMigrationJobs, "").items.size() == 7);  // across namespaces

    CHECK_FALSE(client.tryGet(kMigrationJobs, key("missing")).has_value());
    try {
        client.get(kMigrationJobs, key("missing"));
        FAIL("expected 404");
    } catch (const ApiError& e) {
        CHECK(e.isNotFound());
        CHECK(e.reason() == "NotFound");
        CHECK(std::string(e.what()).find(
                  "GET /apis/tidemark.dev/v1alpha1/namespaces/tidemark-test/migrationjobs/missing") == 0);
    }
    try {
        client.create(kMigrationJobs, migrationJob("job-1"));
        FAIL("expected AlreadyExists");
    } catch (const Conflict&) {
        FAIL("AlreadyExists must not be a Conflict");
    } catch (const ApiError& e) {
        CHECK(e.isAlreadyExists());
    }
}

TEST_CASE("client_invalid_object_reports_the_field_paths") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json bad = migrationJob("bad");
    bad["spec"]["type"] = "Sometimes";
    try {
        client.create(kMigrationJobs, bad);
        FAIL("expected 422");
    } catch (const ApiError& e) {
        CHECK(e.code() == 422);
        CHECK(e.reason() == "Invalid");
        REQUIRE_FALSE(e.causes().empty());
        CHECK(e.causes()[0].field == "spec.type");
    }
}

TEST_CASE("client_update_with_a_stale_version_is_a_conflict_and_update_with_retry_reapplies") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json original = client.create(kMigrationJobs, migrationJob("job"));

    json changed = original;
    changed["metadata"]["labels"]["step"] = "one";
    json updated = client.update(kMigrationJobs, changed);
    CHECK(updated["metadata"]["labels"]["step"] == "one");
    CHECK(updated["metadata"]["resourceVersion"] != original["metadata"]["resourceVersion"]);

    json stale = original;
    stale["metadata"]["labels"]["step"] = "stale";
    CHECK_THROWS_AS(client.update(kMigrationJobs, stale), Conflict);

    // A concurrent writer sneaks in between the first read and write: the helper must re-read
    // and re-apply its change on top of the other writer's.
    int calls = 0;
    json result = client.updateWithRetry(kMigrationJobs, key("job"), [&](json& obj) {
        if (++calls == 1) {
            client.patch(kMigrationJobs, key("job"), {{"metadata", {{"labels", {{"other", "writer"}}}}}});
        }
        obj["metadata"]["labels"]["retry"] = "applied";
        return true;
    });
    CHECK(calls == 2);
    CHECK(result["metadata"]["labels"]["retry"] == "applied");
    CHECK(result["metadata"]["labels"]["other"] == "writer");
    CHECK(result["metadata"]["labels"]["step"] == "one");

    // A mutation that decides nothing needs changing writes nothing.
    json before = client.get(kMigrationJobs, key("job"));
    json same = client.updateWithRetry(kMigrationJobs, key("job"), [](json&) { return false; });
    CHECK(same["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]);
}

TEST_CASE("client_merge_patch_and_json_patch") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json job = migrationJob("job", {{"keep", "yes"}, {"drop", "me"}});
    job["metadata"]["annotations"] = {{"note", "x"}};
    json created = client.create(kMigrationJobs, job);

    json merged =
        client.patch(kMigrationJobs, key("job"),
                     {{"metadata", {{"labels", {{"drop", nullptr}, {"added", "1"}}}}}, {"spec", {{"capacity", 8}}}});
    CHECK(merged["metadata"]["labels"] == json{{"keep", "yes"}, {"added", "1"}});
    CHECK(merged["spec"]["capacity"] == 8);
    CHECK(merged["metadata"]["generation"].get<int>() == created["metadata"]["generation"].get<int>() + 1);

    json patched = client.patch(kMigrationJobs, key("job"),
                                json::array({{{"op", "replace"}, {"path", "/spec/source/host"}, {"value", "mysql2"}},
                                             {{"op", "remove"}, {"path", "/metadata/annotations/note"}}}),
                                PatchType::Json);
    CHECK(patched["spec"]["source"]["host"] == "mysql2");
    CHECK_FALSE(patched["metadata"].value("annotations", json::object()).contains("note"));

    // A merge patch that names the version it was computed from fails once that is stale.
    json stalePatch = {{"metadata", {{"resourceVersion", created["metadata"]["resourceVersion"]}}},
                       {"spec", {{"capacity", 16}}}};
    CHECK_THROWS_AS(client.patch(kMigrationJobs, key("job"), stalePatch), Conflict);
    CHECK(client.get(kMigrationJobs, key("job"))["spec"]["capacity"] == 8);
}

TEST_CASE("client_status_subresource_writes_only_status") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json created = client.create(kMigrationJobs, migrationJob("job"));
    const int generation = created["metadata"]["generation"].get<int>();

    json patched = client.patchStatus(
        kMigrationJobs, key("job"),
        {{"status", {{"phase", "Copying"}, {"progress", "10%"}}}, {"spec", {{"capacity", 16}}}});  // ignored on /status
    CHECK(patched["status"]["phase"] == "Copying");
    CHECK(patched["spec"] == created["spec"]);
    CHECK(patched["metadata"]["generation"].get<int>() == generation);

    json status = client.getStatus(kMigrationJobs, key("job"));
    CHECK(status["status"]["progress"] == "10%");

    json next = status;
    next["status"]["phase"] = "Replicating";
    json updated = client.updateStatus(kMigrationJobs, next);
    CHECK(updated["status"]["phase"] == "Replicating");
    CHECK_THROWS_AS(client.updateStatus(kMigrationJobs, status), Conflict);  // stale version

    // The main resource ignores .status.
    json main = client.get(kMigrationJobs, key("job"));
    main["status"]["phase"] = "Failed";
    main["metadata"]["labels"]["x"] = "y";
    json afterMain = client.update(kMigrationJobs, main);
    CHECK(afterMain["status"]["phase"] == "Replicating");
    CHECK(afterMain["metadata"]["labels"]["x"] == "y");

    // JSON patch on /status.
    json jp = client.patchStatus(kMigrationJobs, key("job"),
                                 json::array({{{"op", "replace"}, {"path", "/status/progress"}, {"value", "99%"}}}),
                                 PatchType::Json);
    CHECK(jp["status"]["progress"] == "99%");
}

TEST_CASE("client_delete_honours_preconditions_and_finalizers") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json created = client.create(kMigrationJobs, migrationJob("job"));
    const std::string uid = created["metadata"]["uid"];

    DeleteOptions wrongUid;
    wrongUid.preconditionUid = "not-" + uid;
    CHECK_THROWS_AS(client.remove(kMigrationJobs, key("job"), wrongUid), Conflict);

    client.patch(kMigrationJobs, key("job"), {{"metadata", {{"labels", {{"v", "2"}}}}}});
    DeleteOptions staleVersion;
    staleVersion.preconditionResourceVersion = created["metadata"]["resourceVersion"].get<std::string>();
    CHECK_THROWS_AS(client.remove(kMigrationJobs, key("job"), staleVersion), Conflict);
    CHECK(client.tryGet(kMigrationJobs, key("job")).has_value());

    DeleteOptions right;
    right.preconditionUid = uid;
    right.propagationPolicy = PropagationPolicy::Foreground;
    client.remove(kMigrationJobs, key("job"), right);
    CHECK_FALSE(client.tryGet(kMigrationJobs, key("job")).has_value());
    try {
        client.remove(kMigrationJobs, key("job"));
        FAIL("expected 404");
    } catch (const ApiError& e) {
        CHECK(e.isNotFound());
    }

    // With a finalizer the object stays, marked for deletion, until the finalizer is removed.
    json withFinalizer = migrationJob("final");
    withFinalizer["metadata"]["finalizers"] = {"tidemark.dev/cleanup"};
    client.create(kMigrationJobs, withFinalizer);
    DeleteOptions background;
    background.propagationPolicy = PropagationPolicy::Background;
    json deleting = client.remove(kMigrationJobs, key("final"), background);
    CHECK(deleting["metadata"].contains("deletionTimestamp"));
    CHECK(client.get(kMigrationJobs, key("final"))["metadata"].contains("deletionTimestamp"));
    client.patch(kMigrationJobs, key("final"), {{"metadata", {{"finalizers", nullptr}}}});
    CHECK_FALSE(client.tryGet(kMigrationJobs, key("final")).has_value());
}

TEST_CASE("client_core_objects_secrets_pods_and_namespaces") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());

    client.create(resources::kSecrets,
                  {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", "creds"}, {"namespace", DevCluster::kNamespace}}},
                   {"data", {{"password", "czNjcjN0"}}}});
    CHECK(client.get(resources::kSecrets, key("creds"))["data"]["password"] == "czNjcjN0");

    for (const char* name : {"runner-a", "runner-b"}) {
        client.create(resources::kPods,
                      {{"apiVersion", "v1"},
                       {"kind", "Pod"},
                       {"metadata", {{"name", name}, {"labels", {{"app", "runner"}}}}},
                       {"spec", {{"containers", json::array({{{"name", "runner"}, {"image", "busybox:1"}}})}}}},
                      DevCluster::kNamespace);  // namespace from the call, not the object
    }
    ListOptions runners;
    runners.selectors.labelSelector = "app=runner";
    CHECK(names(client.list(resources::kPods, DevCluster::kNamespace, runners).items) ==
          std::set<std::string>{"runner-a", "runner-b"});
    json pod = client.patchStatus(resources::kPods, key("runner-a"), {{"status", {{"phase", "Running"}}}});
    CHECK(pod["status"]["phase"] == "Running");

    std::set<std::string> namespaces = names(client.list(resources::kNamespaces, "").items);
    CHECK(namespaces.count(DevCluster::kNamespace) == 1);
}

TEST_CASE("client_transport_failure_is_a_transport_error") {
    Config cfg;
    cfg.server = "http://127.0.0.1:1";  // nothing listens on port 1
    cfg.requestTimeout = std::chrono::seconds(5);
    Client client(cfg);
    CHECK_THROWS_AS(client.get(resources::kPods, {"default", "x"}), TransportError);
}

TEST_CASE("client_certificate_and_key_from_kubeconfig_data_are_loaded_for_tls") {
    auto cluster = DevCluster::start({"--tls"});
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    // A throwaway client certificate, handed over the way a kubeconfig carries it: base64 data.
    const std::string dir = std::filesystem::path(cluster->kubeconfigPath()).parent_path().string();
    const std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tidemark-test -keyout " + dir +
        "/client.key -out " + dir +
        "/client.crt >/dev/null 2>&1 && "
        "openssl base64 -A -in " +
        dir + "/client.crt -out " + dir +
        "/client.crt.b64 && "
        "openssl base64 -A -in " +
        dir + "/client.key -out " + dir + "/client.key.b64";
    REQUIRE(std::system(gen.c_str()) == 0);
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    std::string kubeconfig = slurp(cluster->kubeconfigPath());
    const std::string tokenLine = "token: devcluster";
    REQUIRE(kubeconfig.find(tokenLine) != std::string::npos);
    std::string withCert = kubeconfig;
    withCert.replace(withCert.find(tokenLine), tokenLine.size(),
                     "client-certificate-data: " + slurp(dir + "/client.crt.b64") +
                         "\n    client-key-data: " + slurp(dir + "/client.key.b64"));

    Config cfg = parseKubeconfig(withCert, dir);
    REQUIRE(cfg.clientCertificatePem.find("BEGIN CERTIFICATE") != std::string::npos);
    REQUIRE(cfg.clientKeyPem.find("PRIVATE KEY") != std::string::npos);
    CHECK(cfg.bearerToken.empty());
    Client client(cfg);
    CHECK(client.list(resources::kNamespaces, "").items.size() >= 1);

    // The same material from files, as client-certificate / client-key paths.
    std::string withFiles = kubeconfig;
    withFiles.replace(withFiles.find(tokenLine), tokenLine.size(),
                      "client-certificate: client.crt\n    client-key: client.key");
    Client fromFiles(parseKubeconfig(withFiles, dir));
    CHECK(fromFiles.list(resources::kNamespaces, "").items.size() >= 1);

    // A key that is not PEM fails the TLS set-up, as a transport error.
    cfg.clientKeyPem = "not a key";
    Client broken(cfg);
    CHECK_THROWS_AS(broken.list(resources::kNamespaces, ""), TransportError);
}
