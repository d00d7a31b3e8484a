// Replay keeps values exact, by the copy's rule: a value the target would store changed
// (truncated, clamped, not a member of its ENUM) stops replay with one line naming the table,
// the source positions and the target's warning, and the target keeps its rows as they were;
// a non-strict source's legacy values (zero dates, ENUM '') still replay exactly.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// The source's definition of `table` in `database`, and a narrower one on the target.
void narrowerTarget(const std::string& database, const std::string& table, const std::string& sourceColumns,
                    const std::string& targetColumns) {
    sharedSource().exec("CREATE TABLE " + database + "." + table + " (" + sourceColumns + ")");
    sharedTarget().exec("CREATE TABLE " + database + "." + table + " (" + targetColumns + ")");
}

// Replays from `start` and returns the error replay stopped with (FAILs when it did not stop).
std::string replayError(const std::string& job, const std::string& database, const replay::Position& start,
                        int workers) {
    try {
        catchUp(jobFor(job, {database}), startingAt(start, workers));
    } catch (const replay::ReplayError& e) {
        CHECK_FALSE(e.retryable());
        MESSAGE("replay stopped: " << std::string(e.what()));
        return e.what();
    }
    FAIL("replay applied a value the target changes instead of stopping");
    return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a_value_the_target_would_truncate_stops_replay_naming_table_position_and_warning") {
    freshDatabase("sm_trunc");
    narrowerTarget("sm_trunc", "t", "id INT PRIMARY KEY, v VARCHAR(10), w INT",
                   "id INT PRIMARY KEY, v VARCHAR(3), w INT");
    auto s = sharedSource().connectRoot();
    s.execute("INSERT INTO sm_trunc.t VALUES (1, 'abc', 1), (2, 'de', 2)");
    sharedTarget().exec("INSERT INTO sm_trunc.t VALUES (1, 'abc', 1), (2, 'de', 2)");
    auto t = sharedTarget().connectRoot();
    const auto before = tableRows(t, "sm_trunc", "t");
    const auto start = sourceNow();
    // One source transaction: fitting changes around the one that does not fit.
    s.execute("START TRANSACTION");
    s.execute("INSERT INTO sm_trunc.t VALUES (3, 'ok', 3)");
    s.execute("UPDATE sm_trunc.t SET v = 'abcdefgh', w = 10 WHERE id = 1");
    s.execute("UPDATE sm_trunc.t SET w = 20 WHERE id = 2");
    s.execute("COMMIT");

    // One worker: the transaction is one target transaction (with more, its other shares may commit).
    const std::string error = replayError("sm-trunc", "sm_trunc", start, 1);
    CHECK(contains(error, "`sm_trunc`.`t`"));
    CHECK(contains(error, start.text()));
    CHECK(contains(error, "column 'v'"));
    CHECK(contains(error, "the target changed a value"));
    CHECK(error.find('\n') == std::string::npos);
    // Nothing of the transaction landed: not the cut value, not its neighbours.
    CHECK(tableRows(t, "sm_trunc", "t") == before);
    CHECK(t.scalar("SELECT v FROM sm_trunc.t WHERE id = 1") == std::optional<std::string>("abc"));
}

TEST_CASE("a_value_the_target_would_clamp_stops_replay_and_the_row_stays_as_it_was") {
    freshDatabase("sm_clamp");
    narrowerTarget("sm_clamp", "t", "id INT PRIMARY KEY, n INT", "id INT PRIMARY KEY, n TINYINT");
    narrowerTarget("sm_clamp", "bag", "a INT, n INT", "a INT, n TINYINT");  // no key
    auto s = sharedSource().connectRoot();
    s.execute("INSERT INTO sm_clamp.t VALUES (1, 5)");
    sharedTarget().exec("INSERT INTO sm_clamp.t VALUES (1, 5)");
    const auto start = sourceNow();
    s.execute("UPDATE sm_clamp.t SET n = 300 WHERE id = 1");

    const std::string error = replayError("sm-clamp", "sm_clamp", start, 3);
    CHECK(contains(error, "`sm_clamp`.`t`"));
    CHECK(contains(error, "column 'n'"));
    CHECK(contains(error, start.text()));
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT n FROM sm_clamp.t WHERE id = 1") == std::optional<std::string>("5"));

    // A keyless table, with an insert.
    s.execute("DELETE FROM sm_clamp.t");
    sharedTarget().exec("DELETE FROM sm_clamp.t");
    const auto later = sourceNow();
    s.execute("INSERT INTO sm_clamp.bag VALUES (1, 1), (2, -1000)");
    const std::string bagError = replayError("sm-clamp-bag", "sm_clamp", later, 2);
    CHECK(contains(bagError, "`sm_clamp`.`bag`"));
    CHECK(contains(bagError, later.text()));
    CHECK(t.scalar("SELECT COUNT(*) FROM sm_clamp.bag") == std::optional<std::string>("0"));
}

TEST_CASE("an_enum_member_the_target_lacks_stops_replay") {
    freshDatabase("sm_enum");
    narrowerTarget("sm_enum", "t", "id INT PRIMARY KEY, e ENUM('a','b','c')", "id INT PRIMARY KEY, e ENUM('a','b')");
    const auto start = sourceNow();
    sharedSource().exec("INSERT INTO sm_enum.t VALUES (1, 'a'), (2, 'c')");
    const std::string error = replayError("sm-enum", "sm_enum", start, 1);
    CHECK(contains(error, "`sm_enum`.`t`"));
    CHECK(contains(error, "column 'e'"));
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM sm_enum.t") == std::optional<std::string>("0"));
}

TEST_CASE("legacy_zero_dates_and_enum_blanks_still_replay_exactly") {
    freshDatabase("sm_legacy");
    const std::string columns =
        "id INT PRIMARY KEY, e ENUM('a','b') NOT NULL, d DATE NOT NULL DEFAULT '0000-00-00', "
        "dt DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00', v VARCHAR(5)";
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) {
        auto c = server->connectRoot();
        c.execute("SET SESSION sql_mode = ''");
        c.execute("CREATE TABLE sm_legacy.t (" + columns + ")");
        c.execute("CREATE TABLE sm_legacy.n (e ENUM('a','b'), d DATE)");
    }
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    s.execute("SET SESSION sql_mode = ''");
    // Many rows per statement, so the ENUM '' warnings come from several statements of a piece.
    std::string rows;
    for (int i = 1; i <= 300; ++i)
        rows += std::string(i > 1 ? "," : "") + "(" + std::to_string(i) + ", " + (i % 3 ? "'zz'" : "'a'") +
            ", '0000-00-00', '2024-00-10 00:00:00', 'v')";
    s.execute("INSERT INTO sm_legacy.t VALUES " + rows);
    s.execute("UPDATE sm_legacy.t SET e = 'nope', d = '2024-02-30' WHERE id % 3 = 0");
    s.execute("UPDATE sm_legacy.t SET v = 'w' WHERE id <= 50");
    s.execute("DELETE FROM sm_legacy.t WHERE id > 250");
    s.execute("INSERT INTO sm_legacy.n VALUES ('', '0000-00-00'), ('', '0000-00-00'), ('b', '2024-00-00')");
    s.execute("DELETE FROM sm_legacy.n WHERE e = '' LIMIT 1");
    CHECK(s.scalar("SELECT COUNT(*) FROM sm_legacy.t WHERE e = ''") == std::optional<std::string>("250"));
    RecordingSink sink;
    catchUp(jobFor("sm-legacy", {"sm_legacy"}), startingAt(start, 2), &sink);
    checkSame("sm_legacy", "t");
    checkSame("sm_legacy", "n");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM sm_legacy.t WHERE e = '' AND e + 0 = 0") == std::optional<std::string>("250"));
}
