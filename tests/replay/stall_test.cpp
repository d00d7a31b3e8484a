// Replay that cannot keep up says so: while a batch waits on a lock held on the target, while the
// target is down and while the source is unreachable, status.incremental.stalled names the reason
// within 30 s and lagSeconds grows with wall time (it used to freeze, often at 0); once the
// obstacle is gone the stall clears and the target equals the source row for row.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

bool waitNote(RecordingSink& sink, const std::string& fragment, std::chrono::seconds timeout) {
    for (auto until = Clock::now() + timeout; Clock::now() < until; std::this_thread::sleep_for(100ms))
        if (sink.noted(fragment)) return true;
    return false;
}

std::string stalledReason(const RecordingSink& sink) {
    auto j = sink.last();
    if (!j.contains("stalled") || !j["stalled"].is_object()) return "";
    return j["stalled"].value("reason", "");
}

double lag(const RecordingSink& sink) { return sink.last().value("lagSeconds", -1.0); }

// Waits (generously) for a stall to be reported; returns its reason, "" when none came.
std::string waitStalled(const RecordingSink& sink, std::chrono::seconds timeout) {
    for (auto until = Clock::now() + timeout; Clock::now() < until; std::this_thread::sleep_for(250ms))
        if (auto r = stalledReason(sink); !r.empty()) return r;
    return "";
}

bool waitFlowing(const RecordingSink& sink, std::chrono::seconds timeout) {
    for (auto until = Clock::now() + timeout; Clock::now() < until; std::this_thread::sleep_for(250ms))
        if (stalledReason(sink).empty()) return true;
    return false;
}

// Two reports apart, the lag is larger: it grows with wall time while stalled.
void checkLagGrows(const RecordingSink& sink) {
    const double first = lag(sink);
    std::this_thread::sleep_for(3500ms);
    const double second = lag(sink);
    MESSAGE("lagSeconds " << first << " then " << second << "; stalled " << sink.last()["stalled"].dump());
    CHECK(first > 0);
    CHECK(second > first);
}

void setUp(const std::string& database) {
    freshDatabase(database);
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->connectRoot().execute("CREATE TABLE " + database + ".t (id INT PRIMARY KEY, v INT)");
}

void write(const std::string& database, int from, int to) {
    auto c = sharedSource().connectRoot();
    for (int i = from; i < to; ++i)
        c.execute("INSERT INTO " + database + ".t (id, v) VALUES (" + std::to_string(i) + ", " + std::to_string(i) +
                  ")");
}

}  // namespace

TEST_CASE("a batch blocked by a lock on the target is reported stalled and lag grows") {
    const std::string database = "stall_lock";
    setUp(database);
    BackgroundReplay r(jobFor("stall-lock", {database}), startingAt(sourceNow(), 2));
    REQUIRE(waitNote(r.sink(), "streaming from", 60s));
    write(database, 1, 5);
    REQUIRE(waitSame(database, "t", 60s));
    CHECK(stalledReason(r.sink()).empty());

    auto locker = sharedTarget().connectRoot();
    locker.execute("LOCK TABLES " + database + ".t WRITE");
    write(database, 5, 20);
    const std::string reason = waitStalled(r.sink(), 60s);
    MESSAGE("stalled: " << r.sink().last()["stalled"].dump());
    CHECK((reason == "ApplyBlocked" || reason == "TargetUnavailable"));
    if (!reason.empty()) {
        auto st = r.sink().last()["stalled"];
        CHECK(!st.value("message", "").empty());
        CHECK(!st.value("since", "").empty());
    }
    checkLagGrows(r.sink());
    locker.execute("UNLOCK TABLES");
    CHECK(waitSame(database, "t", 120s));
    CHECK(waitFlowing(r.sink(), 60s));
    r.stop();
    checkSame(database, "t");
}

TEST_CASE("a target that is down is reported stalled and lag grows") {
    const std::string database = "stall_target";
    setUp(database);
    BackgroundReplay r(jobFor("stall-target", {database}), startingAt(sourceNow(), 2));
    REQUIRE(waitNote(r.sink(), "streaming from", 60s));
    write(database, 1, 5);
    REQUIRE(waitSame(database, "t", 60s));

    sharedTarget().kill();
    write(database, 5, 20);
    const std::string reason = waitStalled(r.sink(), 60s);
    MESSAGE("stalled: " << r.sink().last()["stalled"].dump());
    CHECK((reason == "TargetUnavailable" || reason == "ApplyBlocked"));
    checkLagGrows(r.sink());
    sharedTarget().start();
    CHECK(waitSame(database, "t", 180s));
    CHECK(waitFlowing(r.sink(), 90s));
    r.stop();
    checkSame(database, "t");
}

TEST_CASE("a source that is unreachable is reported stalled and lag grows") {
    const std::string database = "stall_source";
    setUp(database);
    BackgroundReplay r(jobFor("stall-source", {database}), startingAt(sourceNow(), 2));
    REQUIRE(waitNote(r.sink(), "streaming from", 60s));
    write(database, 1, 5);
    REQUIRE(waitSame(database, "t", 60s));

    sharedSource().kill();
    const std::string reason = waitStalled(r.sink(), 60s);
    MESSAGE("stalled: " << r.sink().last()["stalled"].dump());
    CHECK(reason == "SourceUnreachable");
    checkLagGrows(r.sink());
    sharedSource().start();
    write(database, 5, 20);
    CHECK(waitSame(database, "t", 180s));
    CHECK(waitFlowing(r.sink(), 90s));
    r.stop();
    checkSame(database, "t");
}

TEST_CASE("a DDL waiting on the target is reported stalled and lag grows") {
    const std::string database = "stall_ddl";
    setUp(database);
    BackgroundReplay r(jobFor("stall-ddl", {database}), startingAt(sourceNow(), 2));
    REQUIRE(waitNote(r.sink(), "streaming from", 60s));
    write(database, 1, 5);
    REQUIRE(waitSame(database, "t", 60s));

    // A read lock on the target makes the replayed ALTER wait for its metadata lock.
    auto locker = sharedTarget().connectRoot();
    locker.execute("LOCK TABLES " + database + ".t READ");
    sharedSource().connectRoot().execute("ALTER TABLE " + database + ".t ADD COLUMN c INT NOT NULL DEFAULT 7");
    write(database, 5, 10);
    const std::string reason = waitStalled(r.sink(), 60s);
    MESSAGE("stalled: " << r.sink().last()["stalled"].dump());
    CHECK(reason == "DdlRunning");
    checkLagGrows(r.sink());
    locker.execute("UNLOCK TABLES");
    CHECK(waitSame(database, "t", 120s));
    CHECK(waitFlowing(r.sink(), 60s));
    r.stop();
    checkSame(database, "t");
}
