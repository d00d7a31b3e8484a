// The cutover on real servers (MariaDB and MySQL sources): under a live load that then stops, while
// replay lags behind a backlog, with a difference injected into the target, and with the target's
// AUTO_INCREMENT counter behind the source's.
#include "tests/cutover/cutover_fixture.h"

#include <doctest/doctest.h>

#include <future>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// SET GLOBAL read_only = ON on the shared source for the test's duration.
struct ReadOnlySource {
    ReadOnlySource() { sharedSource().exec("SET GLOBAL read_only = ON"); }
    ~ReadOnlySource() { sharedSource().exec("SET GLOBAL read_only = OFF"); }
};

std::string count(const DbServer& server, const std::string& table) {
    return server.connectRoot().scalar("SELECT COUNT(*) FROM " + table).value_or("");
}

bool hasDifference(const cutover::CutoverReport& report, const std::string& table, const std::string& key,
                   const std::string& problem) {
    for (const auto& d : report.differences)
        if (d.table == table && d.key == key && d.problem == problem) return true;
    return false;
}

// A job on `database` whose replay has caught up with the source once (it has a checkpoint).
api::MigrationJob replicatingJob(const std::string& name, const std::string& database) {
    auto job = jobFor(name, {database});
    auto fromNow = startingAt(sourceNow());
    fromNow.start.reset();  // starting "now", replay checkpoints its start before anything else
    catchUp(job, fromNow);
    return job;
}

}  // namespace

TEST_CASE("a cutover under load waits for the writes to stop, and its Safe report matches a row-for-row comparison") {
    createLoadTables("co_load");
    auto job = jobFor("cutover-load", {"co_load"});
    SourceLoad load("co_load");
    {
        // The job replicates under the load for a while, as a running job does until the cutover.
        BackgroundReplay replay(job, startingAt(sourceNow()));
        std::this_thread::sleep_for(std::chrono::seconds(2));
        replay.stop();
    }
    CutoverSink sink;
    const auto options = quickCutover(startingAt(sourceNow()));
    auto running = std::async(std::launch::async, [&] { return cutoverNow(job, options, sink); });
    const int writtenWhenAsked = load.transactions();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    load.stop();  // the application stops writing
    const auto report = running.get();
    INFO(cutover::renderTable(report));

    CHECK(load.transactions() > writtenWhenAsked);  // the cutover waited for writes it was asked during
    CHECK(report.safe());
    CHECK(report.reasons.empty());
    CHECK(sink.states() == std::vector<std::string>{"Waiting", "CatchingUp", "Validating", "Safe"});
    CHECK(sink.last()["state"] == "Safe");
    for (const char* step : {"cutover: waiting", "cutover: replaying up to", "cutover: comparing", "cutover: SAFE"})
        CHECK(sink.noted(step));
    const auto now = sourceNow();
    CHECK(report.stopPosition == now);
    REQUIRE(report.appliedPosition);
    CHECK(replay::comparePositions(*report.appliedPosition, now) >= 0);
    CHECK(checkNamed(report, "source_writes_stopped").state == precheck::State::Pass);
    CHECK(checkNamed(report, "replay_caught_up").state == precheck::State::Pass);

    // Independently: every table the same on both servers, row for row, duplicates counted.
    std::size_t sourceRows = 0;
    for (const char* table : {"k", "n"}) {
        const auto source = digestOf(sharedSource(), "co_load", table);
        CHECK_MESSAGE(source == digestOf(sharedTarget(), "co_load", table), table);
        checkSame("co_load", table);
        sourceRows += source.rows;
    }
    CHECK(report.rowsCompared == sourceRows);
    CHECK(count(sharedTarget(), "co_load.k WHERE id = " + std::to_string(load.transactions())) == "1");
    MESSAGE("cutover under load (" << sourceRows << " rows compared) took " << report.seconds << " s");
}

TEST_CASE("a cutover asked while replay lags behind a backlog waits, catches up, and is Safe") {
    freshDatabase("co_lag");
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->exec("CREATE TABLE co_lag.big (id INT PRIMARY KEY, v VARCHAR(40), n DOUBLE)");
    auto job = replicatingJob("cutover-lag", "co_lag");
    {
        auto c = sharedSource().connectRoot();
        c.execute(sharedSource().isMySql() ? "SET SESSION cte_max_recursion_depth = 10000"
                                           : "SET SESSION max_recursive_iterations = 10000");
        for (int batch = 0; batch < 20; ++batch)
            c.execute(
                "INSERT INTO co_lag.big WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE "
                "seq < 1000) SELECT " +
                std::to_string(batch * 1000) + " + seq, CONCAT('row ', seq), seq / 7 FROM s");
    }
    REQUIRE(count(sharedTarget(), "co_lag.big") == "0");  // 20000 rows behind
    ReadOnlySource readOnly;                              // writes stopped the other way: read_only
    CutoverSink sink;
    const auto report = cutoverNow(job, quickCutover({}), sink);
    INFO(cutover::renderTable(report));

    CHECK(report.safe());
    CHECK(sink.states() == std::vector<std::string>{"Waiting", "CatchingUp", "Validating", "Safe"});
    CHECK(count(sharedTarget(), "co_lag.big") == "20000");
    CHECK(report.rowsCompared == 20000);
    CHECK(checkNamed(report, "source_writes_stopped").message.find("read-only") != std::string::npos);
    CHECK(digestOf(sharedSource(), "co_lag", "big") == digestOf(sharedTarget(), "co_lag", "big"));
    MESSAGE("cutover behind a 20000-row backlog took " << report.seconds << " s");
}

TEST_CASE("a difference injected into the target makes the cutover Unsafe, naming the table and the key") {
    freshDatabase("co_diff");
    for (DbServer* s : {&sharedSource(), &sharedTarget()}) {
        s->exec("CREATE TABLE co_diff.k (id INT PRIMARY KEY, v INT, s VARCHAR(20))");
        s->exec("CREATE TABLE co_diff.n (a INT, b VARCHAR(20))");  // no key
    }
    auto job = replicatingJob("cutover-diff", "co_diff");
    {
        auto c = sharedSource().connectRoot();
        std::string rows;
        for (int id = 1; id <= 500; ++id)
            rows +=
                (rows.empty() ? "" : ",") + ("(" + std::to_string(id) + ", " + std::to_string(id * 100 + 7) + ", 'x')");
        c.execute("INSERT INTO co_diff.k VALUES " + rows);
        c.execute("INSERT INTO co_diff.n VALUES (1, 'dup'), (1, 'dup'), (2, 'one')");
    }
    CutoverSink first;
    REQUIRE(cutoverNow(job, quickCutover({}), first).safe());

    sharedTarget().exec("UPDATE co_diff.k SET v = v + 1 WHERE id = 42");
    sharedTarget().exec("DELETE FROM co_diff.k WHERE id = 77");
    sharedTarget().exec("INSERT INTO co_diff.n VALUES (1, 'dup')");  // a third duplicate where the source has two
    CutoverSink sink;
    const auto report = cutoverNow(job, quickCutover({}), sink);
    const auto json = cutover::renderJson(report);
    INFO(json);

    CHECK(report.state == cutover::Phase::Unsafe);
    CHECK(sink.last()["state"] == "Unsafe");
    CHECK(hasDifference(report, "`co_diff`.`k`", "id=42", "differs"));
    CHECK(hasDifference(report, "`co_diff`.`k`", "id=77", "missing on the target"));
    bool keyless = false;
    for (const auto& d : report.differences) keyless = keyless || (d.table == "`co_diff`.`n`" && d.key.empty());
    CHECK(keyless);
    REQUIRE_FALSE(report.reasons.empty());
    CHECK(report.reasons.front().find("`co_diff`.`k` id=42") != std::string::npos);
    // Keys only: neither the source's value of row 42 nor the target's appears anywhere.
    CHECK(json.find("4207") == std::string::npos);
    CHECK(json.find("4208") == std::string::npos);
    // The switch checks themselves pass: only the data differs.
    for (const auto& item : report.checks) CHECK_MESSAGE(item.state == precheck::State::Pass, item.name);
}

TEST_CASE(
    "a cutover with the target AUTO_INCREMENT below the source fails auto_increment, naming the table and both "
    "values") {
    freshDatabase("co_ai");
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->exec("CREATE TABLE co_ai.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    auto job = replicatingJob("cutover-ai", "co_ai");
    auto values = [](int n) {
        std::string out;
        for (int i = 1; i <= n; ++i) out += (i > 1 ? ",(" : "(") + std::string("NULL, ") + std::to_string(i) + ")";
        return out;
    };
    {
        auto c = sharedSource().connectRoot();
        c.execute("INSERT INTO co_ai.t VALUES " + values(100));  // ids 1-100: both servers' next value 101
        // Ids the source hands out and takes back never reach the binlog: its counter moves on alone.
        c.execute("START TRANSACTION");
        c.execute("INSERT INTO co_ai.t VALUES " + values(50));
        c.execute("ROLLBACK");
    }
    CutoverSink sink;
    const auto report = cutoverNow(job, quickCutover({}), sink);
    INFO(cutover::renderTable(report));
    const auto item = checkNamed(report, "auto_increment");
    CHECK(report.state == cutover::Phase::Unsafe);
    CHECK(item.state == precheck::State::Failed);
    CHECK(item.message.find("`co_ai`.`t`: target 101 < source 151") != std::string::npos);
    CHECK(item.instruction == "run on the target: ALTER TABLE `co_ai`.`t` AUTO_INCREMENT = 151");
    CHECK(report.differences.empty());  // the rows themselves match

    // The instruction fixes it.
    sharedTarget().exec("ALTER TABLE `co_ai`.`t` AUTO_INCREMENT = 151");
    CutoverSink again;
    const auto fixed = cutoverNow(job, quickCutover({}), again);
    CHECK(fixed.safe());
    CHECK(checkNamed(fixed, "auto_increment").state == precheck::State::Pass);
}

TEST_CASE(
    "a cutover stops at a FILE:POS or GTID set asked for, and is Unsafe at once for one the source never reached") {
    freshDatabase("co_stop");
    for (DbServer* s : {&sharedSource(), &sharedTarget()}) s->exec("CREATE TABLE co_stop.t (id INT PRIMARY KEY)");
    auto job = replicatingJob("cutover-stop", "co_stop");
    sharedSource().exec("INSERT INTO co_stop.t VALUES (1), (2), (3)");
    const auto now = sourceNow();

    auto beyond = quickCutover({});
    beyond.stopAt = cutover::parseStopRequest(now.file + ":" + std::to_string(now.pos + 1000000));
    CutoverSink sink;
    const auto never = cutoverNow(job, beyond, sink);
    CHECK(never.state == cutover::Phase::Unsafe);
    REQUIRE(never.reasons.size() == 1);
    CHECK(never.reasons[0].find("is past the source's position " + now.text()) != std::string::npos);
    CHECK(sink.states() == std::vector<std::string>{"Waiting", "Unsafe"});  // no replay, no validation

    auto exact = quickCutover({});
    exact.stopAt = cutover::parseStopRequest(sharedSource().isMySql() ? now.gtidSet : now.text());
    CutoverSink again;
    const auto reached = cutoverNow(job, exact, again);
    INFO(cutover::renderTable(reached));
    CHECK(reached.safe());
    CHECK(reached.stopAt == exact.stopAt.text());
    CHECK(count(sharedTarget(), "co_stop.t") == "3");
}

TEST_CASE("a cutover whose last source events change nothing selected is caught up (no false Unsafe)") {
    freshDatabase("co_tail");
    freshDatabase("co_other");
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->exec("CREATE TABLE co_tail.t (id INT PRIMARY KEY, v INT)");
    sharedSource().exec("CREATE TABLE co_other.u (id INT PRIMARY KEY)");
    auto job = replicatingJob("cutover-tail", "co_tail");
    sharedSource().exec("INSERT INTO co_tail.t VALUES (1, 10), (2, 20)");
    // The binlog's last events are another schema's: replay's checkpoint stays at the last
    // selected change, behind the stop position.
    sharedSource().exec("INSERT INTO co_other.u VALUES (1), (2), (3)");
    CutoverSink sink;
    const auto report = cutoverNow(job, quickCutover({}), sink);
    INFO(cutover::renderTable(report));
    CHECK(report.safe());
    CHECK(checkNamed(report, "replay_caught_up").state == precheck::State::Pass);
    CHECK(count(sharedTarget(), "co_tail.t") == "2");
    CHECK(digestOf(sharedSource(), "co_tail", "t") == digestOf(sharedTarget(), "co_tail", "t"));
}
