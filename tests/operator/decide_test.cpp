// decide(): every lifecycle rule of a MigrationJob, one reconcile at a time, with no HTTP.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>

#include "operator/runner_pod.h"
#include "tests/operator/job_world.h"

using namespace tidemark::op;
using namespace tidemark::op::testing;

TEST_CASE("a new job gets the finalizer and a precheck pod before anything else") {
    World w;
    w.job["metadata"].erase("finalizers");
    auto d = w.step();
    REQUIRE(!d.actions.empty());
    CHECK(std::holds_alternative<action::AddFinalizer>(d.actions.front()));
    CHECK(w.phase() == "Prechecking");
    CHECK(hasEvent(d, "PrecheckStarted"));
    REQUIRE(w.creates() == 1);
    const Json args = podArgs(d);
    CHECK(args[0] == "precheck");
    CHECK(condition(w.job, "Validated")["status"] == "True");
    CHECK(condition(w.job, "PrecheckPassed")["status"] == "Unknown");
}

TEST_CASE("the runner pod: owner, labels, secrets read-only in the --secrets-dir layout, Never restart") {
    World w;
    auto d = w.step();
    const auto create = actionsOf<action::CreatePod>(d).at(0);
    const Json& pod = create.pod;
    CHECK(pod["metadata"]["ownerReferences"][0]["controller"] == true);
    CHECK(pod["metadata"]["ownerReferences"][0]["kind"] == "MigrationJob");
    CHECK(pod["metadata"]["ownerReferences"][0]["uid"] == "uid-shop");
    CHECK(pod["metadata"]["labels"]["app.kubernetes.io/name"] == "tidemark-runner");
    CHECK(pod["metadata"]["labels"]["tidemark.dev/job"] == "shop");
    CHECK(pod["spec"]["restartPolicy"] == "Never");
    const Json& c = pod["spec"]["containers"][0];
    bool secretsMounted = false;
    for (const auto& m : c["volumeMounts"])
        if (m["mountPath"] == "/etc/tidemark/secrets") secretsMounted = m["readOnly"] == true;
    CHECK(secretsMounted);
    std::vector<std::string> paths;
    for (const auto& v : pod["spec"]["volumes"])
        if (v["name"] == "secrets")
            for (const auto& src : v["projected"]["sources"])
                for (const auto& item : src["secret"]["items"]) paths.push_back(item["path"]);
    for (const char* p : {"source-credentials/username", "source-credentials/password", "tidb-credentials/password",
                          "source-tls/ca.crt", "source-tls/tls.key"})
        CHECK(std::count(paths.begin(), paths.end(), p) == 1);
    bool jobName = false, jobNs = false;
    for (const auto& e : c["env"]) {
        jobName |= e["name"] == "TIDEMARK_JOB_NAME" && e["value"] == "shop";
        jobNs |= e["name"] == "TIDEMARK_JOB_NAMESPACE" && e["value"] == "default";
    }
    CHECK(jobName);
    CHECK(jobNs);
    // The manifest goes in a ConfigMap named like the pod, mounted where -f points.
    CHECK(create.configMap["metadata"]["name"] == pod["metadata"]["name"]);
    const Json manifest = Json::parse(create.configMap["data"]["job.yaml"].get<std::string>());
    CHECK(manifest["spec"]["source"]["host"] == "mysql.prod.svc");
    CHECK(c["args"][2] == "/etc/tidemark/job/job.yaml");
    // Never secret data: Secrets are referenced by name and mounted, never copied into env or the manifest.
    CHECK(pod.dump().find("secretKeyRef") == std::string::npos);
    CHECK(create.configMap.dump().find("secretKeyRef") == std::string::npos);
}

TEST_CASE("capacity sizes the runner: resources, and the manifest's capacity (threads)") {
    auto r = resourcesFor(8);
    CHECK(r.cpuRequest == "4000m");
    CHECK(r.memoryLimit == "4096Mi");
    Json job = makeJob();
    auto built = buildRunnerPod(job, {"run", "shop-run-1", 8, 0, false, "", "", ""}, Settings{});
    CHECK(built.pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "4000m");
    CHECK(Json::parse(built.configMap["data"]["job.yaml"].get<std::string>())["spec"]["capacity"] == 8);
}

TEST_CASE("a passed precheck records its result and starts the runner with --skip-precheck") {
    World w;
    w.step();
    w.runPod("precheck");
    auto d = w.step();
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Prechecking");
    w.finishPod("precheck", 0);
    d = w.step();
    CHECK(hasEvent(d, "PrecheckPassed"));
    CHECK(hasEvent(d, "Started"));
    CHECK(condition(w.job, "PrecheckPassed")["status"] == "True");
    CHECK(w.job["metadata"]["annotations"]["tidemark.dev/prechecked"] == precheckKey(w.job));
    REQUIRE(w.creates() == 1);
    const Json args = podArgs(d);
    CHECK(args[0] == "run");
    CHECK(hasArg(args, "--skip-precheck"));
    CHECK(!hasArg(args, "--restart"));
    CHECK(w.pod("precheck") == nullptr);
    CHECK(w.phase() == "Copying");
    CHECK(w.job["status"]["capacity"]["current"] == 2);
}

TEST_CASE("a failed precheck stops the job and names its failed items") {
    World w;
    w.step();
    w.job["status"]["precheck"] = {{"items",
                                    {{{"name", "binlog_format"}, {"state", "Failed"}, {"message", "STATEMENT"}},
                                     {{"name", "connect_source"}, {"state", "Pass"}}}}};
    w.finishPod("precheck", 1);
    auto d = w.step();
    CHECK(w.phase() == "PrecheckFailed");
    CHECK(hasEvent(d, "PrecheckFailed"));
    const Json c = condition(w.job, "PrecheckPassed");
    CHECK(c["status"] == "False");
    CHECK(c["message"].get<std::string>().find("binlog_format") != std::string::npos);
    CHECK(w.job["status"]["progress"] == "1 failed (binlog_format)");
    CHECK(w.creates() == 0);
    CHECK(w.pod("precheck") != nullptr);  // kept for kubectl logs
    // Nothing more happens until the spec or the recheck token changes.
    d = w.step(100);
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "PrecheckFailed");
    CHECK(actionsOf<action::Event>(d).empty());
}

TEST_CASE("warnings stop the job unless ignoreWarnings") {
    for (bool ignore : {false, true}) {
        World w;
        w.job["spec"]["precheck"]["ignoreWarnings"] = ignore;
        w.step();
        w.job["status"]["precheck"] = {{"items", {{{"name", "binlog_expire"}, {"state", "Warning"}}}}};
        w.finishPod("precheck", 0);
        w.step();
        CHECK(w.phase() == (ignore ? "Copying" : "PrecheckFailed"));
    }
}

TEST_CASE("a new recheck token or a spec change reruns the precheck, while pause and capacity do not") {
    World w;
    w.step();
    w.finishPod("precheck", 1);
    w.step();
    REQUIRE(w.phase() == "PrecheckFailed");
    const std::string oldKey = precheckKey(w.job);

    SUBCASE("recheck token") {
        w.job["spec"]["precheck"]["recheck"] = "2027-01-15T09:00:00Z";
        auto d = w.step();
        CHECK(w.phase() == "Prechecking");
        CHECK(w.creates() == 1);
        CHECK(w.deletes() == 1);  // the failed precheck pod
        CHECK(w.job["status"]["precheck"]["recheck"] == "2027-01-15T09:00:00Z");
        w.finishPod("precheck", 0);
        w.step();
        CHECK(w.phase() == "Copying");
    }
    SUBCASE("spec change") {
        w.job["spec"]["target"]["port"] = 4001;
        w.job["metadata"]["generation"] = 2;
        w.step();
        CHECK(w.phase() == "Prechecking");
        CHECK(precheckKey(w.job) != oldKey);
        CHECK(condition(w.job, "Validated")["observedGeneration"] == 2);
        CHECK(w.job["status"]["observedGeneration"] == 2);
    }
    SUBCASE("pause, capacity and restartToken are not precheck inputs") {
        Json j = w.job;
        j["spec"]["paused"] = true;
        j["spec"]["capacity"] = 8;
        j["spec"]["restartToken"] = "x";
        CHECK(precheckKey(j) == oldKey);
    }
}

TEST_CASE("a spec change while running stops the runner and prechecks again") {
    World w;
    w.toRunning();
    REQUIRE(w.phase() == "Copying");
    w.job["spec"]["objects"] = {{"include", {{{"database", "shop"}}}}};
    w.job["metadata"]["generation"] = 2;
    w.step();
    CHECK(w.phase() == "Prechecking");
    CHECK(w.pod("run") == nullptr);
    CHECK(w.pod("precheck") == nullptr);  // not while the runner may still be stopping
    w.step();
    CHECK(w.pod("precheck") != nullptr);
}

TEST_CASE("a stalled replay: Stalled=True with the runner's reason, Synced=False, one Warning, and back") {
    World w;
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["incremental"] = {{"lagSeconds", 0.4}, {"appliedPosition", "bin.1:4"}};
    w.step();
    REQUIRE(w.phase() == "Replicating");
    CHECK(condition(w.job, "Synced")["status"] == "True");
    CHECK(condition(w.job, "Stalled")["status"] == "False");

    w.job["status"]["incremental"]["lagSeconds"] = 42;
    w.job["status"]["incremental"]["stalled"] = {{"reason", "TargetUnavailable"},
                                                 {"message", "target 127.0.0.1:4000: connection refused"},
                                                 {"since", "2027-01-15T09:00:00Z"}};
    auto d = w.step();
    CHECK(condition(w.job, "Stalled")["status"] == "True");
    CHECK(condition(w.job, "Stalled")["reason"] == "TargetUnavailable");
    CHECK(std::string(condition(w.job, "Stalled")["message"]).find("connection refused") != std::string::npos);
    CHECK(condition(w.job, "Synced")["status"] == "False");
    CHECK(condition(w.job, "Synced")["reason"] == "Stalled");
    CHECK(hasEvent(d, "TargetUnavailable"));
    d = w.step();  // still stalled: no second Event
    CHECK_FALSE(hasEvent(d, "TargetUnavailable"));

    w.job["status"]["incremental"]["stalled"] = nullptr;
    w.job["status"]["incremental"]["lagSeconds"] = 1;
    d = w.step();
    CHECK(condition(w.job, "Stalled")["status"] == "False");
    CHECK(condition(w.job, "Synced")["status"] == "True");
    CHECK(hasEvent(d, "Flowing"));
}

TEST_CASE("phase follows the runner's reports: Copying, then Replicating, Synced at low lag") {
    World w;
    w.toRunning();
    CHECK(w.phase() == "Copying");
    CHECK(condition(w.job, "Ready")["status"] == "True");
    CHECK(condition(w.job, "FullCopyComplete")["status"] == "False");
    w.job["status"]["fullCopy"] = {{"percent", 40.0}, {"bytesCopied", 1048576}, {"tablesTotal", 10}, {"tablesDone", 4}};
    w.step();
    CHECK(w.job["status"]["progress"] == "40% 1.0 MiB, 4/10 tables");
    w.job["status"]["fullCopy"]["percent"] = 100;
    w.job["status"]["fullCopy"]["done"] = true;
    w.job["status"]["incremental"] = {{"lagSeconds", 30}, {"rowsApplied", 5}, {"appliedPosition", "bin.1:4"}};
    auto d = w.step();
    CHECK(w.phase() == "Replicating");
    CHECK(hasEvent(d, "FullCopyComplete"));
    CHECK(condition(w.job, "FullCopyComplete")["status"] == "True");
    CHECK(condition(w.job, "Synced")["status"] == "False");
    w.job["status"]["incremental"]["lagSeconds"] = 1;
    w.step();
    CHECK(condition(w.job, "Synced")["status"] == "True");
    // Steady state: nothing to do.
    d = w.step();
    CHECK(d.actions.empty());
}

TEST_CASE("an Incremental job replicates from the start") {
    World w;
    w.job["spec"]["type"] = "Incremental";
    w.job["spec"]["incremental"]["start"] = {{"binlogFile", "mysql-bin.000042"}, {"binlogPos", 4}};
    w.toRunning();
    CHECK(w.phase() == "Replicating");
    CHECK(condition(w.job, "FullCopyComplete").is_null());
}

TEST_CASE("a Full job succeeds when its runner exits 0") {
    World w;
    w.job["spec"]["type"] = "Full";
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.finishPod("run", 0);
    CHECK(condition(w.job, "Succeeded")["status"] == "False");
    CHECK(condition(w.job, "Failed")["status"] == "False");
    REQUIRE(w.job["status"].contains("startTime"));
    const Json started = w.job["status"]["startTime"];
    auto d = w.step(30);
    CHECK(w.phase() == "Succeeded");
    CHECK(hasEvent(d, "Succeeded"));
    // kubectl wait --for=condition=Succeeded
    CHECK(condition(w.job, "Succeeded")["status"] == "True");
    CHECK(condition(w.job, "Succeeded")["observedGeneration"] == w.job["metadata"]["generation"]);
    CHECK(condition(w.job, "Failed")["status"] == "False");
    CHECK(w.job["status"]["completionTime"] == formatTime(at(30)));
    CHECK(w.job["status"]["startTime"] == started);
    d = w.step(1000);
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Succeeded");
    CHECK(w.job["status"]["completionTime"] == formatTime(at(30)));
}

TEST_CASE("a Full job's runner that exited 0 before the copy finished is restarted, not Succeeded") {
    World w;
    w.job["spec"]["type"] = "Full";
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 60}};
    w.finishPod("run", 0, 0);
    w.step(1000);
    CHECK(w.phase() == "Copying");
    CHECK(w.creates() == 1);
}

TEST_CASE("a non-retryable runner failure sets Failed with the runner's reason, and stays") {
    World w;
    w.toRunning();
    w.job["status"]["lastError"] = {{"reason", "DuplicateKey"},
                                    {"message", "duplicate key in shop.orders (restart the job ...)"},
                                    {"retryable", false}};
    w.finishPod("run", 1);
    auto d = w.step();
    CHECK(w.phase() == "Failed");
    CHECK(hasEvent(d, "Failed"));
    CHECK(condition(w.job, "Ready")["reason"] == "DuplicateKey");
    CHECK(condition(w.job, "Ready")["message"].get<std::string>().find("shop.orders") != std::string::npos);
    // kubectl wait --for=condition=Failed
    CHECK(condition(w.job, "Failed")["status"] == "True");
    CHECK(condition(w.job, "Failed")["reason"] == "DuplicateKey");
    CHECK(condition(w.job, "Failed")["message"].get<std::string>().find("shop.orders") != std::string::npos);
    CHECK(condition(w.job, "Succeeded")["status"] == "False");
    d = w.step(5000);
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Failed");
}

TEST_CASE("a new restartToken restarts a failed job with --restart and records the token") {
    World w;
    w.toRunning();
    w.finishPod("run", 1);
    w.step();
    REQUIRE(w.phase() == "Failed");
    w.job["spec"]["restartToken"] = "1";
    auto d = w.step();
    REQUIRE(w.creates() == 1);
    CHECK(hasArg(podArgs(d), "--restart"));
    CHECK(hasEvent(d, "Restarting"));
    CHECK(w.job["status"]["restartToken"] == "1");
    CHECK(w.phase() == "Copying");
    // The same token does not restart again.
    w.finishPod("run", 1);
    w.step();
    CHECK(w.phase() == "Failed");
    w.step();
    CHECK(w.creates() == 0);
}

TEST_CASE("retryable failures are retried with exponential backoff and counted") {
    World w;
    w.settings.retryBase = std::chrono::seconds(10);
    w.toRunning();
    w.finishPod("run", 3, 100);
    auto d = w.step(105);
    CHECK(w.creates() == 0);
    REQUIRE(d.requeueAfter);
    CHECK(d.requeueAfter->count() >= 5000);
    CHECK(d.requeueAfter->count() < 6000);
    CHECK(condition(w.job, "Ready")["reason"] == "BackingOff");
    d = w.step(110);
    REQUIRE(w.creates() == 1);
    CHECK(hasEvent(d, "Retrying"));
    CHECK(w.job["status"]["restarts"] == 1);
    CHECK(actionsOf<action::CreatePod>(d)[0].pod["metadata"]["annotations"]["tidemark.dev/retry"] == "1");
    // Second failure waits twice as long.
    w.finishPod("run", 3, 200);
    w.step(215);
    CHECK(w.creates() == 0);
    w.step(220);
    CHECK(w.creates() == 1);
    CHECK(w.job["status"]["restarts"] == 2);
    // A kill (exit 137) is retried too.
    w.finishPod("run", 137, 300);
    w.step(400);
    CHECK(w.creates() == 1);
}

TEST_CASE("a runner pod that disappears is replaced and counted") {
    World w;
    w.toRunning();
    w.pods.clear();
    auto d = w.step();
    CHECK(w.creates() == 1);
    CHECK(hasEvent(d, "RunnerReplaced"));
    CHECK(w.job["status"]["restarts"] == 1);
}

TEST_CASE("pause deletes the runner and keeps the position, and resume starts it again") {
    World w;
    w.toRunning();
    w.job["spec"]["paused"] = true;
    auto d = w.step();
    CHECK(w.phase() == "Paused");
    CHECK(hasEvent(d, "Paused"));
    CHECK(w.pod("run") == nullptr);
    CHECK(w.step().actions.empty());
    w.job["spec"]["paused"] = false;
    d = w.step();
    CHECK(hasEvent(d, "Resumed"));
    REQUIRE(w.creates() == 1);
    CHECK(!hasArg(podArgs(d), "--restart"));
    CHECK(w.phase() == "Copying");
    CHECK(actionsOf<action::CreatePod>(d)[0].pod["metadata"]["labels"]["tidemark.dev/role"] == "run");
}

TEST_CASE("pause during the precheck stops it, and resume prechecks again") {
    World w;
    w.step();
    w.job["spec"]["paused"] = true;
    w.step();
    CHECK(w.phase() == "Paused");
    CHECK(w.pods.empty());
    w.job["spec"]["paused"] = false;
    w.step();
    CHECK(w.phase() == "Prechecking");
}

TEST_CASE("scaling while Replicating restarts the runner with the new capacity") {
    World w;
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.step();
    REQUIRE(w.phase() == "Replicating");
    w.job["spec"]["capacity"] = 8;
    auto d = w.step();
    CHECK(hasEvent(d, "Scaling"));
    CHECK(w.pod("run") == nullptr);
    d = w.step();
    REQUIRE(w.creates() == 1);
    const auto pod = actionsOf<action::CreatePod>(d)[0];
    CHECK(pod.pod["metadata"]["annotations"]["tidemark.dev/capacity"] == "8");
    CHECK(Json::parse(pod.configMap["data"]["job.yaml"].get<std::string>())["spec"]["capacity"] == 8);
    CHECK(w.job["status"]["capacity"]["current"] == 8);
    CHECK(condition(w.job, "CapacityApplied")["status"] == "True");
}

TEST_CASE("scaling during the snapshot export is refused and the old capacity kept") {
    World w;
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 20}};
    w.job["spec"]["capacity"] = 16;
    auto d = w.step();
    CHECK(hasEvent(d, "ScaleRefused"));
    CHECK(w.pod("run") != nullptr);
    CHECK(w.deletes() == 0);
    CHECK(condition(w.job, "CapacityApplied")["status"] == "False");
    CHECK(condition(w.job, "CapacityApplied")["reason"] == "ScaleRefused");
    CHECK(w.job["status"]["capacity"]["current"] == 2);
    // A runner replaced mid-export keeps the old capacity too.
    w.pods.clear();
    d = w.step();
    REQUIRE(w.creates() == 1);
    CHECK(actionsOf<action::CreatePod>(d)[0].pod["metadata"]["annotations"]["tidemark.dev/capacity"] == "2");
}

TEST_CASE("scaling while Paused is accepted and used on resume") {
    World w;
    w.toRunning();
    w.job["spec"]["paused"] = true;
    w.step();
    w.job["spec"]["capacity"] = 4;
    w.step();
    CHECK(w.job["status"]["capacity"]["current"] == 4);
    CHECK(condition(w.job, "CapacityApplied")["status"] == "True");
    w.job["spec"]["paused"] = false;
    auto d = w.step();
    REQUIRE(w.creates() == 1);
    CHECK(actionsOf<action::CreatePod>(d)[0].pod["metadata"]["annotations"]["tidemark.dev/capacity"] == "4");
}

TEST_CASE("delete: the finalizer stops the runner, a cleanup pod forgets the job's checkpoints, then it lets go") {
    World w;
    w.job["metadata"]["uid"] = "1234-abcd";
    w.toRunning();
    w.job["metadata"]["deletionTimestamp"] = formatTime(at(50));
    auto d = w.step();
    CHECK(w.deletes() == 1);
    CHECK(w.creates() == 0);
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    CHECK(hasEvent(d, "Stopping"));

    // The runner is gone: the cleanup pod runs `forget` for this instance.
    d = w.step(51);
    REQUIRE(w.creates() == 1);
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    const Json args = podArgs(d);
    CHECK(args.at(0) == "forget");
    const std::string manifest = actionsOf<action::CreatePod>(d)[0].configMap["data"]["job.yaml"];
    CHECK(manifest.find("1234-abcd") != std::string::npos);
    REQUIRE(w.pod("cleanup"));

    // Still running: wait.
    w.runPod("cleanup");
    d = w.step(52);
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    CHECK(d.requeueAfter);

    // It failed (target unreachable): retried after a backoff, with the way out in the Event.
    w.finishPod("cleanup", 3, 53);
    w.job["status"]["lastError"] = {{"reason", "CleanupFailed"}, {"message", "target 10.0.0.9:4000 is unreachable"}};
    d = w.step(53);
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    CHECK(w.creates() == 0);
    d = w.step(200);
    CHECK(w.creates() == 1);
    REQUIRE(hasEvent(d, "CleanupRetrying"));
    for (const auto& e : actionsOf<action::Event>(d))
        if (e.reason == "CleanupRetrying") {
            CHECK(e.message.find("unreachable") != std::string::npos);
            CHECK(e.message.find("tidemark.dev/keep-checkpoints=true") != std::string::npos);
        }

    w.finishPod("cleanup", 0, 210);
    d = w.step(211);
    CHECK(hasEvent(d, "CheckpointsDeleted"));
    CHECK(actionsOf<action::RemoveFinalizer>(d).size() == 1);
    CHECK(w.job["metadata"]["finalizers"].empty());
}

TEST_CASE("delete: a job that never ran a runner, or asks to keep its checkpoints, goes without a cleanup pod") {
    SUBCASE("never ran") {
        World w;
        w.step();  // precheck pod only
        w.job["metadata"]["deletionTimestamp"] = formatTime(at(50));
        w.step();
        auto d = w.step();
        CHECK(w.creates() == 0);
        CHECK(actionsOf<action::RemoveFinalizer>(d).size() == 1);
    }
    SUBCASE("keep-checkpoints") {
        World w;
        w.toRunning();
        w.job["metadata"]["annotations"]["tidemark.dev/keep-checkpoints"] = "true";
        w.job["metadata"]["deletionTimestamp"] = formatTime(at(50));
        w.step();
        auto d = w.step();
        CHECK(w.creates() == 0);
        CHECK(actionsOf<action::RemoveFinalizer>(d).size() == 1);
    }
    SUBCASE("the cleanup pod cannot be created (a terminating namespace)") {
        World w;
        w.toRunning();
        w.job["metadata"]["deletionTimestamp"] = formatTime(at(50));
        w.step();
        w.refused = PodRefusal{"shop-cleanup-1", 403, "Forbidden", "namespace default is being terminated"};
        auto d = w.step();
        CHECK(hasEvent(d, "CheckpointsKept"));
        CHECK(actionsOf<action::RemoveFinalizer>(d).size() == 1);
    }
}

TEST_CASE("delete waits for a terminating runner pod") {
    World w;
    w.toRunning();
    w.job["metadata"]["deletionTimestamp"] = formatTime(at(50));
    (*w.pod("run"))["metadata"]["deletionTimestamp"] = formatTime(at(50));
    auto d = w.step();
    CHECK(w.deletes() == 0);
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    CHECK(d.requeueAfter);
}

TEST_CASE("the job limit per namespace: the next job gets a clear condition and does nothing") {
    World w;
    w.settings.maxJobsPerNamespace = 2;
    w.job["metadata"]["creationTimestamp"] = "2027-01-15T09:00:00Z";
    for (int i = 0; i < 2; ++i) {
        Json other = makeJob("older" + std::to_string(i));
        w.others.push_back(other);
    }
    Json elsewhere = makeJob("other-ns", "team-b");
    w.others.push_back(elsewhere);
    auto d = w.step();
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Pending");
    CHECK(condition(w.job, "Validated")["reason"] == "TooManyJobs");
    CHECK(condition(w.job, "Validated")["message"].get<std::string>().find("2 MigrationJobs") != std::string::npos);
    CHECK(hasEvent(d, "TooManyJobs"));
    // One older job goes away: this one starts.
    w.others.erase(w.others.begin());
    w.step();
    CHECK(w.phase() == "Prechecking");
    CHECK(w.settings.maxJobsPerNamespace == 2);
    CHECK(Settings{}.maxJobsPerNamespace == 200);
}

TEST_CASE("no second job on a target while a physical-mode full copy runs there") {
    World w;
    w.job["metadata"]["creationTimestamp"] = "2027-01-15T09:00:00Z";
    Json physical = makeJob("bulk");
    physical["spec"]["fullMode"] = "Physical";
    physical["status"] = {{"phase", "Copying"}, {"fullCopy", {{"percent", 30}}}};
    w.others.push_back(physical);

    SUBCASE("same target waits") {
        auto d = w.step();
        CHECK(w.creates() == 0);
        CHECK(w.phase() == "Pending");
        CHECK(condition(w.job, "Ready")["reason"] == "TargetBusy");
        CHECK(hasEvent(d, "TargetBusy"));
        // The copy finishes: the job starts.
        w.others[0]["status"] = {{"phase", "Replicating"}, {"fullCopy", {{"percent", 100}, {"done", true}}}};
        w.step();
        CHECK(w.phase() == "Prechecking");
    }
    SUBCASE("another port is another target") {
        w.job["spec"]["target"]["port"] = 4001;
        w.step();
        CHECK(w.phase() == "Prechecking");
    }
    SUBCASE("a logical copy does not hold the target") {
        w.others[0]["spec"]["fullMode"] = "Logical";
        w.step();
        CHECK(w.phase() == "Prechecking");
    }
    SUBCASE("an older physical job that has not started yet holds it as well") {
        w.others[0]["status"] = {{"phase", "Pending"}};
        w.step();
        CHECK(w.phase() == "Pending");
    }
    SUBCASE("a running job is not stopped by a physical job that shows up later") {
        w.others.clear();
        w.toRunning();
        w.others.push_back(physical);
        w.step();
        CHECK(w.phase() == "Copying");
        CHECK(w.deletes() == 0);
    }
}

TEST_CASE("a spec the runner would refuse is Failed with the field named") {
    World w;
    w.job["spec"]["type"] = "Full";
    w.job["spec"]["fullMode"] = "Physical";
    auto d = w.step();
    CHECK(w.phase() == "Failed");
    CHECK(condition(w.job, "Validated")["status"] == "False");
    CHECK(condition(w.job, "Validated")["message"].get<std::string>().find("spec.fullMode") != std::string::npos);
    CHECK(hasEvent(d, "InvalidSpec"));
    CHECK(w.creates() == 0);
    // Fixed: it prechecks.
    w.job["spec"]["type"] = "FullAndIncremental";
    w.step();
    CHECK(w.phase() == "Prechecking");
}

TEST_CASE("a retryable precheck failure is retried, not reported as failed") {
    World w;
    w.step(0);
    w.finishPod("precheck", 3, 0);
    w.step(1);
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Prechecking");
    w.step(20);
    CHECK(w.creates() == 1);
    CHECK(w.phase() == "Prechecking");
}

TEST_CASE("conditions keep lastTransitionTime while their status holds, and carry observedGeneration") {
    World w;
    w.step(0);
    const Json first = condition(w.job, "Validated");
    w.step(100);
    CHECK(condition(w.job, "Validated")["lastTransitionTime"] == first["lastTransitionTime"]);
    CHECK(first["observedGeneration"] == 1);
}

TEST_CASE("status patches only touch operator fields") {
    World w;
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["lastError"] = {{"reason", "X"}};
    w.job["spec"]["paused"] = true;
    auto d = w.step();
    for (const auto& p : actionsOf<action::PatchStatus>(d)) {
        CHECK(!p.status.contains("fullCopy"));
        CHECK(!p.status.contains("incremental"));
        CHECK(!p.status.contains("lastError"));
        if (p.status.contains("precheck")) CHECK(!p.status["precheck"].contains("items"));
    }
}

TEST_CASE("a new runner waits until the old one has stopped: two runners never overlap on a target") {
    World w;
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.step();
    w.job["spec"]["capacity"] = 4;
    // The API server keeps the pod while it terminates.
    Json stopping = *w.pod("run");
    w.step();
    stopping["metadata"]["deletionTimestamp"] = formatTime(at(1));
    w.pods.push_back(stopping);
    auto d = w.step();
    CHECK(w.creates() == 0);
    CHECK(d.requeueAfter);
    CHECK(condition(w.job, "Ready")["reason"] == "RunnerStopping");
    CHECK(!w.job["status"].contains("restarts"));
    w.step();
    CHECK(!w.job["status"].contains("restarts"));
    // Gone: the new runner starts with the new size, a scaling rather than a replacement.
    w.pods.clear();
    d = w.step();
    REQUIRE(w.creates() == 1);
    CHECK(hasEvent(d, "Scaled"));
    CHECK(!hasEvent(d, "RunnerReplaced"));
    CHECK(!w.job["status"].contains("restarts"));
    CHECK(actionsOf<action::CreatePod>(d)[0].pod["metadata"]["annotations"]["tidemark.dev/capacity"] == "4");
}

TEST_CASE("a spec change waits for the running runner to stop before prechecking") {
    World w;
    w.toRunning();
    Json running = *w.pod("run");
    w.job["spec"]["target"]["port"] = 4001;
    w.step();
    running["metadata"]["deletionTimestamp"] = formatTime(at(1));
    w.pods.push_back(running);
    w.step();
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Prechecking");
    w.pods.clear();
    w.step();
    CHECK(w.creates() == 1);
}

// ---- runner pods that cannot start, or that the platform ended --------------------------------

namespace {

Json lastError(const World& w) { return w.job["status"].value("lastError", Json()); }

void waitWith(Json& pod, const std::string& reason, const std::string& message = "") {
    Json waiting = {{"reason", reason}};
    if (!message.empty()) waiting["message"] = message;
    pod["status"]["containerStatuses"][0]["state"] = {{"waiting", waiting}};
}

Json failedMount(const std::string& pod, const std::string& message) {
    return {{"type", "Warning"},
            {"reason", "FailedMount"},
            {"message", message},
            {"involvedObject", {{"kind", "Pod"}, {"name", pod}}}};
}

}  // namespace

TEST_CASE("runner pods pass Pod Security restricted without pinning a UID") {
    World w;
    const Json pod = actionsOf<action::CreatePod>(w.step()).at(0).pod;
    const Json& psc = pod["spec"]["securityContext"];
    CHECK(psc["runAsNonRoot"] == true);
    CHECK(psc["seccompProfile"]["type"] == "RuntimeDefault");
    CHECK(!psc.contains("runAsUser"));  // OpenShift assigns one from the namespace's range
    CHECK(!psc.contains("fsGroup"));
    const Json& sc = pod["spec"]["containers"][0]["securityContext"];
    CHECK(sc["allowPrivilegeEscalation"] == false);
    CHECK(sc["capabilities"]["drop"] == Json::array({"ALL"}));
    CHECK(!sc.contains("runAsUser"));
}

TEST_CASE("a Secret missing from the namespace shows on the job while the pod stays in ContainerCreating") {
    World w;
    w.step();
    Json& pod = *w.pod("precheck");
    waitWith(pod, "ContainerCreating");
    const std::string name = pod["metadata"]["name"];
    w.events = {
        failedMount(name, "MountVolume.SetUp failed for volume \"secrets\" : secret \"tidb-credentials\" not found")};
    auto d = w.step(2);
    CHECK(w.phase() == "Prechecking");
    const Json ready = condition(w.job, "Ready");
    CHECK(ready["reason"] == "SecretMissing");
    const std::string msg = ready["message"];
    CHECK(msg.find("Secret tidb-credentials not found in namespace default") != std::string::npos);
    CHECK(msg.find("spec.target.credentialsSecret") != std::string::npos);
    CHECK(msg.find("username and password") != std::string::npos);
    CHECK(hasEvent(d, "SecretMissing"));
    CHECK(lastError(w)["reason"] == "SecretMissing");
    CHECK(lastError(w)["retryable"] == true);
    CHECK(condition(w.job, "PrecheckPassed")["reason"] == "SecretMissing");
    REQUIRE(d.requeueAfter);  // the Event changes nothing the informer sees: look again soon
    CHECK(*d.requeueAfter <= std::chrono::seconds(3));
    CHECK(w.creates() == 0);
    CHECK(w.deletes() == 0);  // the kubelet retries the mount by itself
    // Nothing new: no second Event and no status patch.
    d = w.step(5);
    CHECK(!hasEvent(d, "SecretMissing"));
    CHECK(actionsOf<action::PatchStatus>(d).empty());
    // The Secret is created, the runner runs: the operator's lastError goes.
    w.events.clear();
    w.runPod("precheck");
    w.step(6);
    CHECK(!w.job["status"].contains("lastError"));
    CHECK(condition(w.job, "Ready")["reason"] == "Prechecking");
}

TEST_CASE("a missing Secret key names the key and the Secrets the job reads") {
    World w;
    w.step();
    waitWith(*w.pod("precheck"), "ContainerCreating");
    w.events = {
        failedMount((*w.pod("precheck"))["metadata"]["name"],
                    "MountVolume.SetUp failed for volume \"secrets\" : references non-existent secret key: password")};
    w.step(1);
    const std::string msg = condition(w.job, "Ready")["message"];
    CHECK(condition(w.job, "Ready")["reason"] == "SecretMissing");
    CHECK(msg.find("lacks key password") != std::string::npos);
    CHECK(msg.find("source-credentials (spec.source.credentialsSecret") != std::string::npos);
    // CreateContainerConfigError (a Secret read through env) names Secret and key itself.
    World e;
    e.step();
    waitWith(*e.pod("precheck"), "CreateContainerConfigError",
             "couldn't find key password in Secret default/tidb-credentials");
    e.step(1);
    const std::string m2 = condition(e.job, "Ready")["message"];
    CHECK(condition(e.job, "Ready")["reason"] == "SecretMissing");
    CHECK(m2.find("Secret tidb-credentials") != std::string::npos);
    CHECK(m2.find("key password") != std::string::npos);
}

TEST_CASE("an image that cannot be pulled names the image and the operator's setting") {
    World w;
    w.settings.runnerImage = "registry.example/tidemark:nope";
    w.toRunning();
    Json& run = *w.pod("run");
    run = makePod(run, "Pending");
    waitWith(run, "ImagePullBackOff", "Back-off pulling image \"registry.example/tidemark:nope\"");
    auto d = w.step(3);
    const Json ready = condition(w.job, "Ready");
    CHECK(ready["reason"] == "ImagePullFailed");
    CHECK(ready["message"].get<std::string>().find("registry.example/tidemark:nope") != std::string::npos);
    CHECK(ready["message"].get<std::string>().find("--runner-image") != std::string::npos);
    CHECK(hasEvent(d, "ImagePullFailed"));
    CHECK(w.job["status"]["progress"] == "waiting: ImagePullFailed");
    CHECK(w.deletes() == 0);
    CHECK(w.phase() != "Failed");
}

TEST_CASE("an OOM-killed runner is retried with backoff and counted, naming its limit and how to raise it") {
    World w;
    w.toRunning();
    Json& run = *w.pod("run");
    run = makePod(run, "Failed", 137, at(10));
    run["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] = "OOMKilled";
    auto d = w.step(10);
    CHECK(w.phase() != "Failed");
    const Json ready = condition(w.job, "Ready");
    CHECK(ready["reason"] == "OOMKilled");
    const std::string msg = ready["message"];
    CHECK(msg.find("memory limit 1024Mi") != std::string::npos);
    CHECK(msg.find("raise spec.capacity") != std::string::npos);
    CHECK(msg.find("e.g. to 4") != std::string::npos);
    CHECK(hasEvent(d, "OOMKilled"));
    CHECK(lastError(w)["reason"] == "OOMKilled");
    CHECK(lastError(w)["attempts"] == 1);
    CHECK(w.creates() == 0);  // backing off
    d = w.step(10 + 10);
    CHECK(w.creates() == 1);
    CHECK(hasEvent(d, "Retrying"));
    CHECK(w.job["status"]["restarts"] == 1);
    // The retry runs: the OOM stays as the last error that slowed the job.
    w.runPod("run");
    w.step(21);
    CHECK(lastError(w)["reason"] == "OOMKilled");
}

TEST_CASE("an evicted runner is retried, not read as a failure of the runner") {
    World w;
    w.toRunning();
    Json& run = *w.pod("run");
    run["status"] = {{"phase", "Failed"}, {"reason", "Evicted"}, {"message", "The node was low on resource: memory."}};
    w.step(1);
    CHECK(w.phase() != "Failed");
    CHECK(condition(w.job, "Ready")["reason"] == "Evicted");
    CHECK(condition(w.job, "Ready")["message"].get<std::string>().find("low on resource: memory") != std::string::npos);
    w.step(20);
    CHECK(w.creates() == 1);
    CHECK(w.job["status"]["restarts"] == 1);
}

TEST_CASE("a runner binary missing from the image fails the job with the reason, and a restartToken tries again") {
    World w;
    w.step();
    Json& pre = *w.pod("precheck");
    const std::string first = pre["metadata"]["name"];
    pre = makePod(pre, "Failed", 128, at(1));
    pre["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] = "StartError";
    pre["status"]["containerStatuses"][0]["state"]["terminated"]["message"] =
        "exec: \"tidemark-runner\": executable file not found in $PATH";
    auto d = w.step(1);
    CHECK(w.phase() == "Failed");
    CHECK(condition(w.job, "Ready")["reason"] == "RunnerNotStarted");
    CHECK(condition(w.job, "Ready")["message"].get<std::string>().find("executable file not found") !=
          std::string::npos);
    CHECK(hasEvent(d, "RunnerNotStarted"));
    CHECK(lastError(w)["retryable"] == false);
    // It stays failed: no new pod, no new Event.
    d = w.step(100);
    CHECK(w.phase() == "Failed");
    CHECK(w.creates() == 0);
    CHECK(!hasEvent(d, "RunnerNotStarted"));
    // A new restartToken starts a fresh precheck pod under a new name.
    w.job["spec"]["restartToken"] = "again";
    w.job["metadata"]["generation"] = 2;
    d = w.step(101);
    CHECK(w.phase() == "Prechecking");
    REQUIRE(w.creates() == 1);
    CHECK(actionsOf<action::CreatePod>(d).at(0).pod["metadata"]["name"] != first);
    CHECK(w.job["status"]["restartToken"] == "again");
}

TEST_CASE("a pod refused for a missing ServiceAccount is retried with backoff and counted") {
    World w;
    w.step();        // the create the controller tries
    w.pods.clear();  // ...and the API server refuses
    w.refused = PodRefusal{"shop-precheck-x-1", 403, "Forbidden",
                           "pods \"shop-precheck-x-1\" is forbidden: error looking up service account "
                           "default/tidemark-runner: serviceaccount \"tidemark-runner\" not found"};
    auto d = w.step(1);
    CHECK(w.creates() == 0);
    CHECK(w.phase() == "Prechecking");
    const Json ready = condition(w.job, "Ready");
    CHECK(ready["reason"] == "ServiceAccountMissing");
    CHECK(ready["message"].get<std::string>().find("create ServiceAccount tidemark-runner in namespace default") !=
          std::string::npos);
    CHECK(hasEvent(d, "ServiceAccountMissing"));
    CHECK(lastError(w)["attempts"] == 1);
    REQUIRE(d.requeueAfter);
    // Within the backoff nothing is created and nothing changes.
    d = w.step(5);
    CHECK(w.creates() == 0);
    CHECK(actionsOf<action::PatchStatus>(d).empty());
    // After it, the create is tried again; refused again, the count goes up and the wait doubles.
    d = w.step(12);
    CHECK(w.creates() == 1);
    w.pods.clear();
    w.refused = PodRefusal{"shop-precheck-x-1", 403, "Forbidden", ready["message"]};
    w.refused->message =
        "pods \"p\" is forbidden: error looking up service account default/tidemark-runner: "
        "serviceaccount \"tidemark-runner\" not found";
    d = w.step(12);
    CHECK(lastError(w)["attempts"] == 2);
    w.step(12 + 15);
    CHECK(w.creates() == 0);
    w.step(12 + 21);
    CHECK(w.creates() == 1);
}

TEST_CASE("a pod refused by Pod Security fails the job naming the policy, while a quota is retried") {
    World w;
    w.step();
    w.pods.clear();
    w.refused = PodRefusal{"p", 403, "Forbidden",
                           "pods \"p\" is forbidden: violates PodSecurity \"restricted:latest\": seccompProfile"};
    auto d = w.step(1);
    CHECK(w.phase() == "Failed");
    CHECK(condition(w.job, "Ready")["reason"] == "PodRejected");
    CHECK(condition(w.job, "Ready")["message"].get<std::string>().find("violates PodSecurity \"restricted:latest\"") !=
          std::string::npos);
    CHECK(hasEvent(d, "PodRejected"));
    w.step(500);
    CHECK(w.creates() == 0);

    World q;
    q.toRunning();
    q.pods.clear();  // the runner pod went away; its replacement is refused by a quota
    q.step(1);
    q.pods.clear();
    q.refused = PodRefusal{"p", 403, "Forbidden",
                           "pods \"p\" is forbidden: exceeded quota: compute, requested: limits.memory=1Gi, used: "
                           "limits.memory=3Gi, limited: limits.memory=4Gi"};
    q.step(2);
    CHECK(q.phase() != "Failed");
    CHECK(condition(q.job, "Ready")["reason"] == "QuotaExceeded");
    CHECK(condition(q.job, "Ready")["message"].get<std::string>().find("exceeded quota: compute") != std::string::npos);
    CHECK(lastError(q)["retryable"] == true);
}

TEST_CASE("the runner's own lastError is neither cleared nor confused with the operator's") {
    World w;
    w.toRunning();
    w.job["status"]["lastError"] = {{"reason", "SourceUnreachable"}, {"message", "dial 10.0.0.1:3306"}};
    auto d = w.step(1);
    for (const auto& p : actionsOf<action::PatchStatus>(d)) CHECK(!p.status.contains("lastError"));
    // An operator-written one from a pod that could not run is not read as the runner's reason.
    w.job["status"]["lastError"] = {{"reason", "OOMKilled"}, {"message", "runner pod x was killed"}};
    w.finishPod("run", 1, 2);
    w.step(2);
    CHECK(w.phase() == "Failed");
    CHECK(condition(w.job, "Ready")["message"].get<std::string>().find("was killed") == std::string::npos);
}

TEST_CASE("each DDL the runner skipped by spec.ddl.skip gets one warning Event") {
    World w;
    w.toRunning();
    w.job["status"]["incremental"]["skippedDdl"] = Json::array({{{"position", "binlog.000002:4711"},
                                                                 {"statement", "ALTER TABLE t ADD SPATIAL INDEX g (g)"},
                                                                 {"time", "2026-12-06T17:16:51Z"}}});
    auto d = w.step();
    auto events = actionsOf<action::Event>(d);
    auto skipped = std::count_if(events.begin(), events.end(), [](const action::Event& e) {
        return e.reason == "DdlSkipped" && e.warning && e.message.find("binlog.000002:4711") != std::string::npos &&
            e.message.find("ADD SPATIAL INDEX") != std::string::npos;
    });
    CHECK(skipped == 1);
    CHECK(w.job["status"]["ddlSkipsAnnounced"] == Json::array({"binlog.000002:4711"}));
    // Announced once: the next reconcile emits nothing about it.
    d = w.step();
    events = actionsOf<action::Event>(d);
    CHECK(std::none_of(events.begin(), events.end(), [](const action::Event& e) { return e.reason == "DdlSkipped"; }));
}

TEST_CASE("adding a refused DDL to spec.ddl.skip with a new restartToken restarts the runner without a new precheck") {
    World w;
    w.toRunning();
    w.finishPod("run", 1);
    w.step();
    REQUIRE(w.phase() == "Failed");
    w.job["spec"]["ddl"] = {{"skip", Json::array({"binlog.000002:4711"})}};
    w.job["spec"]["target"]["limits"] = {{"transactionSize", "16Mi"}};
    w.job["spec"]["restartToken"] = "skip-1";
    auto d = w.step();
    REQUIRE(w.creates() == 1);
    const Json pod = actionsOf<action::CreatePod>(d).at(0).pod;
    CHECK(pod["metadata"]["labels"]["tidemark.dev/role"] == "run");
    CHECK(hasArg(podArgs(d), "--restart"));
    // The runner reads the skip list from the manifest in its ConfigMap.
    const auto manifest = actionsOf<action::CreatePod>(d).at(0).configMap["data"]["job.yaml"].get<std::string>();
    CHECK(manifest.find("binlog.000002:4711") != std::string::npos);
}
