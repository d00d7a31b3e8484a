// A copy killed (SIGKILL) while it is writing a table without a key, then run again: the
// table holds the source's rows exactly once each, duplicates counted, FLOAT/DOUBLE, -0.0 and
// NULLs included, in both modes. A table without a key is one chunk, cleared on the target
// before it is copied again (clearChunk), so nothing the killed run wrote survives twice.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

#include <algorithm>
#include <iterator>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

// Rows of the keyless table: 6004, nearly every one with identical twins, FLOAT and DOUBLE values
// that are not short decimals, NULLs, and FLOAT/DOUBLE -0.0 / 0.0 (MySQL keeps the sign; MariaDB
// stores 0).
void createKeyless(const std::string& dbName) {
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + dbName);
    s.execute("CREATE TABLE " + dbName +
              ".nk (a INT, b VARCHAR(20), f FLOAT, d DOUBLE, pad VARCHAR(200)) DEFAULT CHARSET=utf8mb4");
    s.execute("INSERT INTO " + dbName + ".nk SELECT seq % 40, IF(seq % 9 = 0, NULL, 'dup'), (seq % 7) / 3e0, " +
              "IF(seq % 13 = 0, NULL, (seq % 11) / 7e0), REPEAT('p', 150) FROM " + numbers(3000));
    s.execute("INSERT INTO " + dbName + ".nk SELECT * FROM " + dbName + ".nk");  // every row twice at least
    s.execute("INSERT INTO " + dbName + ".nk VALUES (1, 'z', -0e0, -0e0, ''), (1, 'z', 0e0, 0e0, ''), " +
              "(1, 'z', 16777217, 1e300, ''), (1, 'z', 1e-40, 4.9e-324, '')");
}

std::string chunkState(const std::string& jobName, const std::string& table) {
    auto t = target().connectRoot();
    return t
        .scalar("SELECT state FROM tidemark_meta.copy_chunk WHERE job = " + t.quote(jobName) +
                " AND tbl = " + t.quote(table))
        .value_or("");
}

void killMidTableAndResume(api::FullMode mode, const std::string& jobName, const std::string& dbName) {
    reset(jobName, {dbName});
    createKeyless(dbName);
    auto options = testOptions(200, 0.3, 1);  // throttled: the one chunk takes seconds
    options.batchBytes = 8 << 10;
    // Killed about a second after the table's chunk started. The target table is not read while
    // the copy writes it: MariaDB's bulk insert into an empty table locks the whole table.
    int pollsStarted = 0;
    REQUIRE(copyKilledWhen(job(jobName, {dbName}, mode), options,
                           [&] { return chunkState(jobName, "nk") == "1" && ++pollsStarted >= 40; }));
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    const std::uint64_t total = count(s, dbName + ".nk");
    const std::uint64_t atKill = count(t, dbName + ".nk");
    MESSAGE("killed with " << atKill << " of " << total << " keyless rows in the target");
    REQUIRE(atKill > 0);
    REQUIRE(chunkState(jobName, "nk") == "1");  // the kill came in the middle of the table
    REQUIRE(atKill < total);

    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r =
        copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(200));
    CHECK(r.resumed);
    CHECK(chunkState(jobName, "nk") == "2");
    CHECK(count(t, dbName + ".nk") == total);
    const auto want = hexRows(s, dbName, "nk"), got = hexRows(t, dbName, "nk");
    CHECK(want == got);  // the same multiset of rows
    if (want != got) {
        std::vector<std::string> missing, extra;
        std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
        std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
        for (size_t i = 0; i < missing.size() && i < 5; ++i) MESSAGE("missing in the target: " << missing[i]);
        for (size_t i = 0; i < extra.size() && i < 5; ++i) MESSAGE("extra in the target: " << extra[i]);
    }
}

}  // namespace

TEST_CASE("kill -9 in the middle of a keyless table's logical copy resumes without duplicate rows") {
    killMidTableAndResume(api::FullMode::Logical, "keyless-kill-logical", "keyless_kill_logical");
}

TEST_CASE("kill -9 in the middle of a keyless table's physical copy resumes without duplicate rows") {
    killMidTableAndResume(api::FullMode::Physical, "keyless-kill-physical", "keyless_kill_physical");
}
