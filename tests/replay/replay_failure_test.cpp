// Replay when things go wrong: the runner killed with SIGKILL at random points, the source
// restarting and rotating its binlog, its dump thread killed, a failover to a replica, a purged
// binlog, and duplicate keys in and out of safe mode.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <set>

#include "runner/replay/binlog_streamer.h"
#include "runner/replay/errors.h"
#include "runner/replay/position.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// Writes a mix of transactions until stopped: keyed inserts/updates/deletes, keyless inserts and
// DELETE ... LIMIT 1 / UPDATE ... LIMIT 1 that replay must neither repeat nor drop.
class Load {
public:
    // Transactions are numbered from `first` (keys from an earlier Load on the database are not reused).
    explicit Load(std::string database, const DbServer& server = sharedSource(), int first = 1)
        : db_(std::move(database)) {
        thread_ = std::thread([this, &server, first] {
            auto c = server.connectRoot();
            for (int i = first; !stop_; ++i) {
                const std::string n = std::to_string(i);
                c.execute("START TRANSACTION");
                c.execute("INSERT INTO " + db_ + ".k VALUES (" + n + ", " + n + ", REPEAT('s', " +
                          std::to_string(i % 40) + "))");
                c.execute("UPDATE " + db_ + ".k SET v = v + 1 WHERE id = " + std::to_string(i / 2));
                if (i % 3 == 0) c.execute("DELETE FROM " + db_ + ".k WHERE id = " + std::to_string(i - 5));
                c.execute("INSERT INTO " + db_ + ".n VALUES (" + std::to_string(i % 7) + ", 'x')");
                if (i % 4 == 0) c.execute("DELETE FROM " + db_ + ".n WHERE a = " + std::to_string(i % 7) + " LIMIT 1");
                c.execute("UPDATE " + db_ + ".n SET b = CONCAT(b, 'y') WHERE a = " + std::to_string(i % 5) +
                          " LIMIT 1");
                if (i % 10 == 0)
                    c.execute("INSERT INTO " + db_ + ".n SELECT a, 'bulk' FROM " + db_ + ".n WHERE b = 'x' LIMIT 30");
                c.execute("COMMIT");
                count_ = i;
                ++transactions_;
            }
        });
    }
    ~Load() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int count() const { return count_; }  // the last transaction's number
    int transactions() const { return transactions_; }

private:
    std::string db_;
    std::atomic<bool> stop_{false};
    std::atomic<int> count_{0};
    std::atomic<int> transactions_{0};
    std::thread thread_;
};

// The ids of the source's binlog dump threads (Command 'Binlog Dump', or 'Binlog Dump GTID' on
// MySQL when connected by GTID set).
std::set<std::string> dumpThreads(const DbServer& server) {
    auto c = server.connectRoot();
    auto rows = c.query("SHOW PROCESSLIST");
    std::set<std::string> ids;
    for (size_t i = 0; i < rows.size(); ++i)
        if (rows.text(i, "Command").starts_with("Binlog Dump")) ids.insert(rows.text(i, "Id"));
    return ids;
}

// Waits for a dump thread that is none of `old` (replay reconnected), and returns its id.
std::optional<std::string> newDumpThread(const DbServer& server, const std::set<std::string>& old) {
    for (int i = 0; i < 300; ++i) {
        try {
            for (const auto& id : dumpThreads(server))
                if (!old.count(id)) return id;
        } catch (const db::DbError&) {}
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
}

void createLoadTables(const DbServer& source, const std::string& database) {
    for (const DbServer* server : {&source, static_cast<const DbServer*>(&sharedTarget())}) {
        auto c = server->connectRoot();
        c.execute("DROP DATABASE IF EXISTS " + database);
        c.execute("CREATE DATABASE " + database);
        c.execute("CREATE TABLE " + database + ".k (id INT PRIMARY KEY, v INT, s VARCHAR(50))");
        c.execute("CREATE TABLE " + database + ".n (a INT, b VARCHAR(200))");
    }
}

}  // namespace

TEST_CASE("kill_during_replay_resumes_without_loss_or_duplicates_for_keyed_and_keyless_tables") {
    freshDatabase("rk");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    // Created after the start position: the DDL replicates too.
    s.execute("CREATE TABLE rk.k (id INT PRIMARY KEY, v INT, s VARCHAR(50))");
    s.execute("CREATE TABLE rk.n (a INT, b VARCHAR(200))");
    Load load("rk");
    auto job = jobFor("rt-kill", {"rk"});
    auto options = startingAt(start, 3);
    options.maxBatchRows = 40;  // many small batches: kills land between shares of one batch

    std::mt19937 rng(4242);
    std::uniform_int_distribution<int> pause(150, 900);
    const int kills = 8;
    for (int round = 0; round < kills; ++round) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            RecordingSink sink;
            std::atomic<bool> stop{false};
            try {
                replay::runReplay(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"),
                                  options, sink, stop);
            } catch (const std::exception& e) {
                fprintf(stderr, "replay child failed: %s\n", e.what());
                _exit(1);
            }
            _exit(0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
        ::kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));  // it was still replaying, not failed
    }
    load.stop();
    MESSAGE("source transactions: " << load.count());
    catchUp(job, options);
    checkSame("rk", "k");
    checkSame("rk", "n");
}

TEST_CASE("source_restart_and_binlog_rotation_reconnect_and_resume") {
    freshDatabase("rr");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rr.t (id INT PRIMARY KEY, v VARCHAR(20))");
    sharedTarget().exec("CREATE TABLE rr.t (id INT PRIMARY KEY, v VARCHAR(20))");
    const auto start = sourceNow();
    BackgroundReplay r(jobFor("rt-restart", {"rr"}), startingAt(start, 2));
    for (int i = 0; i < 20; ++i) s.execute("INSERT INTO rr.t VALUES (" + std::to_string(i) + ", 'a')");
    s.execute("FLUSH BINARY LOGS");
    for (int i = 20; i < 40; ++i) s.execute("INSERT INTO rr.t VALUES (" + std::to_string(i) + ", 'b')");
    REQUIRE(waitSame("rr", "t", std::chrono::seconds(20)));
    sharedSource().restart();
    {
        auto s2 = sharedSource().connectRoot();
        for (int i = 40; i < 60; ++i) s2.execute("INSERT INTO rr.t VALUES (" + std::to_string(i) + ", 'c')");
        s2.execute("FLUSH BINARY LOGS");
        s2.execute("FLUSH BINARY LOGS");
        s2.execute("UPDATE rr.t SET v = 'd' WHERE id % 2 = 0");
    }
    CHECK(waitSame("rr", "t", std::chrono::seconds(30)));
    r.stop();
    CHECK(r.sink().noted("retrying"));
}

TEST_CASE("purged_binlog_is_a_non_retryable_error_naming_file_and_retention_setting") {
    DbServer source(ServerOptions::source());
    auto c = source.connectRoot();
    auto first = replay::currentSourcePosition(c);
    c.execute("CREATE DATABASE rp");
    c.execute("FLUSH BINARY LOGS");
    c.execute("FLUSH BINARY LOGS");
    auto latest = replay::currentSourcePosition(c);
    // MariaDB keeps a file until its binlog checkpoint passes it: retry the purge until it is gone.
    for (int i = 0; i < 100; ++i) {
        c.execute("PURGE BINARY LOGS TO " + c.quote(latest.file));
        if (c.query("SHOW BINARY LOGS").text(0, "Log_name") != first.file) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(c.query("SHOW BINARY LOGS").text(0, "Log_name") != first.file);
    replay::ReplayOptions o;
    o.start = replay::Position{first.file, 4, ""};
    o.workers = 1;
    RecordingSink sink;
    std::atomic<bool> stop{false};
    std::thread guard([&] {
        for (int i = 0; i < 300 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop = true;
    });
    struct Join {
        std::thread& t;
        std::atomic<bool>& stop;
        ~Join() {
            stop = true;
            t.join();
        }
    } join{guard, stop};
    try {
        replay::runReplay(jobFor("rt-purged", {"rp"}), source.rootOptions("source"),
                          sharedTarget().rootOptions("target"), o, sink, stop);
        for (auto& n : sink.notes()) MESSAGE(n);
        FAIL("replay from a purged binlog should fail");
    } catch (const replay::ReplayError& e) {
        const std::string msg = e.what();
        CHECK_FALSE(e.retryable());
        CHECK(msg.find(first.file) != std::string::npos);
        CHECK(msg.find("purged") != std::string::npos);
        CHECK(msg.find("binlog_expire_logs_seconds") != std::string::npos);
        CHECK(msg.find("expire_logs_days") != std::string::npos);
    }
}

TEST_CASE("duplicate_key_outside_safe_mode_stops_naming_table_and_key_and_restart_after_error_replaces_it") {
    freshDatabase("rd");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rd.t (id INT PRIMARY KEY, v VARCHAR(20))");
    sharedTarget().exec("CREATE TABLE rd.t (id INT PRIMARY KEY, v VARCHAR(20))");
    const auto start = sourceNow();
    sharedTarget().exec("INSERT INTO rd.t VALUES (5, 'target only')");
    s.execute("INSERT INTO rd.t VALUES (1, 'a'), (2, 'b')");
    s.execute("INSERT INTO rd.t VALUES (5, 'source')");
    s.execute("UPDATE rd.t SET v = 'b2' WHERE id = 2");
    auto job = jobFor("rt-dup", {"rd"});
    try {
        catchUp(job, startingAt(start, 2));
        FAIL("a duplicate key should stop replay");
    } catch (const replay::DuplicateKeyError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("`rd`.`t`") != std::string::npos);
        CHECK(msg.find("Duplicate entry '5'") != std::string::npos);
        CHECK(msg.find("PRIMARY") != std::string::npos);
    }
    auto options = startingAt(start, 2);
    options.restartAfterError = true;
    RecordingSink sink;
    catchUp(job, options, &sink);
    checkSame("rd", "t");
    CHECK(sink.last()["safeMode"].get<bool>());  // for safeModeDuration after the restart
    CHECK(!sink.last()["safeModeUntil"].get<std::string>().empty());
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT v FROM rd.t WHERE id = 5") == std::optional<std::string>("source"));
}

TEST_CASE("safe_mode_until_snapshot_position_absorbs_rows_the_copy_already_wrote") {
    freshDatabase("rs");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rs.t (id INT PRIMARY KEY, v VARCHAR(20))");
    sharedTarget().exec("CREATE TABLE rs.t (id INT PRIMARY KEY, v VARCHAR(20))");
    const auto replayFrom = sourceNow();
    s.execute("INSERT INTO rs.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    s.execute("UPDATE rs.t SET v = 'b2' WHERE id = 2");
    const auto snapshot = sourceNow();
    // What a copy at `snapshot` wrote:
    sharedTarget().exec("INSERT INTO rs.t VALUES (1, 'a'), (2, 'b2'), (3, 'c')");
    s.execute("INSERT INTO rs.t VALUES (4, 'd')");
    s.execute("DELETE FROM rs.t WHERE id = 1");
    auto options = startingAt(replayFrom, 2);
    options.safeUntil = snapshot;
    catchUp(jobFor("rt-safe", {"rs"}), options);
    checkSame("rs", "t");
}

TEST_CASE("minimal_row_images_with_full_metadata_replay_defaults_and_partial_updates") {
    auto so = ServerOptions::source();
    so.name = "minimal";
    so.rowImage = "MINIMAL";
    so.rowMetadata = "FULL";
    DbServer source(so);
    auto s = source.connectRoot();
    s.execute("CREATE DATABASE rm");
    s.execute(
        "CREATE TABLE rm.t (id INT PRIMARY KEY, a INT DEFAULT 7, b VARCHAR(20) DEFAULT 'dflt', "
        "c BIGINT UNSIGNED, e ENUM('x','y') DEFAULT 'y')");
    s.execute("CREATE TABLE rm.n (a INT, b VARCHAR(20))");
    sharedTarget().exec("DROP DATABASE IF EXISTS rm");
    sharedTarget().exec("CREATE DATABASE rm");
    sharedTarget().exec(
        "CREATE TABLE rm.t (id INT PRIMARY KEY, a INT DEFAULT 7, b VARCHAR(20) DEFAULT 'dflt', "
        "c BIGINT UNSIGNED, e ENUM('x','y') DEFAULT 'y')");
    sharedTarget().exec("CREATE TABLE rm.n (a INT, b VARCHAR(20))");
    auto start = replay::currentSourcePosition(s);
    s.execute("INSERT INTO rm.t (id) VALUES (1), (2), (3)");
    s.execute("INSERT INTO rm.t (id, c, e) VALUES (4, 18446744073709551615, 'x')");
    s.execute("UPDATE rm.t SET b = 'changed' WHERE id = 2");
    s.execute("UPDATE rm.t SET a = a + 1, c = 5 WHERE id IN (1, 4)");
    s.execute("DELETE FROM rm.t WHERE id = 3");
    s.execute("INSERT INTO rm.n VALUES (1, 'a'), (1, 'a'), (2, 'b')");
    s.execute("UPDATE rm.n SET b = 'z' WHERE a = 1 LIMIT 1");
    s.execute("DELETE FROM rm.n WHERE a = 1 LIMIT 1");
    auto stopAt = replay::currentSourcePosition(s);
    replay::ReplayOptions o;
    o.start = start;
    o.stopAt = stopAt;
    o.workers = 2;
    RecordingSink sink;
    std::atomic<bool> stop{false};
    replay::runReplay(jobFor("rt-minimal", {"rm"}), source.rootOptions("source"), sharedTarget().rootOptions("target"),
                      o, sink, stop);
    auto t = sharedTarget().connectRoot();
    for (const char* table : {"t", "n"}) {
        auto a = tableRows(s, "rm", table);
        auto b = tableRows(t, "rm", table);
        CHECK(a == b);
    }
}

TEST_CASE("a_ddl_that_ran_before_a_crash_but_missed_its_checkpoint_counts_as_applied") {
    freshDatabase("rw");
    freshDatabase("rw_other");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rw.t (id INT PRIMARY KEY)");
    s.execute("CREATE TABLE rw_other.x (id INT PRIMARY KEY)");
    sharedTarget().exec("CREATE TABLE rw.t (id INT PRIMARY KEY)");
    const auto start = sourceNow();
    s.execute("INSERT INTO rw_other.x VALUES (1)");  // not selected: only moves the stream
    s.execute("ALTER TABLE rw.t ADD COLUMN v INT NOT NULL DEFAULT 3");
    s.execute("INSERT INTO rw.t VALUES (1, 1)");
    // The crashed run had applied the ALTER on the target, but not its checkpoint.
    sharedTarget().exec("ALTER TABLE rw.t ADD COLUMN v INT NOT NULL DEFAULT 3");
    RecordingSink sink;
    catchUp(jobFor("rt-ddl-window", {"rw"}), startingAt(start, 2), &sink);
    checkSame("rw", "t");
    CHECK(sink.noted("already applied: ALTER TABLE"));
}

TEST_CASE("target_connections_killed_mid_batch_are_retried_without_loss_or_duplicates") {
    freshDatabase("rx");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rx.k (id INT PRIMARY KEY, v INT, s VARCHAR(50))");
    s.execute("CREATE TABLE rx.n (a INT, b VARCHAR(200))");
    sharedTarget().exec("CREATE TABLE rx.k (id INT PRIMARY KEY, v INT, s VARCHAR(50))");
    sharedTarget().exec("CREATE TABLE rx.n (a INT, b VARCHAR(200))");
    const auto start = sourceNow();
    auto job = jobFor("rt-target-kill", {"rx"});
    auto options = startingAt(start, 3);
    options.maxBatchRows = 30;
    {
        Load load("rx");
        BackgroundReplay r(job, options);
        auto t = sharedTarget().connectRoot();
        for (int round = 0; round < 15; ++round) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            auto ids = t.query(
                "SELECT connection_id FROM tidemark_meta.replay_fence WHERE job = 'rt-target-kill' AND "
                "connection_id <> 0");
            for (auto& row : ids.rows) {
                try {
                    t.execute("KILL CONNECTION " + row[0].value_or("0"));
                } catch (const db::DbError&) {}
            }
        }
        load.stop();
        CHECK(waitSame("rx", "k", std::chrono::seconds(30)));
        CHECK(waitSame("rx", "n", std::chrono::seconds(30)));
        r.stop();
    }
    checkSame("rx", "k");
    checkSame("rx", "n");
}

// A KILL or KILL QUERY of the source's dump thread (what an operator or a proxy does to a stuck
// replica) and a source restart under load are interruptions, not failures: replay reconnects
// from its last checkpoint each time and the target ends up with the source's rows, none lost or
// doubled.
TEST_CASE("killing_the_dump_thread_and_restarting_the_source_mid_replay_lose_nothing") {
    createLoadTables(sharedSource(), "rkd");
    const auto start = sourceNow();
    auto options = startingAt(start, 3);
    options.maxBatchRows = 50;
    BackgroundReplay r(jobFor("rt-kill-dump", {"rkd"}), options);
    std::set<std::string> killed;
    auto killDumpThreads = [&](int rounds) {
        for (int round = 0; round < rounds; ++round) {
            auto id = newDumpThread(sharedSource(), killed);
            if (!id) {
                for (auto& n : r.sink().notes()) MESSAGE(n);
                FAIL("replay did not (re)connect to the source");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            const bool queryOnly = killed.size() % 2 == 1;
            auto kill = [&](const char* how) {
                try {
                    sharedSource().exec(how + *id);
                } catch (const db::DbError& e) {
                    if (e.code() != 1094) throw;  // unknown thread: it ended by itself meanwhile
                }
            };
            kill(queryOnly ? "KILL QUERY " : "KILL ");
            killed.insert(*id);
            // KILL QUERY ends a dump thread only when it is not busy sending: end it for good then.
            for (int i = 0; queryOnly && i < 50 && dumpThreads(sharedSource()).count(*id); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (queryOnly && dumpThreads(sharedSource()).count(*id)) {
                MESSAGE("KILL QUERY left dump thread " << *id << " running; KILL");
                kill("KILL ");
            }
        }
    };
    int next = 1;
    {
        Load load("rkd");
        killDumpThreads(4);
        load.stop();
        next = load.count() + 1;
    }
    REQUIRE(newDumpThread(sharedSource(), killed));
    sharedSource().restart();
    killed.clear();  // a restarted server numbers its connections afresh
    {
        Load load("rkd", sharedSource(), next);
        killDumpThreads(2);
        load.stop();
    }
    CHECK(waitSame("rkd", "k", std::chrono::seconds(60)));
    CHECK(waitSame("rkd", "n", std::chrono::seconds(60)));
    r.stop();                      // rethrows if replay gave up
    std::set<std::string> causes;  // what the source said each time, for the log
    for (auto& n : r.sink().notes())
        if (n.find("retrying") != std::string::npos) causes.insert(n.substr(n.find(": ", n.find("source")) + 2));
    for (auto& c : causes) MESSAGE(c);
    CHECK(r.sink().noted("binlog stream interrupted"));
    checkSame("rkd", "k");
    checkSame("rkd", "n");
}

// A failover: the job's source dies and a replica of it (same GTIDs, other binlog file names and
// offsets) takes over. The checkpoint's GTID set resumes replay there by auto-positioning.
TEST_CASE("failover_to_a_gtid_replica_with_other_binlog_names_continues_without_loss_or_duplicates") {
    if (!sharedSource().isMySql()) {
        MESSAGE(
            "skipped on MariaDB: replay resumes a MariaDB source by file position; following a failover by "
            "MariaDB GTID position (@slave_connect_state per domain) is not implemented");
        return;
    }
    auto po = ServerOptions::source();
    po.name = "primary";
    DbServer primary(po);
    auto ro = ServerOptions::source();
    ro.name = "replica";
    ro.extraArgs = {"--log-bin=replica-bin", "--skip-replica-start"};  // the last --log-bin wins
    DbServer replica(ro);
    createLoadTables(primary, "rf");
    auto rc = replica.connectRoot();
    rc.execute("FLUSH BINARY LOGS");  // its files and offsets differ from the primary's
    rc.execute("FLUSH BINARY LOGS");
    rc.execute(
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '127.0.0.1', SOURCE_PORT = " + std::to_string(primary.port()) +
        ", SOURCE_USER = 'root', SOURCE_PASSWORD = '', SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1");
    rc.execute("START REPLICA");
    auto pc = primary.connectRoot();
    auto waitReplica = [&] {
        auto set = replay::currentSourcePosition(pc).gtidSet;
        auto done = rc.scalar("SELECT WAIT_FOR_EXECUTED_GTID_SET(" + rc.quote(set) + ", 60)");
        const std::string log = replica.errorLog();
        REQUIRE_MESSAGE(done == std::optional<std::string>("0"),
                        "the replica did not catch up; its error log ends:\n"
                            << log.substr(log.size() - std::min<size_t>(log.size(), 1500)));
    };
    waitReplica();  // the tables exist there too

    auto job = jobFor("rt-failover", {"rf"});
    auto options = startingAt(replay::currentSourcePosition(pc), 2);
    options.maxBatchRows = 40;
    auto replayOnce = [&](const DbServer& source) {
        auto c = source.connectRoot();
        auto o = options;
        o.stopAt = replay::currentSourcePosition(c);
        RecordingSink sink;
        std::atomic<bool> stop{false};
        replay::runReplay(job, source.rootOptions("source"), sharedTarget().rootOptions("target"), o, sink, stop);
    };

    int next = 1;
    {
        Load load("rf", primary);
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        load.stop();
        next = load.count() + 1;
    }
    replayOnce(primary);  // the target now holds the first part, checkpointed by GTID set
    {
        Load load("rf", primary, next);  // reaches the replica, not the target
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        load.stop();
        next = load.count() + 1;
    }
    waitReplica();
    primary.stop();
    rc.execute("STOP REPLICA");
    rc.execute("RESET REPLICA ALL");
    {
        Load load("rf", replica, next);  // the new source's own writes
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        load.stop();
    }
    const auto onReplica = replay::currentSourcePosition(rc);
    REQUIRE(onReplica.file.starts_with("replica-bin."));
    replayOnce(replica);

    auto t = sharedTarget().connectRoot();
    for (const char* table : {"k", "n"}) {
        CAPTURE(table);
        auto a = tableRows(rc, "rf", table);
        auto b = tableRows(t, "rf", table);
        CHECK(a.size() == b.size());
        CHECK(a == b);
    }
    auto cp = t.query(
        "SELECT end_file, end_gtid FROM tidemark_meta.replay_checkpoint "
        "WHERE job = 'rt-failover' AND worker = 0");
    REQUIRE(cp.size() == 1);
    CHECK(cp.text(0, "end_file").starts_with("replica-bin."));
    CHECK(replay::GtidSet::parse(cp.text(0, "end_gtid")).text() == replay::GtidSet::parse(onReplica.gtidSet).text());
}
