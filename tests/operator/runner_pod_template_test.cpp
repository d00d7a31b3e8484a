// The runner pod template an admin sets in the chart (runner.pod.* -> --runner-pod-template):
// parsed strictly, applied to every runner pod, and never able to take over the labels and
// annotations the operator selects and reads its pods by.
#include <doctest/doctest.h>

#include <algorithm>

#include "operator/options.h"
#include "operator/runner_pod.h"
#include "operator/secret_refs.h"
#include "tests/operator/fixtures.h"

using namespace tidemark::op;

namespace {

std::string errorOf(const std::string& json) {
    try {
        parseRunnerPodTemplate(json);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

RunnerPod build(const RunnerPodTemplate& shape, int capacity = 2) {
    Settings s;
    s.runnerPod = shape;
    return buildRunnerPod(testing::makeJob(), {"run", "shop-run-1", capacity, 0, false, "", "", ""}, s);
}

}  // namespace

TEST_CASE("pod template: scheduling, pull secrets, labels and annotations reach the runner pod") {
    const auto shape = parseRunnerPodTemplate(R"({
        "imagePullSecrets": [{"name": "regcred"}, "mirror"],
        "nodeSelector": {"disktype": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms":
            [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
        "priorityClassName": "batch-high",
        "labels": {"team": "dba"},
        "annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}
    })");
    const auto built = build(shape);
    const Json& spec = built.pod["spec"];
    CHECK(spec["imagePullSecrets"] == Json::parse(R"([{"name": "regcred"}, {"name": "mirror"}])"));
    CHECK(spec["nodeSelector"]["disktype"] == "ssd");
    CHECK(spec["tolerations"][0]["key"] == "dedicated");
    CHECK(spec["affinity"]["nodeAffinity"].is_object());
    CHECK(spec["priorityClassName"] == "batch-high");
    const Json& meta = built.pod["metadata"];
    CHECK(meta["labels"]["team"] == "dba");
    CHECK(meta["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false");
    // The operator's own labels and annotations are still there.
    CHECK(meta["labels"][names::kLabelJob] == "shop");
    CHECK(meta["labels"][names::kLabelRole] == "run");
    CHECK(meta["annotations"].contains(names::kAnnotationCapacity));
    // Only the pod: the manifest's ConfigMap keeps the operator's labels alone.
    CHECK(!built.configMap["metadata"]["labels"].contains("team"));
}

TEST_CASE("pod template: nothing set leaves the pod as before") {
    const auto built = build(parseRunnerPodTemplate("{}"));
    const Json& spec = built.pod["spec"];
    for (const char* key : {"imagePullSecrets", "nodeSelector", "tolerations", "affinity", "priorityClassName"})
        CHECK_MESSAGE(!spec.contains(key), key);
    const Json& res = spec["containers"][0]["resources"];
    CHECK(res == Json::parse(R"({"requests": {"cpu": "1000m", "memory": "1024Mi"},
                                 "limits": {"cpu": "2000m", "memory": "1024Mi"}})"));
    CHECK(parseRunnerPodTemplate("").labels.empty());
}

TEST_CASE("pod template: resources per capacity unit scale with the job's capacity") {
    const auto shape = parseRunnerPodTemplate(
        R"({"resourcesPerCapacityUnit": {"cpuRequest": "0.25", "cpuLimit": "", "memoryRequest": "1.5Gi",
                                         "memoryLimit": "2Gi"}})");
    const Json res = build(shape, 4).pod["spec"]["containers"][0]["resources"];
    CHECK(res["requests"]["cpu"] == "1");
    CHECK(res["requests"]["memory"] == "6Gi");
    CHECK(res["limits"]["memory"] == "8Gi");
    CHECK(!res["limits"].contains("cpu"));  // "" = no CPU limit
    const Json odd = build(shape, 2).pod["spec"]["containers"][0]["resources"];
    CHECK(odd["requests"]["cpu"] == "500m");
    CHECK(odd["requests"]["memory"] == "3Gi");
}

TEST_CASE("quantities: scaled exactly, odd forms refused") {
    CHECK(scaleQuantity("500m", 3) == "1500m");
    CHECK(scaleQuantity("0.5Gi", 3) == "1.5Gi");
    CHECK(scaleQuantity("0.125", 3) == "375m");
    CHECK(scaleQuantity("512Mi", 16) == "8192Mi");
    CHECK(scaleQuantity("", 4) == "");
    for (const char* bad : {"1e3", "-1", "1.2345", "0.5m", "12 Gi", "1gi", "lots"})
        CHECK_THROWS_AS(scaleQuantity(bad, 1), std::invalid_argument);
}

TEST_CASE("pod template: unknown, mistyped and operator-owned fields are refused by name") {
    CHECK(errorOf(R"({"nodeSelectr": {}})").find("nodeSelectr: unknown field") == 0);
    CHECK(errorOf(R"({"nodeSelector": {"a": 1}})") == "nodeSelector.a: needs a string");
    CHECK(errorOf(R"({"tolerations": {"key": "x"}})") == "tolerations: needs a list of objects");
    CHECK(errorOf(R"({"priorityClassName": 5})") == "priorityClassName: needs a string");
    CHECK(errorOf(R"({"imagePullSecrets": [{"nam": "x"}]})").find("imagePullSecrets:") == 0);
    CHECK(
        errorOf(R"({"labels": {"tidemark.dev/job": "other"}})").find("labels.tidemark.dev/job: set by the operator") ==
        0);
    CHECK(errorOf(R"({"labels": {"app.kubernetes.io/name": "x"}})").find("set by the operator") != std::string::npos);
    CHECK(errorOf(R"({"annotations": {"tidemark.dev/retry": "9"}})").find("set by the operator") != std::string::npos);
    CHECK(errorOf(R"({"resourcesPerCapacityUnit": {"cpu": "1"}})") == "resourcesPerCapacityUnit.cpu: unknown field");
    CHECK(errorOf(R"({"resourcesPerCapacityUnit": {"memoryLimit": "512MB"}})")
              .find("resourcesPerCapacityUnit.memoryLimit: '512MB' is not a quantity") == 0);
    CHECK(errorOf("[1]") == "needs a JSON object");
    CHECK(errorOf("{").find("not JSON") == 0);
    // Helm renders an empty value as null: the same as unset.
    CHECK(errorOf(R"({"affinity": null, "labels": null})").empty());
}

TEST_CASE("--runner-pod-template reaches the settings, and a bad one is a usage error naming the field") {
    const Options o = parseOptions({"--runner-pod-template", R"({"priorityClassName": "p"})"});
    CHECK(o.settings.runnerPod.priorityClassName == "p");
    const Options inl = parseOptions({R"(--runner-pod-template={"nodeSelector": {"a": "b"}})"});
    CHECK(inl.settings.runnerPod.nodeSelector["a"] == "b");
    try {
        parseOptions({"--runner-pod-template", R"({"tolerations": 1})"});
        FAIL("a bad template should be refused");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) == "--runner-pod-template: tolerations: needs a list of objects");
    }
}

TEST_CASE("per-job spec.runnerPod: its fields replace the admin's, labels merge, pull secrets add up") {
    const auto admin = parseRunnerPodTemplate(R"({
        "imagePullSecrets": ["regcred"], "nodeSelector": {"disktype": "ssd"}, "priorityClassName": "batch",
        "labels": {"team": "dba", "tier": "db"},
        "resourcesPerCapacityUnit": {"memoryRequest": "256Mi", "memoryLimit": "1Gi"}
    })");
    Json job = testing::makeJob();
    job["spec"]["runnerPod"] = Json::parse(R"({
        "imagePullSecrets": [{"name": "team-registry"}, {"name": "regcred"}],
        "nodeSelector": {"pool": "migrations"},
        "labels": {"tier": "migration", "cost-center": "42"},
        "annotations": {"owner": "dba@example.com"},
        "resourcesPerCapacityUnit": {"memoryLimit": "2Gi"}
    })");
    Settings s;
    s.runnerPod = admin;
    const auto built = buildRunnerPod(job, {"run", "shop-run-1", 2, 0, false, "", "", ""}, s);
    const Json& spec = built.pod["spec"];
    CHECK(spec["imagePullSecrets"] == Json::parse(R"([{"name": "regcred"}, {"name": "team-registry"}])"));
    CHECK(spec["nodeSelector"] == Json::parse(R"({"pool": "migrations"})"));  // replaced, not merged
    CHECK(spec["priorityClassName"] == "batch");                              // the admin's, not overridden
    const Json& labels = built.pod["metadata"]["labels"];
    CHECK(labels["team"] == "dba");
    CHECK(labels["tier"] == "migration");
    CHECK(labels["cost-center"] == "42");
    CHECK(built.pod["metadata"]["annotations"]["owner"] == "dba@example.com");
    const Json& res = spec["containers"][0]["resources"];
    CHECK(res["requests"]["memory"] == "512Mi");  // the admin's 256Mi per unit, capacity 2
    CHECK(res["limits"]["memory"] == "4Gi");      // the job's 2Gi per unit
}

TEST_CASE("per-job spec.runnerPod: a wrong value is named under spec.runnerPod") {
    const auto errorFor = [](const char* runnerPod) -> std::string {
        Json job = testing::makeJob();
        job["spec"]["runnerPod"] = Json::parse(runnerPod);
        try {
            runnerPodTemplateFor(job, RunnerPodTemplate{});
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "";
    };
    CHECK(errorFor(R"({"labels": {"tidemark.dev/job": "other"}})").find("spec.runnerPod.labels.tidemark.dev/job") == 0);
    CHECK(errorFor(R"({"resourcesPerCapacityUnit": {"cpuLimit": "lots"}})")
              .find("spec.runnerPod.resourcesPerCapacityUnit.cpuLimit: 'lots' is not a quantity") == 0);
    CHECK(errorFor(R"({"nodeSelector": {"zone": 3}})") == "spec.runnerPod.nodeSelector.zone: needs a string");
    CHECK(errorFor(R"({"labels": {"team": "dba"}})").empty());
}

TEST_CASE("a job of several sources: every source's Secrets are mounted, and named by their field") {
    Json job = testing::makeJob();
    job["spec"].erase("source");
    job["spec"]["sources"] =
        Json::array({{{"id", "east"}, {"host", "a"}, {"credentialsSecret", {{"name", "east-credentials"}}}},
                     {{"id", "west"},
                      {"host", "b"},
                      {"credentialsSecret", {{"name", "west-credentials"}}},
                      {"tls", {{"secretName", "west-tls"}}}}});
    const auto refs = secretReferences(job);
    REQUIRE(refs.size() >= 3);
    CHECK(refs[0].name == "east-credentials");
    CHECK(refs[0].field == "spec.sources[0].credentialsSecret");
    CHECK(refs[2].name == "west-tls");
    CHECK(refs[2].field == "spec.sources[1].tls.secretName");
    CHECK(refs[2].tls);
    const auto built = buildRunnerPod(job, {"run", "shop-run-1", 2, 0, false, "", "", ""}, Settings{});
    std::vector<std::string> paths;
    for (const auto& v : built.pod["spec"]["volumes"])
        if (v["name"] == "secrets")
            for (const auto& src : v["projected"]["sources"])
                for (const auto& item : src["secret"]["items"]) paths.push_back(item["path"]);
    for (const char* p : {"east-credentials/username", "west-credentials/password", "west-tls/ca.crt"})
        CHECK(std::count(paths.begin(), paths.end(), p) == 1);
    CHECK(std::count(paths.begin(), paths.end(), "west-credentials/ca.crt") == 0);  // credentials, not TLS
}
