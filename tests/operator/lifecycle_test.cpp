// decide() walking one MigrationJob through whole paths of its lifecycle (operator/decide/
// states.h), reconcile by reconcile, the way the controller and the API server would move it.
#include <doctest/doctest.h>

#include <string>

#include "api/runner_contract.h"
#include "tests/operator/job_world.h"

using namespace tidemark::op;
using namespace tidemark::op::testing;
namespace contract = tidemark::api::contract;

namespace {

std::string message(const Json& condition) { return condition.value("message", ""); }

Json createdPod(const Decision& d) { return actionsOf<action::CreatePod>(d).at(0).pod; }

std::string roleOf(const Json& pod) { return pod["metadata"]["labels"]["tidemark.dev/role"]; }

}  // namespace

TEST_CASE(
    "lifecycle: precheck fails, a recheck passes, the job copies, replicates, pauses, resumes, "
    "and is deleted with its checkpoints") {
    World w;
    auto d = w.step(0);
    REQUIRE(w.phase() == "Prechecking");
    REQUIRE(w.creates() == 1);
    CHECK(roleOf(createdPod(d)) == names::kRolePrecheck);

    // The precheck finds a Failed item and exits 1.
    w.job["status"]["precheck"] = {{"items", {{{"name", "binlog_format"}, {"state", "Failed"}}}}};
    w.finishPod(names::kRolePrecheck, contract::kExitFailed, 1);
    d = w.step(1);
    CHECK(w.phase() == "PrecheckFailed");
    CHECK(condition(w.job, "Failed")["status"] == "True");
    CHECK(condition(w.job, "Failed")["reason"] == "PrecheckFailed");
    CHECK(hasEvent(d, "PrecheckFailed"));

    // The user fixes the source and asks for a recheck: a new precheck pod, the old items cleared.
    w.job["spec"]["precheck"]["recheck"] = "fixed";
    w.job["metadata"]["generation"] = 2;
    d = w.step(2);
    CHECK(w.phase() == "Prechecking");
    CHECK(w.creates() == 1);
    CHECK(w.deletes() == 1);
    CHECK(!w.job["status"]["precheck"].contains("items"));
    CHECK(hasEvent(d, "PrecheckStarted"));

    // It passes: the runner starts in the same reconcile.
    w.job["status"]["precheck"]["items"] = {{{"name", "binlog_format"}, {"state", "Pass"}}};
    w.finishPod(names::kRolePrecheck, contract::kExitOk, 3);
    d = w.step(3);
    CHECK(w.phase() == "Copying");
    CHECK(hasEvent(d, "PrecheckPassed"));
    CHECK(hasEvent(d, "Started"));
    CHECK(condition(w.job, "Failed")["status"] == "False");
    REQUIRE(w.creates() == 1);
    CHECK(roleOf(createdPod(d)) == names::kRoleRun);
    w.runPod(names::kRoleRun);
    w.step(4);
    CHECK(condition(w.job, "Ready")["status"] == "True");

    // The copy is done: Replicating, and caught up.
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["incremental"] = {{"lagSeconds", 0.5}, {"appliedPosition", "bin.1:4"}, {"rowsApplied", 7}};
    d = w.step(5);
    CHECK(w.phase() == "Replicating");
    CHECK(hasEvent(d, "FullCopyComplete"));
    CHECK(condition(w.job, "Synced")["status"] == "True");
    CHECK(w.job["status"]["progress"] == "lag 0.5s, 7 rows applied");

    // Paused: the runner goes, the precheck is not run again on resume.
    w.job["spec"]["paused"] = true;
    d = w.step(6);
    CHECK(w.phase() == "Paused");
    CHECK(w.pods.empty());
    CHECK(hasEvent(d, "Paused"));
    w.job["spec"]["paused"] = false;
    d = w.step(7);
    CHECK(w.phase() == "Replicating");
    CHECK(hasEvent(d, "Resumed"));
    REQUIRE(w.creates() == 1);
    CHECK(roleOf(createdPod(d)) == names::kRoleRun);
    w.runPod(names::kRoleRun);
    w.step(8);
    CHECK(condition(w.job, "Ready")["reason"] == "Replicating");
    CHECK(w.job["status"]["observedGeneration"] == 2);

    // Deleted: the runner stops, a cleanup pod forgets the checkpoints, then the job goes.
    w.job["metadata"]["deletionTimestamp"] = formatTime(at(9));
    d = w.step(9);
    CHECK(w.deletes() == 1);
    CHECK(hasEvent(d, "Stopping"));
    CHECK(actionsOf<action::PatchStatus>(d).empty());
    d = w.step(10);
    REQUIRE(w.creates() == 1);
    CHECK(podArgs(d).at(0) == "forget");
    CHECK(actionsOf<action::RemoveFinalizer>(d).empty());
    w.finishPod(names::kRoleCleanup, contract::kExitOk, 11);
    d = w.step(11);
    CHECK(hasEvent(d, "CheckpointsDeleted"));
    CHECK(actionsOf<action::RemoveFinalizer>(d).size() == 1);
}

TEST_CASE("lifecycle: a Full job's retryable exit is counted and backed off, then the retry succeeds") {
    World w;
    w.settings.retryBase = std::chrono::seconds(10);
    w.job["spec"]["type"] = "Full";
    w.toRunning();
    REQUIRE(w.phase() == "Copying");
    const std::string first = (*w.pod(names::kRoleRun))["metadata"]["name"];

    w.finishPod(names::kRoleRun, contract::kExitRetryable, 100);
    auto d = w.step(101);
    CHECK(w.phase() == "Copying");
    CHECK(w.creates() == 0);
    CHECK(condition(w.job, "Ready")["reason"] == "BackingOff");
    CHECK(message(condition(w.job, "Ready")).find("exited with code 3; retry 1 in 9s") != std::string::npos);
    CHECK(hasEvent(d, "BackingOff"));

    d = w.step(110);
    REQUIRE(w.creates() == 1);
    CHECK(hasEvent(d, "Retrying"));
    CHECK(w.job["status"]["restarts"] == 1);
    const Json retry = createdPod(d);
    CHECK(retry["metadata"]["name"] != first);
    CHECK(retry["metadata"]["annotations"]["tidemark.dev/retry"] == "1");

    w.runPod(names::kRoleRun);
    w.step(111);
    CHECK(condition(w.job, "Ready")["status"] == "True");
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.finishPod(names::kRoleRun, contract::kExitOk, 120);
    d = w.step(121);
    CHECK(w.phase() == "Succeeded");
    CHECK(condition(w.job, "Succeeded")["status"] == "True");
    CHECK(w.job["status"]["restarts"] == 1);
    CHECK(w.job["status"]["completionTime"] == formatTime(at(121)));
}

TEST_CASE("lifecycle: exit 1 or 2 fails the job, a restartToken runs it again with --restart to Replicating") {
    for (int code : {static_cast<int>(contract::kExitFailed), static_cast<int>(contract::kExitBadInput)}) {
        CAPTURE(code);
        World w;
        w.toRunning();
        if (code == contract::kExitFailed)
            w.job["status"]["lastError"] = {{"reason", "DuplicateKey"}, {"message", "duplicate key in shop.orders"}};
        w.finishPod(names::kRoleRun, code, 5);
        auto d = w.step(6);
        CHECK(w.phase() == "Failed");
        CHECK(hasEvent(d, "Failed"));
        const Json ready = condition(w.job, "Ready");
        CHECK(ready["reason"] == (code == contract::kExitFailed ? "DuplicateKey" : "BadInput"));
        CHECK(message(ready).find(code == contract::kExitFailed ? "shop.orders" : "exited with code 2") !=
              std::string::npos);
        CHECK(condition(w.job, "Failed")["status"] == "True");

        // Nothing happens on its own.
        d = w.step(500);
        CHECK(w.creates() == 0);
        CHECK(w.phase() == "Failed");

        // A new restartToken (a spec change the precheck ignores) restarts the runner.
        w.job["spec"]["restartToken"] = "again";
        w.job["metadata"]["generation"] = 2;
        d = w.step(501);
        REQUIRE(w.creates() == 1);
        CHECK(roleOf(createdPod(d)) == names::kRoleRun);
        CHECK(hasArg(podArgs(d), "--restart"));
        CHECK(hasEvent(d, "Restarting"));
        CHECK(w.job["status"]["restartToken"] == "again");
        w.runPod(names::kRoleRun);
        w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
        w.job["status"]["incremental"] = {{"lagSeconds", 1}, {"appliedPosition", "bin.1:4"}};
        w.step(502);
        CHECK(w.phase() == "Replicating");
        CHECK(condition(w.job, "Failed")["status"] == "False");
        CHECK(condition(w.job, "Ready")["status"] == "True");
    }
}

TEST_CASE("lifecycle: an OOM-killed runner is retried and the job goes on to Replicating") {
    World w;
    w.toRunning();
    Json& run = *w.pod(names::kRoleRun);
    run = makePod(run, "Failed", 137, at(10));
    run["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] = "OOMKilled";
    w.step(10);
    CHECK(w.phase() == "Copying");
    CHECK(condition(w.job, "Ready")["reason"] == "OOMKilled");
    CHECK(w.creates() == 0);

    auto d = w.step(20);
    REQUIRE(w.creates() == 1);
    CHECK(createdPod(d)["metadata"]["annotations"]["tidemark.dev/retry"] == "1");
    CHECK(w.job["status"]["restarts"] == 1);

    w.runPod(names::kRoleRun);
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["incremental"] = {{"lagSeconds", 2}, {"appliedPosition", "bin.1:4"}};
    d = w.step(21);
    CHECK(w.phase() == "Replicating");
    CHECK(condition(w.job, "Ready")["status"] == "True");
    CHECK(w.job["status"]["lastError"]["reason"] == "OOMKilled");  // the last error that slowed the job
    CHECK(w.creates() == 0);
}

TEST_CASE("lifecycle: an invalid spec.runnerPod is Failed naming the field, and runs once fixed") {
    const Json invalid = {{"resourcesPerCapacityUnit", {{"cpuLimit", "lots"}}}};
    auto checkRefused = [&](World& w, int now) {
        auto d = w.step(now);
        CHECK(w.phase() == "Failed");
        const Json validated = condition(w.job, "Validated");
        CHECK(validated["status"] == "False");
        CHECK(validated["reason"] == "InvalidSpec");
        CHECK(message(validated).find("spec.runnerPod.resourcesPerCapacityUnit.cpuLimit") == 0);
        CHECK(hasEvent(d, "InvalidSpec"));
        d = w.step(now + 1);
        CHECK(!hasEvent(d, "InvalidSpec"));  // once per change of the condition
        CHECK(w.creates() == 0);
    };
    SUBCASE("a new job prechecks once the field is fixed") {
        World w;
        w.job["spec"]["runnerPod"] = invalid;
        checkRefused(w, 0);
        w.job["spec"]["runnerPod"]["resourcesPerCapacityUnit"]["cpuLimit"] = "2";
        w.job["metadata"]["generation"] = 2;
        auto d = w.step(2);
        CHECK(w.phase() == "Prechecking");
        CHECK(condition(w.job, "Validated")["status"] == "True");
        REQUIRE(w.creates() == 1);
        CHECK(createdPod(d)["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "4");
    }
    SUBCASE("a running job stops its runner and, fixed, runs again without a restartToken") {
        World w;
        w.toRunning();
        w.job["spec"]["runnerPod"] = invalid;
        w.job["metadata"]["generation"] = 2;
        checkRefused(w, 1);
        CHECK(w.pod(names::kRoleRun) == nullptr);
        CHECK(w.job["status"]["stage"] == "spec");
        // spec.runnerPod is no precheck input: the passed precheck holds.
        w.job["spec"]["runnerPod"]["resourcesPerCapacityUnit"]["cpuLimit"] = "2";
        w.job["metadata"]["generation"] = 3;
        auto d = w.step(3);
        REQUIRE(w.creates() == 1);
        const Json pod = createdPod(d);
        CHECK(roleOf(pod) == names::kRoleRun);
        CHECK(pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "4");
        CHECK(w.phase() == "Copying");
        CHECK(condition(w.job, "Validated")["status"] == "True");
    }
}

TEST_CASE("lifecycle: a precheck the runner refuses as bad input (exit 2) is PrecheckFailed saying so") {
    World w;
    w.step(0);
    w.finishPod(names::kRolePrecheck, contract::kExitBadInput, 1);
    w.step(1);
    CHECK(w.phase() == "PrecheckFailed");
    const Json passed = condition(w.job, "PrecheckPassed");
    CHECK(passed["status"] == "False");
    CHECK(message(passed).find("the runner refused the job (exit 2, bad input)") != std::string::npos);
    CHECK(w.pod(names::kRolePrecheck) != nullptr);  // kept for kubectl logs
}

TEST_CASE("lifecycle: a job deleted with an invalid spec.runnerPod is still cleaned up and let go") {
    World w;
    w.toRunning();
    w.job["spec"]["runnerPod"] = {{"labels", {{"tidemark.dev/job", "x"}}}};
    w.job["metadata"]["generation"] = 2;
    w.step(1);
    REQUIRE(w.phase() == "Failed");
    w.job["metadata"]["deletionTimestamp"] = "2026-01-01T00:10:00Z";
    auto d = w.step(2);  // no runner left: the cleanup pod, shaped by the operator's template alone
    REQUIRE(w.creates() == 1);
    const Json pod = createdPod(d);
    CHECK(roleOf(pod) == names::kRoleCleanup);
    CHECK(pod["metadata"]["labels"]["tidemark.dev/job"] == "shop");
    w.finishPod(names::kRoleCleanup, 0, 3);
    d = w.step(3);
    CHECK(!actionsOf<action::RemoveFinalizer>(d).empty());
}

namespace {

// The runner pod that runs the cutover writes its report into status.cutover and exits.
void reportCutover(World& w, const std::string& state, int exitCode, int when) {
    w.job["status"]["cutover"] = {{"state", state},
                                  {"stopPosition", "mysql-bin.000003:4711"},
                                  {"gtidSet", ""},
                                  {"rowsCompared", 1200},
                                  {"differences", Json::array()},
                                  {"reasons", state == "Safe" ? Json::array() : Json::array({"1 row differs"})}};
    w.finishPod(names::kRoleRun, exitCode, when);
}

void toReplicating(World& w) {
    w.toRunning();
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["incremental"] = {{"lagSeconds", 0.5}, {"rowsApplied", 10}, {"appliedPosition", "bin.1:4"}};
    w.step(1);
    REQUIRE(w.phase() == "Replicating");
}

}  // namespace

TEST_CASE("lifecycle: a cutover restarts the runner to stop at the position, reports Safe and holds the job there") {
    World w;
    toReplicating(w);
    const std::string replicating = w.pod(names::kRoleRun)->at("metadata").at("name");
    w.job["spec"]["cutover"] = {{"token", "switch-1"}, {"stopAt", "now"}};
    w.job["metadata"]["generation"] = 2;
    auto d = w.step(2);  // the replicating runner stops
    CHECK(w.pod(names::kRoleRun) == nullptr);
    CHECK(w.job["status"]["stage"] == "cutover");
    CHECK(condition(w.job, "CutoverReady")["reason"] == "Starting");
    d = w.step(3);  // the cutover runner starts
    REQUIRE(w.creates() == 1);
    const Json pod = createdPod(d);
    CHECK(pod["metadata"]["name"] != replicating);
    CHECK(hasArg(podArgs(d), "--cutover-at"));
    CHECK(hasArg(podArgs(d), "now"));
    CHECK(pod["metadata"]["annotations"][names::kAnnotationCutover] == "switch-1");
    CHECK(hasEvent(d, "CutoverStarted"));
    CHECK(w.job["status"].value("restarts", 0) == 0);  // asked for, not a failure
    w.runPod(names::kRoleRun);
    w.job["status"]["cutover"] = {{"state", "CatchingUp"}};
    w.step(4);
    CHECK(w.phase() == "Replicating");
    CHECK(w.job["status"]["stage"] == "cutover");
    CHECK(condition(w.job, "CutoverReady")["reason"] == "CatchingUp");
    reportCutover(w, "Safe", 0, 5);
    d = w.step(5);
    CHECK(hasEvent(d, "CutoverSafe"));
    CHECK(w.job["status"]["cutoverToken"] == "switch-1");
    CHECK(condition(w.job, "CutoverReady")["status"] == "True");
    CHECK(message(condition(w.job, "CutoverReady")).find("mysql-bin.000003:4711") != std::string::npos);
    // Held at the stop position: no runner, nothing applied that the source gets afterwards.
    d = w.step(6);
    CHECK(w.creates() == 0);
    CHECK(w.pod(names::kRoleRun) == nullptr);
    CHECK(w.phase() == "Paused");
    CHECK(w.job["status"]["stage"] == "cutover");
    CHECK(condition(w.job, "Ready")["reason"] == "CutOver");
    CHECK(condition(w.job, "Failed")["status"] == "False");
    // Continue afterwards: replication resumes from the checkpoint.
    w.job["spec"]["cutover"]["afterwards"] = "Continue";
    w.job["metadata"]["generation"] = 3;
    d = w.step(7);
    REQUIRE(w.creates() == 1);
    CHECK(!hasArg(podArgs(d), "--cutover-at"));
    CHECK(w.phase() == "Replicating");
}

TEST_CASE("lifecycle: an Unsafe cutover says why, and a new token checks again") {
    World w;
    toReplicating(w);
    w.job["spec"]["cutover"] = {{"token", "t1"}};
    w.job["metadata"]["generation"] = 2;
    w.step(2);
    w.step(3);
    w.runPod(names::kRoleRun);
    reportCutover(w, "Unsafe", 1, 4);
    auto d = w.step(4);
    CHECK(hasEvent(d, "CutoverUnsafe"));
    const Json ready = condition(w.job, "CutoverReady");
    CHECK(ready["status"] == "False");
    CHECK(ready["reason"] == "Unsafe");
    CHECK(message(ready).find("1 row differs") != std::string::npos);
    w.step(5);
    CHECK(w.phase() == "Paused");  // not Failed: the job is fine, the switch is not safe yet
    CHECK(condition(w.job, "Ready")["reason"] == "CutoverUnsafe");
    w.job["spec"]["cutover"]["token"] = "t2";
    w.job["metadata"]["generation"] = 3;
    d = w.step(6);
    REQUIRE(w.creates() == 1);
    CHECK(createdPod(d)["metadata"]["annotations"][names::kAnnotationCutover] == "t2");
}

TEST_CASE("lifecycle: a cutover asked for during the copy waits for the copy to finish") {
    World w;
    w.toRunning();
    REQUIRE(w.phase() == "Copying");
    const std::string copying = w.pod(names::kRoleRun)->at("metadata").at("name");
    w.job["spec"]["cutover"] = {{"token", "early"}};
    w.job["metadata"]["generation"] = 2;
    w.step(1);
    CHECK(w.pod(names::kRoleRun)->at("metadata").at("name") == copying);  // the copy goes on
    CHECK(condition(w.job, "CutoverReady")["reason"] == "WaitingForCopy");
    w.job["status"]["fullCopy"] = {{"percent", 100}, {"done", true}};
    w.job["status"]["incremental"] = {{"lagSeconds", 0.5}, {"appliedPosition", "bin.1:4"}};
    w.step(2);
    CHECK(w.pod(names::kRoleRun) == nullptr);  // now restarted for the cutover
}

TEST_CASE("stage: what the runner does within Replicating, and where a stopped job was") {
    World w;
    toReplicating(w);
    CHECK(w.job["status"]["stage"] == "replay");
    w.job["status"]["incremental"]["safeMode"] = true;
    w.step(2);
    CHECK(w.job["status"]["stage"] == "safe-mode");
    w.job["status"]["incremental"]["safeMode"] = false;
    w.job["status"]["incremental"]["stalled"] = {{"reason", "TargetUnavailable"}, {"message", "down"}};
    w.step(3);
    CHECK(w.job["status"]["stage"] == "stalled");
    w.job["status"]["incremental"].erase("stalled");
    w.step(4);
    w.job["spec"]["paused"] = true;
    w.step(5);
    CHECK(w.phase() == "Paused");
    CHECK(w.job["status"]["stage"] == "replay");  // where it resumes
}
