#include <doctest/doctest.h>

#include "dev_cluster.h"
#include "kube/event_recorder.h"
#include "test_objects.h"

using namespace tidemark::kube;
using namespace tidemark::kube::testing;
using nlohmann::json;

TEST_CASE("event_recorder_writes_core_events_that_describe_finds_and_aggregates_repeats") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json job = client.create(resources::kMigrationJobs, migrationJob("demo"));
    EventRecorder recorder(client, "tidemark-operator", "operator-0");

    json first = recorder.record(job, EventType::Warning, "PrecheckFailed", "binlog_format is STATEMENT");
    CHECK(first["type"] == "Warning");
    CHECK(first["reason"] == "PrecheckFailed");
    CHECK(first["count"] == 1);
    CHECK(first["source"]["component"] == "tidemark-operator");
    CHECK(first["reportingComponent"] == "tidemark-operator");
    CHECK(first["involvedObject"]["kind"] == "MigrationJob");
    CHECK(first["involvedObject"]["uid"] == job["metadata"]["uid"]);
    CHECK(first["firstTimestamp"] == first["lastTimestamp"]);

    json again = recorder.record(job, EventType::Warning, "PrecheckFailed", "binlog_format is STATEMENT");
    CHECK(again["metadata"]["name"] == first["metadata"]["name"]);
    CHECK(again["count"] == 2);
    recorder.record(job, EventType::Normal, "Started", "runner pod created");

    // What kubectl describe asks for.
    ListOptions describe;
    describe.selectors.fieldSelector =
        "involvedObject.name=demo,involvedObject.namespace=" + std::string(DevCluster::kNamespace) +
        ",involvedObject.kind=MigrationJob,involvedObject.uid=" + job["metadata"]["uid"].get<std::string>();
    auto events = client.list(resources::kEvents, DevCluster::kNamespace, describe).items;
    REQUIRE(events.size() == 2);
    int warnings = 0;
    for (const auto& e : events) {
        if (e["type"] == "Warning") {
            ++warnings;
            CHECK(e["count"] == 2);
        }
    }
    CHECK(warnings == 1);
}

TEST_CASE("event_recorder_creates_a_new_event_when_the_aggregated_one_is_gone") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json ns = client.get(resources::kNamespaces, {"", DevCluster::kNamespace});
    EventRecorder recorder(client, "tidemark-operator");

    // A cluster-scoped object: its events go to "default".
    json first = recorder.record(ns, EventType::Normal, "Watching", "namespace is watched");
    CHECK(first["metadata"]["namespace"] == "default");
    CHECK(first["involvedObject"]["kind"] == "Namespace");
    CHECK_FALSE(first["involvedObject"].contains("namespace"));
    client.remove(resources::kEvents, ObjectKey::of(first));  // expired (events have a TTL)

    json second = recorder.record(ns, EventType::Normal, "Watching", "namespace is watched");
    CHECK(second["metadata"]["name"] != first["metadata"]["name"]);
    CHECK(second["count"] == 1);
}
