// The snapshot's lock never holds the source's writes up for long, and is never silently left
// out: a long query on a selected table neither blocks the lock nor leaves the table's writes
// waiting (as a FLUSH TABLES WITH READ LOCK that gave up would); an open transaction makes
// LOCK TABLES give way within lock_wait_timeout (MySQL then takes FTWRL, which does not wait
// for it); a user who may take neither lock on MySQL gets one line naming the privileges,
// while MariaDB keeps its snapshot without a lock.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

#include <random>
#include <thread>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

const char* kDb = "lock_db";

// t: 500 counters, w: a row per writer transaction, which also adds 1 to one counter of t.
void createTables() {
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE lock_db");
    s.execute("CREATE TABLE lock_db.t (id INT PRIMARY KEY, n BIGINT NOT NULL, pad VARCHAR(100))");
    s.execute("INSERT INTO lock_db.t SELECT seq, 0, REPEAT('p', 100) FROM " + numbers(500));
    s.execute("CREATE TABLE lock_db.w (id INT AUTO_INCREMENT PRIMARY KEY, t_id INT NOT NULL)");
}

// A statement on its own connection and thread, until the destructor kills it. The constructor
// returns once it has run for a second (SHOW PROCESSLIST counts whole seconds).
class Running {
public:
    explicit Running(const std::string& sql) : conn_(source().connectRoot()), id_(conn_.threadId()) {
        thread_ = std::thread([this, sql] {
            try {
                conn_.query(sql);
            } catch (const db::DbError&) {}
            finished_ = true;
        });
        auto root = source().connectRoot();
        while (seconds(root) < 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ~Running() {
        try {
            source().connectRoot().execute("KILL QUERY " + std::to_string(id_));
        } catch (const db::DbError&) {}
        thread_.join();
    }
    // True while the statement runs (SHOW PROCESSLIST lists it as a query).
    bool running(db::Connection& root) const { return seconds(root) >= 0; }

private:
    // How long the statement has run, -1 when it does not.
    int seconds(db::Connection& root) const {
        if (finished_) return -1;
        auto rows = root.query("SHOW PROCESSLIST");
        for (std::size_t i = 0; i < rows.size(); ++i)
            if (rows.text(i, "Id") == std::to_string(id_) && rows.text(i, "Command") == "Query")
                return std::stoi(rows.text(i, "Time"));
        return -1;
    }

    db::Connection conn_;
    unsigned long id_;
    std::thread thread_;
    std::atomic<bool> finished_{false};
};

// Transactions that add a row to w and 1 to a counter of t (never the last, id 500), until stopped.
class Writer {
public:
    Writer() {
        thread_ = std::thread([this] {
            auto w = source().connectRoot();
            std::mt19937 rng(11);
            while (!stop_) {
                const std::string id = std::to_string(1 + rng() % 499);
                w.execute("START TRANSACTION");
                w.execute("UPDATE lock_db.t SET n = n + 1 WHERE id = " + id);
                w.execute("INSERT INTO lock_db.w (t_id) VALUES (" + id + ")");
                w.execute("COMMIT");
                ++committed;
            }
        });
        while (committed < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ~Writer() { finish(); }
    void finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::atomic<int> committed{0};

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The target holds exactly the writer transactions of the snapshot: as many rows in w as
// counted in t, as many as the snapshot's GTID set holds beyond `base`.
void checkConsistent(const copy::FullCopyResult& r, std::uint64_t base) {
    REQUIRE_FALSE(r.replayFrom.gtidSet.empty());
    const std::uint64_t inSnapshot = gtidTransactions(r.replayFrom.gtidSet) - base;
    MESSAGE("writer transactions in the snapshot: " << inSnapshot);
    auto t = target().connectRoot();
    CHECK(count(t, "lock_db.w") == inSnapshot);
    CHECK(t.scalar("SELECT SUM(n) FROM lock_db.t") == std::optional<std::string>(std::to_string(inSnapshot)));
    CHECK(count(t, "lock_db.t") == 500);
    // w on the source, less the rows written after the snapshot, is w on the target.
    auto s = source().connectRoot();
    s.execute("DELETE FROM lock_db.w WHERE id > " + std::to_string(inSnapshot));
    CHECK(hexRows(s, kDb, "w") == hexRows(t, kDb, "w"));
}

bool noted(RecordingSink& sink, const std::string& text) {
    for (auto& n : sink.notes())
        if (n.find(text) != std::string::npos) return true;
    return false;
}

copy::CopyOptions lockOptions() {
    auto o = testOptions(100, 0.2, 2);
    o.lockWaitSeconds = 1;
    o.lockAttempts = 2;
    return o;
}

// A user who may read, see the binlog position and the process list, and not lock tables.
db::ConnectOptions userWith(const std::string& name, std::vector<std::string> grants) {
    source().exec("DROP USER IF EXISTS '" + name + "'@'%'");
    grants.insert(grants.begin(), {"SELECT ON *.*", "REPLICATION CLIENT ON *.*"});
    return source().createUser(name, "pw-" + name, grants, "source");
}

}  // namespace

TEST_CASE("a long query on a selected table neither blocks the snapshot nor leaves the table's writes waiting") {
    reset("long-query", {kDb});
    createTables();
    auto s = source().connectRoot();
    const std::uint64_t base = gtidTransactions(sourceGtidSet(s));
    Writer writer;
    Running longQuery("SELECT SLEEP(120) FROM lock_db.t LIMIT 1");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = lockOptions();
    options.afterSnapshot = [] {
        // Once the snapshot is taken, a write to the table of the long query goes through (it
        // would wait for the long query if the lock had left the table flushed).
        auto c = source().connectRoot();
        c.execute("SET SESSION lock_wait_timeout = 5");
        c.execute("INSERT INTO lock_db.t VALUES (100000, 0, 'after the snapshot')");
    };
    auto r = copy::runFullCopy(job("long-query", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
    auto root = source().connectRoot();
    CHECK(longQuery.running(root));  // the lock did not wait for it
    const int atEnd = writer.committed;
    writer.finish();
    MESSAGE("writer transactions committed by the end of the copy: " << atEnd);
    if (source().isMySql()) CHECK(noted(sink, "via LOCK TABLES ... READ"));
    else CHECK(noted(sink, "via MariaDB consistent snapshot, no lock"));
    checkConsistent(r, base);
}

TEST_CASE("an open transaction on a selected table makes LOCK TABLES give way within lock_wait_timeout") {
    reset("open-trx", {kDb});
    createTables();
    auto s = source().connectRoot();
    const std::uint64_t base = gtidTransactions(sourceGtidSet(s));
    // Writes a selected table and stays open: LOCK TABLES ... READ waits for its end.
    auto open = source().connectRoot();
    open.execute("START TRANSACTION");
    open.execute("UPDATE lock_db.t SET pad = 'open' WHERE id = 500");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = lockOptions();

    SUBCASE("LOCK TABLES only: the copy fails, retryably, saying what waited") {
        options.snapshot = copy::SnapshotMethod::LockTables;
        if (source().isMySql()) {
            try {
                copy::runFullCopy(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
                FAIL("the copy should have failed");
            } catch (const db::DbError& e) {
                const std::string msg = e.what();
                MESSAGE(msg);
                CHECK(e.retryable());
                CHECK(msg.find("source 127.0.0.1:" + std::to_string(source().port()) +
                               ": cannot take a consistent snapshot of MySQL: LOCK TABLES ... READ waited 1 s "
                               "(lock_wait_timeout) in vain 2 time(s) for transactions writing the selected "
                               "tables") == 0);
                CHECK(msg.find("SHOW PROCESSLIST") != std::string::npos);
                CHECK(msg.find('\n') == std::string::npos);
            }
            // Resumable: once the transaction ends, the copy runs.
            open.execute("ROLLBACK");
            auto r = copy::runFullCopy(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
            CHECK(r.resumed);
            CHECK(copy::verify(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink).identical);
        } else {
            // MariaDB's snapshots carry their binlog positions: without the lock the copy is
            // consistent between the readers' positions, replayed idempotently.
            auto r = copy::runFullCopy(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
            CHECK(noted(sink, "via no lock granted: snapshots between two positions"));
            CHECK_FALSE(r.replayFrom.file.empty());
            open.execute("ROLLBACK");
            CHECK(copy::verify(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink).identical);
        }
    }
    SUBCASE("Auto: the snapshot is taken all the same, and the open transaction is not in it") {
        Writer writer;
        auto r = copy::runFullCopy(job("open-trx", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
        writer.finish();
        // MySQL: FTWRL does not wait for a transaction between statements (it cannot commit
        // until the lock is gone). MariaDB: no lock at all.
        CHECK(noted(sink, source().isMySql() ? "via FLUSH TABLES WITH READ LOCK" : "via MariaDB consistent snapshot"));
        open.execute("ROLLBACK");
        checkConsistent(r, base);
    }
}

TEST_CASE("without LOCK TABLES and RELOAD a MySQL source is a one-line error naming them, and MariaDB needs neither") {
    reset("no-lock-privilege", {kDb});
    createTables();
    auto user = userWith("nolocks", {});
    RecordingSink sink;
    std::atomic<bool> stop{false};
    if (source().isMySql()) {
        try {
            copy::runFullCopy(job("no-lock-privilege", {kDb}), user, targetOptions(), sink, stop, lockOptions());
            FAIL("the copy should have failed");
        } catch (const copy::CopyError& e) {
            const std::string msg = e.what();
            MESSAGE(msg);
            CHECK(msg ==
                  "source 127.0.0.1:" + std::to_string(source().port()) +
                      ": cannot take a consistent snapshot of MySQL: user 'nolocks'@'%' may not take LOCK "
                      "TABLES ... READ on the selected tables (GRANT LOCK TABLES ON `lock_db`.* TO "
                      "'nolocks'@'%') nor FLUSH TABLES WITH READ LOCK (GRANT RELOAD ON *.* TO 'nolocks'@'%'), "
                      "and without a lock a MySQL source has no consistent snapshot; grant one of them");
            CHECK(msg.find("pw-nolocks") == std::string::npos);
        }
        auto t = target().connectRoot();
        CHECK(count(t, "lock_db.t") == 0);
    } else {
        auto r = copy::runFullCopy(job("no-lock-privilege", {kDb}), user, targetOptions(), sink, stop, lockOptions());
        CHECK(noted(sink, "via MariaDB consistent snapshot, no lock"));
        CHECK(r.replayFrom == r.safeUntil);
    }
    // LOCK TABLES alone is enough, on either flavor.
    reset("lock-tables-privilege", {kDb});
    createTables();
    auto locks = userWith("locktables", {"LOCK TABLES ON lock_db.*"});
    auto options = lockOptions();
    options.snapshot = copy::SnapshotMethod::LockTables;
    auto r = copy::runFullCopy(job("lock-tables-privilege", {kDb}), locks, targetOptions(), sink, stop, options);
    CHECK(noted(sink, "via LOCK TABLES ... READ"));
    CHECK(r.replayFrom == r.safeUntil);
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    CHECK(hexRows(s, kDb, "t") == hexRows(t, kDb, "t"));
}

TEST_CASE("FLUSH TABLES WITH READ LOCK is not tried while a long statement runs, so writes never wait behind it") {
    reset("ftwrl-guard", {kDb});
    createTables();
    // May take FTWRL and see every session, not LOCK TABLES.
    auto user = userWith("ftwrl", {"RELOAD ON *.*", "PROCESS ON *.*"});
    Running longQuery("SELECT SLEEP(120) FROM lock_db.t LIMIT 1");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    if (source().isMySql()) {
        try {
            copy::runFullCopy(job("ftwrl-guard", {kDb}), user, targetOptions(), sink, stop, lockOptions());
            FAIL("the copy should have failed");
        } catch (const db::DbError& e) {
            const std::string msg = e.what();
            MESSAGE(msg);
            CHECK(e.retryable());
            CHECK(msg.find("FLUSH TABLES WITH READ LOCK was not tried while statement ") != std::string::npos);
            CHECK(msg.find("GRANT LOCK TABLES ON `lock_db`.* TO 'ftwrl'@'%' (it needs no table flush)") !=
                  std::string::npos);
        }
    } else {
        copy::runFullCopy(job("ftwrl-guard", {kDb}), user, targetOptions(), sink, stop, lockOptions());
        CHECK(noted(sink, "via MariaDB consistent snapshot, no lock"));
    }
    // The table of the long query takes writes (an FTWRL that gave up would have left it
    // flushed: this would wait for the long query, and time out).
    auto c = source().connectRoot();
    c.execute("SET SESSION lock_wait_timeout = 5");
    c.execute("UPDATE lock_db.t SET n = n + 1 WHERE id = 1");
    auto root = source().connectRoot();
    CHECK(longQuery.running(root));
}
