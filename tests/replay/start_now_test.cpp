// An Incremental job started "now" (no checkpoint, no start option) records where it started
// before it reads anything: when its first batch fails, the restarted replay resumes from there
// and the changes written meanwhile reach the target (before, the restart began at a later "now"
// and skipped them).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/fault_injection.h"
#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

bool waitNote(RecordingSink& sink, const std::string& fragment, std::chrono::seconds timeout) {
    for (auto until = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(100ms))
        if (sink.noted(fragment)) return true;
    return false;
}

void writeRows(const std::string& database, int from, int to) {
    auto c = sharedSource().connectRoot();
    for (int i = from; i < to; ++i)
        c.execute("INSERT INTO " + database + ".t VALUES (" + std::to_string(i) + ", " + std::to_string(i * 7) + ")");
    c.execute("UPDATE " + database + ".t SET v = v + 1 WHERE id % 3 = 0");
}

}  // namespace

TEST_CASE("replay started now resumes from its start after its first batch failed") {
    const std::string database = "start_now";
    freshDatabase(database);
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->connectRoot().execute("CREATE TABLE " + database + ".t (id INT PRIMARY KEY, v INT)");
    auto job = jobFor("start-now", {database});
    replay::ReplayOptions options;  // no start: the source's current position
    options.workers = 2;
    options.heartbeat = 250ms;

    // The first batch with rows of the table fails for good (a fatal error, as a crash would end it).
    db::clearFaults();
    db::InjectedFault f;
    f.role = "target";
    f.code = 1064;
    f.times = 1;
    f.match = "`" + database + "`.`t`";
    db::injectFault(f);
    {
        BackgroundReplay r(job, options);
        REQUIRE(waitNote(r.sink(), "streaming from", 60s));
        writeRows(database, 1, 60);
        for (int i = 0; i < 600 && db::faultsFired() == 0; ++i) std::this_thread::sleep_for(100ms);
        REQUIRE(db::faultsFired() == 1);
        CHECK_THROWS_AS(r.stop(), replay::ReplayError);
    }
    db::clearFaults();
    // While no replay runs.
    writeRows(database, 60, 90);

    // Restarted with the same options (still no start): resumes from the recorded start.
    RecordingSink sink;
    catchUp(job, options, &sink);
    checkSame(database, "t");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM " + database + ".t").value_or("") == "89");
}
