#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <map>
#include <thread>

#include "dev_cluster.h"
#include "event_log.h"
#include "kube/errors.h"
#include "kube/watcher.h"
#include "test_objects.h"

using namespace tidemark::kube;
using namespace tidemark::kube::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
// "ADDED cm-1=v0": type, name and the value the test wrote, so order and content are checked.
std::string describe(const WatchEvent& e) {
    return std::string(toString(e.type)) + " " + e.object["metadata"]["name"].get<std::string>() + "=" +
        e.object.value("data", json::object()).value("value", "");
}

WatcherOptions configMapWatch(int timeoutSeconds) {
    WatcherOptions o;
    o.resource = kConfigMaps;
    o.namespace_ = DevCluster::kNamespace;
    o.timeoutSeconds = timeoutSeconds;
    o.initialBackoff = 50ms;
    return o;
}

// Creates, updates and deletes config maps `pause` apart; returns the events a watcher must
// report for them, in order.
std::vector<std::string> churn(const Client& client, const std::string& prefix, int n,
                               std::chrono::milliseconds pause) {
    std::vector<std::string> expected;
    std::map<std::string, std::string> live;  // name -> value
    for (int i = 0; i < n; ++i) {
        std::string name = prefix + std::to_string(i % 4);
        std::string value = "v" + std::to_string(i);
        if (!live.count(name)) {
            client.create(kConfigMaps, configMap(name, value));
            live[name] = value;
            expected.push_back("ADDED " + name + "=" + value);
        } else if (i % 7 == 6) {
            client.remove(kConfigMaps, key(name));
            expected.push_back("DELETED " + name + "=" + live[name]);
            live.erase(name);
        } else {
            client.patch(kConfigMaps, key(name), {{"data", {{"value", value}}}});
            live[name] = value;
            expected.push_back("MODIFIED " + name + "=" + value);
        }
        std::this_thread::sleep_for(pause);
    }
    return expected;
}
}  // namespace

TEST_CASE("watch_reports_existing_objects_then_changes_with_selectors") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    client.create(kConfigMaps, configMap("before", "0"));
    json labelled = configMap("labelled", "1");
    labelled["metadata"]["labels"] = {{"watch", "me"}};
    client.create(kConfigMaps, labelled);

    EventLog all, selected;
    Watcher w1(client, configMapWatch(30), [&](const WatchEvent& e) { all.add(describe(e)); });
    auto opts = configMapWatch(30);
    opts.selectors.labelSelector = "watch=me";
    Watcher w2(client, opts, [&](const WatchEvent& e) { selected.add(describe(e)); });
    w1.start();
    w2.start();
    REQUIRE(all.waitForCount(2));
    for (int i = 0; i < 100 && !w1.hasSynced(); ++i) std::this_thread::sleep_for(10ms);
    CHECK(w1.hasSynced());
    client.patch(kConfigMaps, key("before"), {{"data", {{"value", "2"}}}});
    client.patch(kConfigMaps, key("labelled"), {{"data", {{"value", "3"}}}});
    REQUIRE(all.waitForCount(4));
    REQUIRE(selected.waitForCount(2));
    w1.stop();
    w2.stop();
    CHECK(all.entries() ==
          std::vector<std::string>{"ADDED before=0", "ADDED labelled=1", "MODIFIED before=2", "MODIFIED labelled=3"});
    CHECK(selected.entries() == std::vector<std::string>{"ADDED labelled=1", "MODIFIED labelled=3"});
}

TEST_CASE("watch_survives_server_stream_closes_without_missing_or_duplicating_events") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());

    EventLog log;
    Watcher watcher(client, configMapWatch(1), [&](const WatchEvent& e) { log.add(describe(e)); });
    watcher.start();
    for (int i = 0; i < 100 && !watcher.hasSynced(); ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(watcher.hasSynced());

    // ~4 s of changes while the server ends every watch after 1 s.
    auto expected = churn(client, "cm-", 40, 100ms);
    REQUIRE(log.waitForCount(expected.size()));
    std::this_thread::sleep_for(300ms);  // anything extra (a duplicate) would show up by now
    watcher.stop();
    CHECK(log.entries() == expected);
    CHECK(watcher.watchRequests() >= 4);
    CHECK(watcher.relists() == 0);
}

TEST_CASE("watch_relists_after_410_gone_and_reports_each_change_exactly_once") {
    // A short history: a watcher that falls behind by more than 20 changes gets 410 Gone.
    auto cluster = DevCluster::start({"--history", "20"});
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    client.create(kConfigMaps, configMap("a", "a0"));
    client.create(kConfigMaps, configMap("b", "b0"));
    client.create(kConfigMaps, configMap("busy", "0"));

    // The handler blocks on the "gate" event until released: meanwhile the server ends the 1 s
    // watch request, and the changes below push the watcher's version out of the history, so
    // its next watch gets 410 Gone.
    std::mutex gateMu;
    std::condition_variable gateCv;
    bool open = false;
    EventLog log;
    Watcher watcher(client, configMapWatch(1), [&](const WatchEvent& e) {
        if (e.object["metadata"]["name"] == "gate") {
            std::unique_lock lock(gateMu);
            gateCv.wait(lock, [&] { return open; });
        }
        log.add(describe(e));
    });
    watcher.start();
    REQUIRE(log.waitForCount(3));
    client.create(kConfigMaps, configMap("gate", "g"));
    std::this_thread::sleep_for(3s);  // the blocked watch's 1 s request ends on the server

    client.patch(kConfigMaps, key("a"), {{"data", {{"value", "a1"}}}});
    client.create(kConfigMaps, configMap("d", "d0"));
    for (int i = 1; i <= 30; ++i) {
        client.patch(kConfigMaps, key("busy"), {{"data", {{"value", std::to_string(i)}}}});
    }
    client.remove(kConfigMaps, key("b"));
    {
        std::lock_guard lock(gateMu);
        open = true;
    }
    gateCv.notify_all();

    // The relist reports the difference: newest state once per object, ordered by version,
    // deletions last.
    const std::vector<std::string> expected = {"ADDED a=a0",    "ADDED b=b0", "ADDED busy=0",     "ADDED gate=g",
                                               "MODIFIED a=a1", "ADDED d=d0", "MODIFIED busy=30", "DELETED b=b0"};
    REQUIRE(log.waitForCount(expected.size()));
    // Changes after the relist flow through the new watch, once each, in order.
    auto more = churn(client, "after-", 12, 20ms);
    REQUIRE(log.waitForCount(expected.size() + more.size()));
    std::this_thread::sleep_for(300ms);
    watcher.stop();

    auto want = expected;
    want.insert(want.end(), more.begin(), more.end());
    CHECK(log.entries() == want);
    CHECK(watcher.relists() == 1);
}

TEST_CASE("watch_resumes_from_a_given_version_and_follows_bookmarks") {
    auto cluster = DevCluster::start({"--bookmark-interval", "0.2"});
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    json first = client.create(kConfigMaps, configMap("first", "1"));

    // Starting from first's version: no initial list, only what comes after.
    auto opts = configMapWatch(30);
    opts.resourceVersion = first["metadata"]["resourceVersion"];
    EventLog log;
    Watcher watcher(client, opts, [&](const WatchEvent& e) { log.add(describe(e)); });
    watcher.start();
    json second = client.create(kConfigMaps, configMap("second", "2"));
    REQUIRE(log.waitForCount(1));
    CHECK(log.entries() == std::vector<std::string>{"ADDED second=2"});

    // Changes to other resources move the global version on; bookmarks carry it to the watcher.
    json lease = client.create(resources::kLeases,
                               {{"apiVersion", "coordination.k8s.io/v1"},
                                {"kind", "Lease"},
                                {"metadata", {{"name", "unrelated"}, {"namespace", DevCluster::kNamespace}}},
                                {"spec", json::object()}});
    const std::string target = lease["metadata"]["resourceVersion"];
    bool advanced = false;
    for (int i = 0; i < 100 && !advanced; ++i) {
        advanced = watcher.lastResourceVersion() == target;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(advanced);
    watcher.stop();
}

TEST_CASE("watch_stop_returns_promptly_from_a_quiet_watch") {
    auto cluster = DevCluster::start();
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Client client(cluster->config());
    Watcher watcher(client, configMapWatch(300), [](const WatchEvent&) {});
    watcher.start();
    std::this_thread::sleep_for(500ms);
    auto t0 = std::chrono::steady_clock::now();
    watcher.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("watch_reconnects_with_backoff_when_the_server_is_unreachable") {
    Config cfg;
    cfg.server = "http://127.0.0.1:1";
    Client client(cfg);
    std::atomic<int> errors{0};
    auto opts = configMapWatch(1);
    opts.initialBackoff = 20ms;
    opts.maxBackoff = 80ms;
    opts.onError = [&](const std::string&) { ++errors; };
    Watcher watcher(client, opts, [](const WatchEvent&) {});
    watcher.start();
    std::this_thread::sleep_for(600ms);
    watcher.stop();
    CHECK(errors >= 3);
    CHECK_FALSE(watcher.hasSynced());
}

TEST_CASE("watch_over_https_verifies_the_server_with_the_kubeconfig_ca") {
    auto cluster = DevCluster::start({"--tls"});
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Config cfg = cluster->config();
    REQUIRE(cfg.server.rfind("https://", 0) == 0);
    REQUIRE_FALSE(cfg.certificateAuthorityPem.empty());
    Client client(cfg);
    client.create(kConfigMaps, configMap("secure", "1"));
    EventLog log;
    Watcher watcher(client, configMapWatch(30), [&](const WatchEvent& e) { log.add(describe(e)); });
    watcher.start();
    REQUIRE(log.waitForCount(1));
    client.patch(kConfigMaps, key("secure"), {{"data", {{"value", "2"}}}});
    REQUIRE(log.waitForCount(2));
    watcher.stop();
    CHECK(log.entries() == std::vector<std::string>{"ADDED secure=1", "MODIFIED secure=2"});

    // Without the CA the server's self-signed certificate is refused.
    cfg.certificateAuthorityPem.clear();
    Client untrusting(cfg);
    CHECK_THROWS_AS(untrusting.get(kConfigMaps, key("secure")), TransportError);
    cfg.insecureSkipTlsVerify = true;
    Client insecure(cfg);
    CHECK(insecure.get(kConfigMaps, key("secure"))["data"]["value"] == "2");
}

TEST_CASE("watch_outlives_the_client_request_timeout_when_quiet") {
    // No bookmarks to keep the stream busy: only the watch's own timeoutSeconds may end it.
    auto cluster = DevCluster::start({"--bookmark-interval", "600"});
    REQUIRE(cluster);  // hack/devcluster is part of the repository: its absence is a failure
    Config cfg = cluster->config();
    cfg.requestTimeout = std::chrono::seconds(1);
    Client client(cfg);
    EventLog log;
    std::atomic<int> errors{0};
    auto opts = configMapWatch(60);
    opts.onError = [&](const std::string&) { ++errors; };
    Watcher watcher(client, opts, [&](const WatchEvent& e) { log.add(describe(e)); });
    watcher.start();
    std::this_thread::sleep_for(3s);  // three request timeouts of silence
    client.create(kConfigMaps, configMap("late", "1"));
    REQUIRE(log.waitForCount(1));
    watcher.stop();
    CHECK(log.entries() == std::vector<std::string>{"ADDED late=1"});
    CHECK(watcher.watchRequests() == 1);  // the same request the whole time
    CHECK(errors == 0);
}
