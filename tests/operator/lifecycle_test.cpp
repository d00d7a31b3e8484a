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
    SUBCASE("a running job stops its runner; fixed, a restartToken runs it again") {
        World w;
        w.toRunning();
        w.job["spec"]["runnerPod"] = invalid;
        w.job["metadata"]["generation"] = 2;
        checkRefused(w, 1);
        CHECK(w.pod(names::kRoleRun) == nullptr);
        // spec.runnerPod is no precheck input: the passed precheck holds.
        w.job["spec"]["runnerPod"]["resourcesPerCapacityUnit"]["cpuLimit"] = "2";
        w.job["spec"]["restartToken"] = "fixed";
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
