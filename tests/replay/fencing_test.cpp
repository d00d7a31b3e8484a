// Fencing two runners of one replay job (runner/replay/fence.h) on a real target: a takeover
// refuses every later transaction of the runner it replaced, a transaction that claimed the
// fence before the takeover commits before it or not at all, a killed runner's open
// transaction does not hold the job for its lease, and a frozen runner that wakes up after a
// takeover exits without writing.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>

#include "runner/replay/applier.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/fence.h"
#include "runner/replay/schema_tracker.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

replay::FenceOptions fenceOptions(const std::string& owner, std::chrono::milliseconds lease,
                                  std::chrono::milliseconds takeoverTimeout = 60s) {
    replay::FenceOptions o;
    o.owner = owner;
    o.lease = lease;
    o.takeoverTimeout = takeoverTimeout;
    return o;
}

db::ConnectOptions targetOptions() { return sharedTarget().rootOptions("target"); }

db::Connection targetConnection() { return db::Connection::open(targetOptions()); }

// Batches of inserts into db.t (id INT PRIMARY KEY, v INT), built the way the coordinator does.
class Batches {
public:
    Batches(const std::string& database) : job_(jobFor("unused", {database})), tracker_(job_.objects) {
        auto c = targetConnection();
        tracker_.loadAll(c, replay::SchemaTracker::Side::Target);
        table_ = tracker_.find(database, "t");
        REQUIRE(table_);
    }

    std::shared_ptr<replay::Batch> inserts(uint64_t seq, int from, int to) {
        auto b = std::make_shared<replay::Batch>();
        b->seq = seq;
        b->start = replay::Position{"fence-bin.000001", seq * 100, ""};
        b->end = replay::Position{"fence-bin.000001", seq * 100 + 100, ""};
        for (int id = from; id < to; ++id) {
            binlog::Row& row = rows_.emplace_back();
            row.after.resize(2);
            row.after[0].kind = row.after[1].kind = binlog::Value::Kind::Int;
            row.after[0].i = id;
            row.after[1].i = id * 10;
            b->changes.push_back(replay::RowChange{table_, binlog::RowsKind::Write, &row, false});
            b->txnEnds.push_back(static_cast<uint32_t>(b->changes.size()));
        }
        b->transactions = b->changes.size();
        return b;
    }

private:
    api::MigrationJob job_;
    replay::SchemaTracker tracker_;
    std::shared_ptr<const replay::TableSchema> table_;
    std::deque<binlog::Row> rows_;
};

std::string fenceOwner(db::Connection& c, const std::string& job) {
    return c.scalar("SELECT owner FROM tidemark_meta.replay_fence WHERE job = " + c.quote(job) + " AND slot = -1")
        .value_or("");
}

void createTable(const std::string& database, const std::string& table) {
    auto c = sharedTarget().connectRoot();
    c.execute("DROP DATABASE IF EXISTS " + database);
    c.execute("CREATE DATABASE " + database);
    c.execute("CREATE TABLE " + database + "." + table + " (id INT PRIMARY KEY, v INT)");
}

}  // namespace

TEST_CASE("a_second_runner_takes_over_and_the_first_runners_next_transaction_writes_nothing") {
    createTable("fz", "t");
    const std::string job = "ft-takeover";
    auto admin = sharedTarget().connectRoot();
    replay::CheckpointStore store(job);
    store.ensureTables(admin);
    Batches batches("fz");

    replay::Fence first(job, fenceOptions("runner-1", 1s));
    auto m1 = targetConnection();
    REQUIRE(first.acquire(m1, 1));
    replay::ApplierOptions silent;
    silent.idleRenewal = std::chrono::hours(1);  // no heartbeat: its lease runs out while it lives
    replay::Applier applier1(targetOptions(), 1, store, first, silent);
    applier1.submit(batches.inserts(1, 1, 6));
    applier1.wait();
    const auto before = tableRows(admin, "fz", "t");
    CHECK(before.size() == 5);

    replay::Fence second(job, fenceOptions("runner-2", 1s));
    auto m2 = targetConnection();
    REQUIRE(second.acquire(m2, 1));
    CHECK(second.epoch() == first.epoch() + 1);
    CHECK(fenceOwner(admin, job) == "runner-2");

    // The first runner's next transaction: refused, and nothing of it reaches the target.
    applier1.submit(batches.inserts(2, 6, 11));
    CHECK_THROWS_AS(applier1.wait(), replay::FencedOut);
    CHECK(tableRows(admin, "fz", "t") == before);
    CHECK(admin.scalar("SELECT batch FROM tidemark_meta.replay_checkpoint WHERE job = " + admin.quote(job)) ==
          std::optional<std::string>("1"));
    // Its state writes are refused too.
    CHECK_THROWS_AS(store.saveError(m1, first, replay::Position{"x", 4, ""}, "stale"), replay::FencedOut);
    CHECK(admin.scalar("SELECT COUNT(*) FROM tidemark_meta.replay_state WHERE job = " + admin.quote(job) +
                       " AND error_message = 'stale'") == std::optional<std::string>("0"));

    // The new holder applies the same batch.
    replay::Applier applier2(targetOptions(), 1, store, second);
    applier2.submit(batches.inserts(2, 6, 11));
    applier2.wait();
    CHECK(tableRows(admin, "fz", "t").size() == 10);
    // And the first fence, having lost the job, does not take it back.
    CHECK_THROWS_AS(first.acquire(m1, 1), replay::FencedOut);
}

TEST_CASE("a_transaction_that_claimed_the_fence_before_a_takeover_commits_before_it_or_not_at_all") {
    createTable("fy", "t");
    const std::string job = "ft-zombie";
    auto admin = sharedTarget().connectRoot();
    replay::CheckpointStore(job).ensureTables(admin);

    replay::Fence old(job, fenceOptions("runner-old", 1s));
    auto m1 = targetConnection();
    REQUIRE(old.acquire(m1, 1));
    auto zombie = targetConnection();
    old.registerConnection(zombie, 0);
    old.begin(zombie, 0);
    zombie.execute("INSERT INTO fy.t VALUES (1, 10)");

    // Its lease runs out, but its open transaction holds the fence: no takeover yet.
    replay::Fence next(job, fenceOptions("runner-new", 1s, 4s));
    auto m2 = targetConnection();
    try {
        next.acquire(m2, 1);
        FAIL("took the job over while a transaction of its holder had claimed the fence");
    } catch (const replay::FencedOut&) {
        FAIL("a waiting runner was told it was fenced out");
    } catch (const replay::ReplayError& e) {
        CHECK(e.retryable());
        CHECK(std::string(e.what()).find("runner-old") != std::string::npos);
    }
    // So the zombie's COMMIT lands before the takeover, where the new holder sees it.
    zombie.execute("COMMIT");
    REQUIRE(next.acquire(m2, 1));
    CHECK(admin.scalar("SELECT COUNT(*) FROM fy.t") == std::optional<std::string>("1"));
    // Its next transaction is refused at the claim, before it writes.
    CHECK_THROWS_AS(old.begin(zombie, 0), replay::FencedOut);
    CHECK_THROWS_AS(old.renew(zombie, 0), replay::FencedOut);
}

TEST_CASE("a_killed_runners_open_transaction_does_not_hold_the_job_for_its_lease") {
    createTable("fk", "t");
    const std::string job = "ft-killed";
    auto admin = sharedTarget().connectRoot();
    replay::CheckpointStore(job).ensureTables(admin);
    const auto target = targetOptions();

    int ready[2];
    REQUIRE(pipe(ready) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            replay::Fence f(job, fenceOptions("runner-killed", 600s));
            auto m = db::Connection::open(target);
            if (!f.acquire(m, 1)) _exit(2);
            auto w = db::Connection::open(target);
            f.registerConnection(w, 0);
            f.begin(w, 0);
            w.execute("INSERT INTO fk.t VALUES (1, 10)");
            (void)!write(ready[1], "x", 1);
            pause();
        } catch (const std::exception& e) {
            fprintf(stderr, "fencing child failed: %s\n", e.what());
        }
        _exit(1);
    }
    close(ready[1]);
    char got = 0;
    REQUIRE(read(ready[0], &got, 1) == 1);  // the child holds the job with a transaction open
    close(ready[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(fenceOwner(admin, job) == "runner-killed");

    // Its lease has 10 minutes to run; the takeover may wait at most one.
    replay::Fence next(job, fenceOptions("runner-next", 600s, 60s));
    auto m = targetConnection();
    REQUIRE(next.acquire(m, 1));
    CHECK(fenceOwner(admin, job) == "runner-next");
    CHECK(admin.scalar("SELECT COUNT(*) FROM fk.t") == std::optional<std::string>("0"));  // rolled back
}

TEST_CASE("a_frozen_runner_is_taken_over_and_exits_without_writing_when_it_wakes_up") {
    createLoadTables("ff");
    const auto start = sourceNow();
    const auto job = jobFor("rt-frozen", {"ff"});
    auto options = startingAt(start, 2);
    options.maxBatchRows = 40;
    options.lease = 1s;
    auto admin = sharedTarget().connectRoot();
    auto waitFor = [&](const std::string& what, const std::function<bool()>& done) {
        for (int i = 0; i < 600; ++i) {
            try {
                if (done()) return true;
            } catch (const db::DbError&) {}
            std::this_thread::sleep_for(100ms);
        }
        MESSAGE("timed out waiting for " << what);
        return false;
    };
    auto checkpointBatch = [&] {
        return std::stoull(admin
                               .scalar("SELECT COALESCE(MAX(batch), 0) FROM tidemark_meta.replay_checkpoint WHERE "
                                       "job = 'rt-frozen'")
                               .value_or("0"));
    };

    SourceLoad load("ff");
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto o = options;
        o.runnerId = "runner-a";
        RecordingSink sink;
        std::atomic<bool> stop{false};
        try {
            replay::runReplay(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), o, sink,
                              stop);
        } catch (const replay::FencedOut& e) {
            fprintf(stderr, "runner a: %s\n", e.what());
            _exit(3);
        } catch (const std::exception& e) {
            fprintf(stderr, "runner a failed: %s\n", e.what());
            _exit(1);
        }
        _exit(0);
    }
    struct Reap {
        pid_t pid;
        ~Reap() {
            if (pid > 0) {
                ::kill(pid, SIGKILL);
                waitpid(pid, nullptr, 0);
            }
        }
    } reap{pid};
    REQUIRE(waitFor("runner a to apply batches", [&] { return checkpointBatch() >= 3; }));
    ::kill(pid, SIGSTOP);

    auto o = options;
    o.runnerId = "runner-b";
    BackgroundReplay b(job, o);
    REQUIRE(waitFor("runner b to take over", [&] { return fenceOwner(admin, "rt-frozen") == "runner-b"; }));
    const auto taken = checkpointBatch();
    REQUIRE(waitFor("runner b to apply batches", [&] { return checkpointBatch() >= taken + 3; }));

    ::kill(pid, SIGCONT);
    int status = 0;
    REQUIRE(waitFor("runner a to exit", [&] { return waitpid(pid, &status, WNOHANG) == pid; }));
    reap.pid = -1;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);  // FencedOut

    load.stop();
    MESSAGE("source transactions: " << load.transactions());
    // A loaded machine may leave runner b a long backlog: catching up is not what is tested here.
    CHECK(waitSame("ff", "k", 300s));
    CHECK(waitSame("ff", "n", 300s));
    b.stop();
    checkSame("ff", "k");
    checkSame("ff", "n");
    CHECK(fenceOwner(admin, "rt-frozen") == "runner-b");
}
