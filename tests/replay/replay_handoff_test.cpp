// The full copy hands over to replay while sysbench-style writes keep running: the copy's
// replayFrom and safeUntil positions start replay in safe mode, and afterwards the copy's own
// verify() finds source and target identical.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/copy/full_copy.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

TEST_CASE("full_copy_under_load_hands_over_to_replay_and_verify_passes") {
    auto s = sharedSource().connectRoot();
    s.execute("DROP DATABASE IF EXISTS rh");
    sharedTarget().exec("DROP DATABASE IF EXISTS rh");
    s.execute("CREATE DATABASE rh");
    for (int i = 1; i <= 2; ++i) {
        const std::string t = "rh.sb" + std::to_string(i);
        s.execute("CREATE TABLE " + t +
                  " (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, "
                  "c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k (k))");
        // 1..20000 from a 200 x 100 cross join: MySQL has no seq_1_to_N tables and stops recursive
        // CTEs at 1000 rows by default.
        s.execute("INSERT INTO " + t +
                  " (id, k, c, pad) WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d "
                  "WHERE n < 199) SELECT a.n * 100 + b.n + 1, (a.n * 100 + b.n) % 1000, SHA2(a.n * 100 + b.n, 256), "
                  "SHA2(-(a.n * 100 + b.n), 224) FROM d a JOIN d b ON b.n < 100");
    }
    std::atomic<bool> stopLoad{false};
    std::atomic<int> txs{0};
    std::thread load([&] {
        auto c = sharedSource().connectRoot();
        for (int i = 0; !stopLoad; ++i) {
            const std::string t = "rh.sb" + std::to_string(1 + i % 2);
            const std::string id = std::to_string(1 + (i * 7919) % 20000);
            c.execute("START TRANSACTION");
            c.execute("UPDATE " + t + " SET k = k + 1 WHERE id = " + id);
            c.execute("UPDATE " + t +
                      " SET c = SHA2(RAND(), 256) WHERE id = " + std::to_string(1 + (i * 104729) % 20000));
            c.execute("DELETE FROM " + t + " WHERE id = " + id);
            c.execute("INSERT INTO " + t + " (id, k, c, pad) VALUES (" + id + ", " + std::to_string(i) + ", 'x', 'y')");
            c.execute("COMMIT");
            ++txs;
        }
    });
    struct Stop {
        std::atomic<bool>& flag;
        std::thread& t;
        ~Stop() {
            flag = true;
            if (t.joinable()) t.join();
        }
    } stopper{stopLoad, load};

    auto job = jobFor("rt-handoff", {"rh"});
    job.type = api::JobType::FullAndIncremental;
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto copied =
        copy::runFullCopy(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), sink, stop);
    REQUIRE(!copied.replayFrom.file.empty());

    replay::ReplayOptions o;
    o.start = replay::positionFrom(copied.replayFrom);
    o.safeUntil = replay::positionFrom(copied.safeUntil);
    o.workers = 3;
    o.heartbeat = std::chrono::milliseconds(250);
    {
        BackgroundReplay r(job, o);
        std::this_thread::sleep_for(std::chrono::seconds(2));  // replay while the load goes on
        stopLoad = true;
        load.join();
        CHECK(waitSame("rh", "sb1", std::chrono::seconds(30)));
        CHECK(waitSame("rh", "sb2", std::chrono::seconds(30)));
        r.stop();
    }
    MESSAGE("source transactions during copy and replay: " << txs.load());
    auto result = copy::verify(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), sink);
    for (auto& d : result.differences) MESSAGE(d.text());
    CHECK(result.identical);
    auto t = sharedTarget().connectRoot();
    for (const char* table : {"sb1", "sb2"}) CHECK(tableRows(s, "rh", table) == tableRows(t, "rh", table));
}
