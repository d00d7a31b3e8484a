// Kill -9 in the middle of a copy, in both modes, then run again: only unfinished chunks are
// copied again, the status says it resumed, and no row is duplicated (also in a table
// without a key). A stop request ends the copy with CopyInterrupted and a resumable state.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

#include <algorithm>
#include <thread>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

void createData(const std::string& dbName) {
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + dbName);
    s.execute("CREATE TABLE " + dbName + ".keyed (id INT PRIMARY KEY, k INT NOT NULL, v VARCHAR(100), KEY k (k))");
    s.execute("INSERT INTO " + dbName + ".keyed SELECT seq, seq % 97, REPEAT(CHAR(65 + seq % 26), 90) FROM " +
              numbers(6000));
    s.execute("CREATE TABLE " + dbName +
              ".composite (a INT NOT NULL, b VARCHAR(10) NOT NULL, v VARCHAR(60), PRIMARY KEY (a, b))");
    s.execute("INSERT INTO " + dbName + ".composite SELECT seq % 50, CONCAT('b', seq), REPEAT('c', 50) FROM " +
              numbers(2000));
    // No key, and duplicate rows on purpose: a restart must not add more.
    s.execute("CREATE TABLE " + dbName + ".keyless (x INT, y VARCHAR(60))");
    s.execute("INSERT INTO " + dbName + ".keyless SELECT seq % 300, REPEAT('k', 50) FROM " + numbers(3000));
}

void killAndResume(api::FullMode mode, const std::string& jobName, const std::string& dbName) {
    reset(jobName, {dbName});
    createData(dbName);
    auto options = testOptions(200, 0.3, 2);
    options.batchBytes = 16 << 10;
    REQUIRE(copyKilledWhen(job(jobName, {dbName}, mode), options, [&] { return chunkCounts(jobName).done >= 8; }));
    const ChunkCounts seen = chunkCounts(jobName);
    MESSAGE("killed with " << seen.done << " of " << seen.total << " chunks done");
    REQUIRE(seen.done >= 8);
    REQUIRE(seen.done < seen.total);

    auto t = target().connectRoot();
    MESSAGE("keyless rows in the target at the kill: " << count(t, dbName + ".keyless"));

    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r =
        copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(200));
    CHECK(r.resumed);
    CHECK(r.rows < 11000);  // finished chunks were not copied again
    CHECK(sink.last("fullCopy")["resumed"] == true);
    CHECK(sink.last("fullCopy")["rowsCopied"] == 11000);  // earlier runs' chunks count too
    CHECK(sink.last("fullCopy")["percent"] == 100.0);
    const auto after = chunkCounts(jobName);
    CHECK(after.done == after.total);
    CHECK(after.total == seen.total);

    auto s = source().connectRoot();
    for (const char* table : {"keyed", "composite", "keyless"}) {
        CHECK_MESSAGE(count(s, dbName + "." + table) == count(t, dbName + "." + table), table);
        CHECK_MESSAGE(hexRows(s, dbName, table) == hexRows(t, dbName, table), table);
    }
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " + t.quote(dbName) +
                   " AND TABLE_NAME = 'keyed' AND INDEX_NAME = 'k'") == std::optional<std::string>("1"));
    auto v = copy::verify(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink);
    CHECK(v.identical);
    for (auto& d : v.differences) MESSAGE(d.text());
    // A finished job is not copied again.
    auto again =
        copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(200));
    CHECK(again.rows == 0);
    CHECK(again.replayFrom == r.replayFrom);
}

}  // namespace

TEST_CASE("kill -9 during a logical copy resumes without duplicates") {
    killAndResume(api::FullMode::Logical, "kill-logical", "kill_logical");
}

TEST_CASE("kill -9 during a physical copy resumes without duplicates") {
    killAndResume(api::FullMode::Physical, "kill-physical", "kill_physical");
}

TEST_CASE("a resumed copy hands over the earliest and the latest snapshot when the source moved on") {
    const std::string jobName = "two-snapshots", dbName = "two_snap";
    reset(jobName, {dbName});
    createData(dbName);
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = testOptions(200, 0.3, 2);
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        stop = true;
    });
    CHECK_THROWS_AS(copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, options),
                    copy::CopyInterrupted);
    stopper.join();
    // The source changes between the two runs.
    auto s = source().connectRoot();
    s.execute("UPDATE " + dbName + ".keyed SET v = 'changed' WHERE id > 5000");
    s.execute("DELETE FROM " + dbName + ".keyless WHERE x = 1");
    stop = false;
    auto r = copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, testOptions(200));
    CHECK(r.resumed);
    CHECK(r.replayFrom.file == r.safeUntil.file);
    CHECK(r.replayFrom.pos < r.safeUntil.pos);
    CHECK(r.replayFrom.gtidSet != r.safeUntil.gtidSet);
    auto t = target().connectRoot();
    // Chunks copied after the change reflect it; the keyless table was copied as one unit.
    CHECK(count(t, dbName + ".keyless") == count(s, dbName + ".keyless"));
}
