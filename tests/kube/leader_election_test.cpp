#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "dev_cluster.h"
#include "event_log.h"
#include "kube/leader_election.h"
#include "test_objects.h"

using namespace tidemark::kube;
using namespace tidemark::kube::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
LeaderElectionConfig candidate(const std::string& identity, EventLog& log) {
    LeaderElectionConfig c;
    c.leaseNamespace = DevCluster::kNamespace;
    c.leaseName = "tidemark-operator";
    c.identity = identity;
    c.leaseDuration = 2000ms;
    c.renewDeadline = 1500ms;
    c.retryPeriod = 200ms;
    c.onStartedLeading = [&log, identity] { log.add(identity + " started"); };
    c.onStoppedLeading = [&log, identity] { log.add(identity + " stopped"); };
    return c;
}

bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}
}  // namespace

TEST_CASE("leader_election_rejects_inconsistent_timings") {
    Config cfg;
    cfg.server = "http://127.0.0.1:1";
    Client client(cfg);
    EventLog log;
    auto c = candidate("a", log);
    c.renewDeadline = c.leaseDuration;
    CHECK_THROWS_AS(LeaderElector(client, c), std::invalid_argument);
    c = candidate("", log);
    CHECK_THROWS_AS(LeaderElector(client, c), std::invalid_argument);
}

TEST_CASE("leader_election_hands_over_when_the_holder_stops_renewing") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    EventLog log;

    auto first = candidate("a", log);
    first.releaseOnStop = false;  // a crashed leader: it just stops renewing
    LeaderElector a(client, first);
    a.start();
    REQUIRE(waitUntil([&] { return a.isLeader(); }, 5s));
    json lease = client.get(resources::kLeases, key("tidemark-operator"));
    CHECK(lease["spec"]["holderIdentity"] == "a");
    CHECK(lease["spec"]["leaseDurationSeconds"] == 2);
    CHECK(lease["spec"]["renewTime"].get<std::string>().size() == 27);  // MicroTime, 6 digits

    LeaderElector b(client, candidate("b", log));
    b.start();
    std::this_thread::sleep_for(1s);  // a keeps renewing: b must wait
    CHECK_FALSE(b.isLeader());
    CHECK(b.observedLeader() == "a");

    auto stoppedAt = std::chrono::steady_clock::now();
    a.stop();
    CHECK_FALSE(a.isLeader());
    REQUIRE(waitUntil([&] { return b.isLeader(); }, 6s));
    // Not before the lease ran out: b measures its 2 s from the last renewal it saw.
    CHECK(std::chrono::steady_clock::now() - stoppedAt >= 1500ms);
    lease = client.get(resources::kLeases, key("tidemark-operator"));
    CHECK(lease["spec"]["holderIdentity"] == "b");
    CHECK(lease["spec"]["leaseTransitions"] == 1);
    b.stop();
    CHECK(log.entries() == std::vector<std::string>{"a started", "a stopped", "b started", "b stopped"});
}

TEST_CASE("leader_election_release_on_stop_lets_the_successor_in_at_once") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    EventLog log;
    auto ca = candidate("a", log);
    ca.leaseDuration = 10s;  // long: only a release explains a quick handover
    ca.renewDeadline = 5s;
    auto cb = candidate("b", log);
    cb.leaseDuration = 10s;
    cb.renewDeadline = 5s;
    LeaderElector a(client, ca);
    a.start();
    REQUIRE(waitUntil([&] { return a.isLeader(); }, 5s));
    LeaderElector b(client, cb);
    b.start();
    std::this_thread::sleep_for(500ms);
    CHECK_FALSE(b.isLeader());
    auto t0 = std::chrono::steady_clock::now();
    a.stop();
    CHECK(client.get(resources::kLeases, key("tidemark-operator"))["spec"].value("holderIdentity", "") != "a");
    REQUIRE(waitUntil([&] { return b.isLeader(); }, 3s));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    b.stop();
}

TEST_CASE("leader_election_leader_steps_down_when_another_holder_takes_the_lease") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    EventLog log;
    LeaderElector a(client, candidate("a", log));
    a.start();
    REQUIRE(waitUntil([&] { return a.isLeader(); }, 5s));
    // Someone else (e.g. after a network partition) writes the lease with itself as holder.
    client.updateWithRetry(resources::kLeases, key("tidemark-operator"), [](json& lease) {
        lease["spec"]["holderIdentity"] = "intruder";
        lease["spec"]["leaseDurationSeconds"] = 60;
        return true;
    });
    REQUIRE(waitUntil([&] { return !a.isLeader(); }, 3s));
    CHECK(log.entries() == std::vector<std::string>{"a started", "a stopped"});
    std::this_thread::sleep_for(500ms);
    CHECK_FALSE(a.isLeader());  // the intruder's lease is live: a waits
    CHECK(a.observedLeader() == "intruder");
    a.stop();
}

TEST_CASE("leader_election_only_one_of_several_candidates_leads") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    EventLog log;
    std::vector<std::unique_ptr<LeaderElector>> candidates;
    for (const char* id : {"a", "b", "c", "d"}) {
        candidates.push_back(std::make_unique<LeaderElector>(client, candidate(id, log)));
    }
    for (auto& c : candidates) c->start();
    REQUIRE(waitUntil(
        [&] { return std::any_of(candidates.begin(), candidates.end(), [](auto& c) { return c->isLeader(); }); }, 5s));
    for (int i = 0; i < 20; ++i) {
        int leaders = 0;
        for (auto& c : candidates) leaders += c->isLeader() ? 1 : 0;
        CHECK(leaders == 1);
        std::this_thread::sleep_for(50ms);
    }
    for (auto& c : candidates) c->stop();
}
