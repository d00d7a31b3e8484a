// A DDL that ran on the target just before a crash, whose checkpoint was not written, is run
// again after the restart and must be recognized as applied, also when the batch before it left
// some worker's checkpoint row behind (one row change: the other shares are empty), which is the
// usual case with two or more workers. Each DDL kind is crashed after once; replay goes on and the
// target ends equal to the source, rows and definitions.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/fault_injection.h"
#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

struct Faults {
    Faults() { db::clearFaults(); }
    ~Faults() { db::clearFaults(); }
};

// Tables, columns and indexes of `database`, one line each, sorted.
std::vector<std::string> definitions(db::Connection& c, const std::string& database) {
    std::vector<std::string> out;
    auto cols = c.query(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
        "TABLE_SCHEMA = " +
        c.quote(database));
    for (size_t i = 0; i < cols.size(); ++i)
        out.push_back("column " + cols.text(i, "TABLE_NAME") + "." + cols.text(i, "COLUMN_NAME") + " " +
                      cols.text(i, "COLUMN_TYPE"));
    auto idx =
        c.query("SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
                c.quote(database));
    for (size_t i = 0; i < idx.size(); ++i)
        out.push_back("index " + idx.text(i, "TABLE_NAME") + "." + idx.text(i, "INDEX_NAME"));
    std::sort(out.begin(), out.end());
    return out;
}

void crashAfterEachDdl(const std::string& database, int workers) {
    freshDatabase(database);
    for (DbServer* server : {&sharedSource(), &sharedTarget()})
        server->exec("CREATE TABLE " + database + ".t (id INT PRIMARY KEY, a INT)");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    // Each DDL, and a piece of the statement replay sends for it (ddl.h rewrites some).
    const std::string u = db::qualified(database, "u"), u2 = db::qualified(database, "u2");
    const std::vector<std::pair<std::string, std::string>> ddl = {
        {"ALTER TABLE " + database + ".t ADD COLUMN b INT DEFAULT 5", "ADD COLUMN b INT DEFAULT 5"},
        {"ALTER TABLE " + database + ".t ADD INDEX a_idx (a)", "ADD INDEX a_idx (a)"},
        {"CREATE TABLE " + database + ".u (id INT PRIMARY KEY, x INT)", "u (id INT PRIMARY KEY, x INT)"},
        {"RENAME TABLE " + database + ".u TO " + database + ".u2", u + " TO " + u2},
        {"ALTER TABLE " + database + ".t DROP INDEX a_idx", "DROP INDEX a_idx"},
        {"ALTER TABLE " + database + ".t DROP COLUMN b", "DROP COLUMN b"},
        {"DROP TABLE " + database + ".u2", "DROP TABLE IF EXISTS " + u2},
    };
    Faults faults;
    for (size_t i = 0; i < ddl.size(); ++i) {
        // One row change right before the DDL: its batch has rows for share 0 only.
        s.execute("INSERT INTO " + database + ".t (id, a) VALUES (" + std::to_string(i + 1) + ", 7)");
        s.execute(ddl[i].first);
        // The DDL runs on the target, then its answer is lost: the checkpoint after it is never
        // written, as when the runner dies right after the DDL.
        db::InjectedFault f;
        f.role = "target";
        f.code = 2013;
        f.match = ddl[i].second;
        f.afterExecute = true;
        db::injectFault(f);
    }
    s.execute("INSERT INTO " + database + ".t (id, a) VALUES (100, 100), (101, 101)");
    s.execute("UPDATE " + database + ".t SET a = a + 1");

    // runReplay restarts its session after each lost answer, as a restarted runner would.
    RecordingSink sink;
    try {
        catchUp(jobFor("ddl-applied-" + database, {database}), startingAt(start, workers), &sink);
    } catch (const replay::ReplayError& e) {
        FAIL("replay stopped: " << std::string(e.what()));
    }
    CHECK(db::faultsFired() == static_cast<int>(ddl.size()));
    int recognized = 0;
    for (const auto& note : sink.notes())
        if (note.find("already applied") != std::string::npos) ++recognized;
    CHECK(recognized >= static_cast<int>(ddl.size()) - 2);  // CREATE/DROP may run again harmlessly (IF [NOT] EXISTS)
    checkSame(database, "t");
    auto t = sharedTarget().connectRoot();
    CHECK(definitions(s, database) == definitions(t, database));
}

}  // namespace

TEST_CASE("a_ddl_run_before_a_crash_without_its_checkpoint_is_recognized_with_2_workers") {
    crashAfterEachDdl("dda2", 2);
}

TEST_CASE("a_ddl_run_before_a_crash_without_its_checkpoint_is_recognized_with_4_workers") {
    crashAfterEachDdl("dda4", 4);
}
