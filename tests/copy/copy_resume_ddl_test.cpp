// Issue 11: a full copy resumed after the source changed, handing over to replay (the chaos
// suite's reductions, tests/chaos/copy_resume_repro.sh). Run 1 stops right after its snapshot
// S1, the source changes, run 2 resumes at a new snapshot S2.
//  - keyless: rows written between S1 and S2 to a table without a key that run 2 copies at S2
//    must not reach the target twice (replay starts at S1; FullCopyResult::tableStarts and
//    replay::TableStarts drop the table's changes up to S2).
//  - ADD COLUMN between the runs: run 2 recreates the unfinished table from its new definition
//    instead of failing on "Unknown column" forever, and replay skips the ALTER it already holds.
//  - a DDL while the copy reads the table: a retryable error (the runner is restarted), and the
//    next run copies the table from its new definition.
// Row for row with duplicates counted (tableRows: sorted HEX of every column).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/copy/full_copy.h"
#include "runner/db/dialect/errors.h"
#include "runner/replay/table_starts.h"
#include "tests/replay/replay_fixture.h"

#include <algorithm>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

db::ConnectOptions src() { return sharedSource().rootOptions("source"); }
db::ConnectOptions tgt() { return sharedTarget().rootOptions("target"); }

api::MigrationJob copyJob(const std::string& name, const std::string& database) {
    auto job = jobFor(name, {database});
    job.type = api::JobType::FullAndIncremental;
    return job;
}

copy::CopyOptions smallChunks() {
    copy::CopyOptions o;
    o.chunkRows = 500;
    o.workers = 2;
    o.exportMiBPerSecond = -1;
    return o;
}

// A keyless table with exact duplicate rows (30 of each) and a keyed one.
void createTables(const std::string& database) {
    freshDatabase(database);
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE " + database + ".k (a INT, c DOUBLE)");
    s.execute("CREATE TABLE " + database + ".keyed (id INT PRIMARY KEY, v INT)");
    // 3000 and 2000 rows from a 100 x 30 and a 100 x 20 cross join (recursive CTEs stop at 1000
    // rows by default on both flavors).
    const std::string hundred = "WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 99) ";
    s.execute("INSERT INTO " + database + ".k " + hundred +
              "SELECT (a.n * 30 + b.n) % 100, ((a.n * 30 + b.n) % 100) / 3e0 FROM d a JOIN d b ON b.n < 30");
    s.execute("INSERT INTO " + database + ".keyed " + hundred +
              "SELECT a.n * 20 + b.n + 1, a.n * 20 + b.n + 1 FROM d a JOIN d b ON b.n < 20");
    sharedTarget().exec("DROP DATABASE IF EXISTS " + database);  // the copy creates it
}

// Run 1: stopped as soon as its snapshot is open, before any row is read.
void stoppedAfterSnapshot(const api::MigrationJob& job) {
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto o = smallChunks();
    o.afterSnapshot = [&] { stop = true; };
    CHECK_THROWS_AS(copy::runFullCopy(job, src(), tgt(), sink, stop, o), copy::CopyInterrupted);
}

const copy::TableStartPosition* startOf(const copy::FullCopyResult& r, const std::string& db, const std::string& t) {
    auto it = std::find_if(r.tableStarts.begin(), r.tableStarts.end(),
                           [&](const copy::TableStartPosition& p) { return p.database == db && p.table == t; });
    return it == r.tableStarts.end() ? nullptr : &*it;
}

// Replay from the copy's handoff (start, safe mode, table starts) up to the source's position now.
void replayHandoff(const api::MigrationJob& job, const copy::FullCopyResult& copied) {
    auto o = startingAt(replay::positionFrom(copied.replayFrom));
    o.safeUntil = replay::positionFrom(copied.safeUntil);
    o.tableStarts = replay::TableStarts::from(copied.tableStarts);
    RecordingSink sink;
    catchUp(job, o, &sink);
}

void checkSameRows(const std::string& database, const std::string& table) {
    auto s = sharedSource().connectRoot();
    auto t = sharedTarget().connectRoot();
    const auto a = tableRows(s, database, table), b = tableRows(t, database, table);
    CHECK_MESSAGE(
        a.size() == b.size(),
        database << "." << table << ": " << a.size() << " rows on the source, " << b.size() << " on the target");
    CHECK_MESSAGE(a == b, database << "." << table << " differs");
}

}  // namespace

TEST_CASE("copy_resume_keyless_rows_written_between_the_runs_reach_the_target_once") {
    const std::string d = "crk";
    createTables(d);
    auto job = copyJob("crk-job", d);
    stoppedAfterSnapshot(job);
    // Between S1 and S2: an exact duplicate of existing rows, a new row, one of 30 duplicates
    // deleted, and a keyed change (safe mode's case).
    auto s = sharedSource().connectRoot();
    s.execute("INSERT INTO " + d + ".k VALUES (5, 5 / 3e0), (42, 0.1e0 + 0.2e0)");
    s.execute("DELETE FROM " + d + ".k WHERE a = 7 LIMIT 1");
    s.execute("UPDATE " + d + ".keyed SET v = -v WHERE id <= 10");

    RecordingSink sink;
    std::atomic<bool> stop{false};
    const auto copied = copy::runFullCopy(job, src(), tgt(), sink, stop, smallChunks());
    CHECK(copied.resumed);
    CHECK(replay::comparePositions(replay::positionFrom(copied.replayFrom), replay::positionFrom(copied.safeUntil)) <
          0);
    // Both tables were read wholly at S2.
    for (const char* table : {"k", "keyed"}) {
        const auto* start = startOf(copied, d, table);
        REQUIRE_MESSAGE(start, table);
        CHECK(start->file == copied.safeUntil.file);
        CHECK(start->pos == copied.safeUntil.pos);
    }
    checkSameRows(d, "k");  // the copy itself

    // After S2: changes replay must apply.
    s.execute("INSERT INTO " + d + ".k VALUES (5, 5 / 3e0), (43, 1e0)");
    s.execute("DELETE FROM " + d + ".k WHERE a = 8 LIMIT 1");
    s.execute("UPDATE " + d + ".keyed SET v = v + 1000 WHERE id > 1990");
    replayHandoff(job, copied);
    checkSameRows(d, "k");
    checkSameRows(d, "keyed");

    // A copy that had finished rebuilds the same table starts from tidemark_meta.
    const auto again = copy::runFullCopy(job, src(), tgt(), sink, stop, smallChunks());
    CHECK(again.rows == 0);
    REQUIRE(startOf(again, d, "k"));
    CHECK(startOf(again, d, "k")->pos == copied.safeUntil.pos);
    CHECK(again.tableStarts.size() == copied.tableStarts.size());
}

TEST_CASE("copy_resume_after_add_column_recreates_the_unfinished_table_and_replay_goes_on") {
    const std::string d = "crd";
    createTables(d);
    auto job = copyJob("crd-job", d);
    stoppedAfterSnapshot(job);
    auto t = sharedTarget().connectRoot();
    REQUIRE(t.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + d +
                     "' AND TABLE_NAME = 'k'") == std::optional<std::string>("2"));
    auto s = sharedSource().connectRoot();
    s.execute("ALTER TABLE " + d + ".k ADD COLUMN x INT NOT NULL DEFAULT 3");
    s.execute("INSERT INTO " + d + ".k VALUES (42, 1e0, 9)");

    RecordingSink sink;
    std::atomic<bool> stop{false};
    copy::FullCopyResult copied;
    // Before the fix: "Unknown column 'x' in 'INSERT INTO'", on every run.
    REQUIRE_NOTHROW(copied = copy::runFullCopy(job, src(), tgt(), sink, stop, smallChunks()));
    const auto notes = sink.notes();
    CHECK(std::any_of(notes.begin(), notes.end(),
                      [](const std::string& n) { return n.find("changed on the source") != std::string::npos; }));
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + d +
                   "' AND TABLE_NAME = 'k'") == std::optional<std::string>("3"));
    REQUIRE(startOf(copied, d, "k"));
    CHECK(startOf(copied, d, "k")->pos == copied.safeUntil.pos);
    checkSameRows(d, "k");
    checkSameRows(d, "keyed");

    // After S2 the table changes again; replay must skip the ADD COLUMN x the copy holds and
    // apply the rest.
    s.execute("ALTER TABLE " + d + ".k ADD COLUMN y INT NULL");
    s.execute("INSERT INTO " + d + ".k VALUES (43, 2e0, 4, 5)");
    replayHandoff(job, copied);
    checkSameRows(d, "k");
    checkSameRows(d, "keyed");
}

TEST_CASE("copy_ddl_while_reading_a_table_is_retryable_and_the_next_run_copies_the_new_definition") {
    const std::string d = "crr";
    createTables(d);
    auto job = copyJob("crr-job", d);
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto o = smallChunks();
    // The table changes after the copy inspected it and opened its snapshot, before it is read.
    o.afterSnapshot = [&] {
        auto c = sharedSource().connectRoot();
        c.execute("SET SESSION lock_wait_timeout = 20");
        c.execute("ALTER TABLE " + d + ".k DROP COLUMN c");
    };
    bool threw = false;
    try {
        copy::runFullCopy(job, src(), tgt(), sink, stop, o);
    } catch (const db::DbError& e) {
        threw = true;
        MESSAGE(e.what());
        CHECK(db::dialect::tableChangedUnderneath(e.code()));
        CHECK(e.retryable());  // before the fix: exit 1, not retried
    }
    REQUIRE(threw);
    const auto copied = copy::runFullCopy(job, src(), tgt(), sink, stop, smallChunks());
    CHECK(copied.resumed);
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + d +
                   "' AND TABLE_NAME = 'k'") == std::optional<std::string>("1"));
    checkSameRows(d, "k");
    checkSameRows(d, "keyed");
}
