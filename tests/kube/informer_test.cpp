#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "dev_cluster.h"
#include "event_log.h"
#include "kube/informer.h"
#include "kube/work_queue.h"
#include "test_objects.h"

using namespace tidemark::kube;
using namespace tidemark::kube::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using resources::kMigrationJobs;

namespace {
std::string phaseOf(const json& o) { return o.contains("status") ? o["status"].value("phase", "") : ""; }
}  // namespace

TEST_CASE("informer_caches_the_collection_and_calls_handlers") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    client.create(kMigrationJobs, migrationJob("existing"));

    WatcherOptions opts;
    opts.resource = kMigrationJobs;
    opts.namespace_ = DevCluster::kNamespace;
    opts.timeoutSeconds = 2;
    Informer informer(client, opts);
    EventLog log;
    informer.addHandlers({
        [&](const json& o) { log.add("add " + o["metadata"]["name"].get<std::string>()); },
        [&](const json& old, const json& now) {
            log.add("update " + now["metadata"]["name"].get<std::string>() + " " + phaseOf(old) + "->" + phaseOf(now));
        },
        [&](const json& o) { log.add("delete " + o["metadata"]["name"].get<std::string>()); },
    });
    CHECK_FALSE(informer.hasSynced());
    informer.start();
    REQUIRE(informer.waitForSync(10s));
    CHECK(informer.get(DevCluster::kNamespace + std::string("/existing")).has_value());

    client.create(kMigrationJobs, migrationJob("new"));
    client.patchStatus(kMigrationJobs, key("new"), {{"status", {{"phase", "Copying"}}}});
    client.remove(kMigrationJobs, key("existing"));
    REQUIRE(log.waitForCount(4));
    CHECK(log.entries() ==
          std::vector<std::string>{"add existing", "add new", "update new ->Copying", "delete existing"});
    auto cached = informer.get(DevCluster::kNamespace + std::string("/new"));
    REQUIRE(cached.has_value());
    CHECK(phaseOf(*cached) == "Copying");
    CHECK_FALSE(informer.get(DevCluster::kNamespace + std::string("/existing")).has_value());
    CHECK(informer.keys() == std::vector<std::string>{"tidemark-test/new"});
    CHECK(informer.list().size() == 1);
    informer.stop();
}

TEST_CASE("informer_feeds_a_work_queue_that_reconciles_each_key") {
    // The operator's shape: informer handlers enqueue keys, a worker reconciles them.
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    WatcherOptions opts;
    opts.resource = kMigrationJobs;
    opts.namespace_ = DevCluster::kNamespace;
    Informer informer(client, opts);
    WorkQueue queue;
    auto enqueue = [&](const json& o) { queue.add(ObjectKey::of(o).str()); };
    informer.addHandlers({enqueue, [&](const json&, const json& o) { enqueue(o); }, enqueue});
    informer.start();
    REQUIRE(informer.waitForSync(10s));

    for (int i = 0; i < 5; ++i) client.create(kMigrationJobs, migrationJob("job-" + std::to_string(i)));
    std::set<std::string> reconciled;
    while (reconciled.size() < 5) {
        auto k = queue.get(10s);
        REQUIRE(k.has_value());
        auto obj = informer.get(*k);
        REQUIRE(obj.has_value());
        // Reconcile: mark the job as seen through the status subresource.
        client.patchStatus(kMigrationJobs, ObjectKey::parse(*k), {{"status", {{"phase", "Pending"}}}});
        reconciled.insert(*k);
        queue.forget(*k);
        queue.done(*k);
    }
    // The status writes come back as updates; the cache converges.
    for (int i = 0; i < 100; ++i) {
        auto all = informer.list();
        if (std::all_of(all.begin(), all.end(), [](const json& o) { return phaseOf(o) == "Pending"; })) break;
        std::this_thread::sleep_for(50ms);
    }
    for (const auto& o : informer.list()) CHECK(phaseOf(o) == "Pending");
    queue.shutdown();
    informer.stop();
}
