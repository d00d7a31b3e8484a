// The runner's status sink against hack/devcluster: its blocks land in the status subresource,
// and neither the runner nor the operator loses the other's fields.
#include <doctest/doctest.h>

#include <thread>

#include "kube/errors.h"
#include "runner/kube_status/kube_status_sink.h"
#include "tests/kube/dev_cluster.h"
#include "tests/kube/test_objects.h"

using namespace tidemark;
using namespace tidemark::kube::testing;
using kube::resources::kMigrationJobs;
using nlohmann::json;

TEST_CASE("kube_status_sink_publishes_runner_blocks_and_keeps_operator_fields") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    kube::Client client(cluster->config());
    client.create(kMigrationJobs, migrationJob("shop"));
    // The operator's fields first.
    client.patchStatus(kMigrationJobs, key("shop"),
                       {{"status", {{"phase", "Copying"}, {"capacity", {{"current", 2}}}, {"observedGeneration", 1}}}});

    auto sink = status::kubeStatusSink(client, DevCluster::kNamespace, "shop", std::chrono::milliseconds(100));
    sink->report("fullCopy", {{"rowsCopied", 10}, {"percent", 5.0}});
    sink->report("fullCopy", {{"rowsCopied", 20}});
    sink->report("verify", {{"identical", true}});  // not a status block: kept local
    sink->flush();
    json got = client.get(kMigrationJobs, key("shop"));
    CHECK(got["status"]["fullCopy"]["rowsCopied"] == 20);
    CHECK(got["status"]["fullCopy"]["percent"] == 5.0);
    CHECK(got["status"]["phase"] == "Copying");
    CHECK(got["status"]["capacity"]["current"] == 2);
    CHECK(!got["status"].contains("verify"));

    // The operator writes again: the runner's block stays.
    client.patchStatus(kMigrationJobs, key("shop"), {{"status", {{"phase", "Replicating"}}}});
    sink->report("incremental", {{"lagSeconds", 1}, {"rowsApplied", 7}});
    sink->report("lastError", {{"reason", "SourceUnreachable"}, {"message", "m"}, {"retryable", true}});
    // Published by the background thread without a flush.
    json after;
    for (int i = 0; i < 50; ++i) {
        after = client.get(kMigrationJobs, key("shop"));
        if (after["status"].contains("lastError")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(after["status"]["phase"] == "Replicating");
    CHECK(after["status"]["fullCopy"]["rowsCopied"] == 20);
    CHECK(after["status"]["incremental"]["rowsApplied"] == 7);
    CHECK(after["status"]["lastError"]["reason"] == "SourceUnreachable");

    // A null removes a field (merge-patch semantics reach the server).
    sink->report("lastError", nullptr);
    sink->flush();
    CHECK(!client.get(kMigrationJobs, key("shop"))["status"].contains("lastError"));
}

TEST_CASE("kube_status_sink_survives_a_deleted_job") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    kube::Client client(cluster->config());
    auto sink = status::kubeStatusSink(client, DevCluster::kNamespace, "absent", std::chrono::milliseconds(50));
    sink->report("fullCopy", {{"rowsCopied", 1}});
    CHECK_NOTHROW(sink->flush());  // 404: reported on stderr, never thrown
    sink->report("fullCopy", {{"rowsCopied", 2}});
    CHECK_NOTHROW(sink->flush());
    // Nor does the sink bring the job into being.
    CHECK_FALSE(client.tryGet(kMigrationJobs, key("absent")).has_value());
}

TEST_CASE("status rate: steady progress waits for the interval, a change the operator acts on does not") {
    const json published = {{"fullCopy", {{"rowsCopied", 10}, {"percent", 5.0}, {"bytesCopied", 100}}},
                            {"incremental", {{"lagSeconds", 1}, {"rowsApplied", 7}, {"appliedPosition", "b.1:4"}}}};
    CHECK(status::steadyProgress(published, "fullCopy", {{"rowsCopied", 20}, {"percent", 6.0}}));
    CHECK(status::steadyProgress(published, "incremental", {{"lagSeconds", 3}, {"appliedPosition", "b.1:99"}}));
    CHECK_FALSE(status::steadyProgress(published, "fullCopy", {{"percent", 100}}));  // the copy finished
    CHECK_FALSE(status::steadyProgress(published, "incremental", {{"stalled", {{"reason", "TargetUnavailable"}}}}));
    CHECK_FALSE(status::steadyProgress(published, "incremental", {{"rowsPerSecond", 5}}));  // first time seen
    CHECK_FALSE(status::steadyProgress(published, "lastError", {{"reason", "DuplicateKey"}}));
    CHECK_FALSE(status::steadyProgress(json::object(), "fullCopy", {{"rowsCopied", 1}}));  // the first report
}
