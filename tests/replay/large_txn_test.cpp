// Source transactions too large to hold in memory (ReplayOptions::maxHeldTxnBytes) are applied in
// pieces as they arrive, each piece with a checkpoint inside the transaction. A bulk INSERT and a
// bulk UPDATE of 200k rows each, with a small threshold (hundreds of pieces), interrupted twice in
// the middle (a piece whose commit succeeded but whose answer was an error that ends the run, as
// a SIGKILL right after COMMIT would; then the stop flag), resumed, and compared row for row.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/fault_injection.h"
#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRows = 200000;

// The job's share-0 checkpoint row: inside a transaction (start == end, next > 0), and next.
struct Row {
    bool inside = false;
    uint64_t next = 0;
    uint64_t batch = 0;
};

Row checkpointRow(const std::string& job) {
    auto t = sharedTarget().connectRoot();
    auto rows = t.query(
        "SELECT batch, next_change, start_file = end_file AND start_pos = end_pos AS same FROM "
        "tidemark_meta.replay_checkpoint WHERE job = " +
        t.quote(job) + " AND worker = 0");
    if (rows.empty()) return {};
    return {rows.text(0, "same") == "1" && std::stoull(rows.text(0, "next_change")) > 0,
            std::stoull(rows.text(0, "next_change")), std::stoull(rows.text(0, "batch"))};
}

// 200k rows from a cross join of digits (works on MySQL and MariaDB alike).
std::string rowsSelect(const std::string& database) {
    const std::string d = database + ".digits";
    return "SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d + 1, a.d + b.d, REPEAT('p', 40) FROM " +
        d + " a, " + d + " b, " + d + " c, " + d + " e, " + d + " f, " + d + " g WHERE g.d < 2";
}

}  // namespace

TEST_CASE("large source transactions are applied in pieces and resume inside the transaction") {
    const std::string database = "large_txn";
    const std::string job = "large-txn";
    freshDatabase(database);
    auto src = sharedSource().connectRoot();
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->connectRoot().execute("CREATE TABLE " + database + ".big (id INT PRIMARY KEY, v INT, pad VARCHAR(64))");
    src.execute("CREATE TABLE " + database + ".digits (d INT) ENGINE=InnoDB");
    src.execute("INSERT INTO " + database + ".digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)");
    const auto start = sourceNow();
    src.execute("INSERT INTO " + database + ".big " + rowsSelect(database));    // one transaction
    src.execute("UPDATE " + database + ".big SET v = v + 1, pad = 'updated'");  // one transaction
    src.execute("INSERT INTO " + database + ".big VALUES (0, 0, 'after')");
    REQUIRE(src.scalar("SELECT COUNT(*) FROM " + database + ".big").value_or("") == std::to_string(kRows + 1));

    api::MigrationJob mj = jobFor(job, {database});
    auto options = startingAt(start, 3);
    options.maxHeldTxnBytes = 256u << 10;

    // 1. The third piece commits, but the run ends with an error (as a SIGKILL after COMMIT).
    db::clearFaults();
    {
        db::InjectedFault f;
        f.role = "target";
        f.code = 1064;  // fatal: the run ends
        f.times = 1;
        f.match = "REPLACE INTO `tidemark_meta`.`replay_checkpoint`";
        f.afterExecute = true;
        // Lets the first two pieces through: faults match in order, so a spent fault goes first.
        db::InjectedFault pass = f;
        pass.code = 1213;  // deadlock: retried, and the retry finds the piece committed
        pass.times = 2;
        db::injectFault(pass);
        db::injectFault(f);
    }
    {
        BackgroundReplay r(mj, options);
        for (int i = 0; i < 1200 && db::faultsFired() < 3; ++i) std::this_thread::sleep_for(100ms);
        REQUIRE(db::faultsFired() == 3);
        CHECK_THROWS_AS(r.stop(), replay::ReplayError);
    }
    db::clearFaults();
    const Row afterCrash = checkpointRow(job);
    MESSAGE("checkpoint after the failed run: batch " << afterCrash.batch << ", next " << afterCrash.next);
    CHECK(afterCrash.inside);

    // 2. Resumed (no start option: the checkpoint), then stopped by the stop flag further inside.
    replay::ReplayOptions resumed = options;
    resumed.start.reset();
    {
        BackgroundReplay r(mj, resumed);
        Row row;
        for (auto until = Clock::now() + 120s; Clock::now() < until; std::this_thread::sleep_for(50ms)) {
            row = checkpointRow(job);
            if (row.inside && row.next > afterCrash.next + 20000) break;
        }
        r.stop();
        CHECK(r.sink().noted("resuming inside the source transaction"));
        const Row stopped = checkpointRow(job);
        MESSAGE("checkpoint after the stop: batch " << stopped.batch << ", next " << stopped.next
                                                    << (stopped.inside ? " (inside)" : ""));
    }

    // 3. To the end.
    RecordingSink sink;
    catchUp(mj, resumed, &sink);
    checkSame(database, "big");
    const Row done = checkpointRow(job);
    CHECK(!done.inside);
    CHECK(done.next == 0);
}
