// The copy end to end on real servers: consistency while the source keeps writing, awkward
// identifiers, existing target tables, physical mode's empty-target rule, and clear errors
// when a source table is dropped or the target goes away.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

#include <cstdio>
#include <random>
#include <thread>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

void consistentWhileWriting(const std::string& jobName, copy::SnapshotMethod method) {
    const std::string dbName = "bank_" + std::to_string(static_cast<int>(method));
    reset(jobName, {dbName});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + dbName);
    s.execute("CREATE TABLE " + dbName + ".accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
    s.execute("CREATE TABLE " + dbName + ".ledger (id INT AUTO_INCREMENT PRIMARY KEY, amount INT NOT NULL)");
    std::string values;
    for (int i = 1; i <= 300; ++i) values += (i > 1 ? "," : "") + std::string("(") + std::to_string(i) + ",1000)";
    s.execute("INSERT INTO " + dbName + ".accounts VALUES " + values);

    const std::uint64_t base = gtidTransactions(sourceGtidSet(s));
    std::atomic<bool> stopWriting{false};
    std::atomic<int> committed{0};
    std::thread writer([&] {
        auto w = source().connectRoot();
        std::mt19937 rng(7);
        while (!stopWriting) {
            const int from = 1 + static_cast<int>(rng() % 300), to = 1 + static_cast<int>(rng() % 300);
            const int amount = 1 + static_cast<int>(rng() % 50);
            w.execute("START TRANSACTION");
            w.execute("UPDATE " + dbName + ".accounts SET balance = balance - " + std::to_string(amount) +
                      " WHERE id = " + std::to_string(from));
            w.execute("UPDATE " + dbName + ".accounts SET balance = balance + " + std::to_string(amount) +
                      " WHERE id = " + std::to_string(to));
            w.execute("INSERT INTO " + dbName + ".ledger (amount) VALUES (" + std::to_string(amount) + ")");
            w.execute("COMMIT");
            ++committed;
        }
    });
    while (committed < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));

    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = testOptions(20, 0.05, 4);
    options.snapshot = method;
    auto r = copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, options);
    const int atEnd = committed;
    stopWriting = true;
    writer.join();

    CHECK(r.replayFrom == r.safeUntil);
    REQUIRE_FALSE(r.replayFrom.file.empty());
    const std::uint64_t inSnapshot = gtidTransactions(r.replayFrom.gtidSet) - base;
    MESSAGE("transactions in the snapshot: " << inSnapshot << ", committed by the end of the copy: " << atEnd);
    CHECK(inSnapshot >= 100);
    CHECK(static_cast<int>(inSnapshot) < committed.load());

    auto t = target().connectRoot();
    CHECK(t.scalar("SELECT SUM(balance) FROM " + dbName + ".accounts") == std::optional<std::string>("300000"));
    CHECK(count(t, dbName + ".ledger") == inSnapshot);
    CHECK(t.scalar("SELECT MAX(id) FROM " + dbName + ".ledger") ==
          std::optional<std::string>(std::to_string(inSnapshot)));

    // Undo the ledger rows written after the snapshot on the source: then the ledgers are identical.
    s.execute("DELETE FROM " + dbName + ".ledger WHERE id > " + std::to_string(inSnapshot));
    CHECK(hexRows(s, dbName, "ledger") == hexRows(t, dbName, "ledger"));
    auto status = sink.last("fullCopy");
    CHECK(status["tablesDone"] == 2);
    CHECK(status["rowsCopied"].get<std::uint64_t>() == 300 + inSnapshot);
    CHECK(status["snapshotPosition"]["file"] == r.replayFrom.file);
    CHECK(status["percent"] == 100.0);
    // MariaDB proves one snapshot without a lock; MySQL has no way to but a lock.
    const bool locks = method == copy::SnapshotMethod::LockTables || source().isMySql();
    CHECK((r.lockSeconds > 0) == locks);
}

}  // namespace

TEST_CASE(
    "a snapshot taken while another connection keeps writing is consistent at its position (MariaDB without a lock, "
    "MySQL under LOCK TABLES)") {
    consistentWhileWriting("consistent-auto", copy::SnapshotMethod::Auto);
}

TEST_CASE("a snapshot taken under LOCK TABLES while writes go on is consistent at its position") {
    consistentWhileWriting("consistent-lock", copy::SnapshotMethod::LockTables);
}

TEST_CASE("identifiers with backticks, spaces, unicode and reserved words") {
    const std::string dbName = "we`ird db \xC3\xBC";
    reset("identifiers", {dbName});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + db::quoteIdent(dbName));
    const auto t1 = db::qualified(dbName, "select");
    const auto t2 = db::qualified(dbName,
                                  "t\xC3\xA5"
                                  "ble with `space`");
    s.execute("CREATE TABLE " + t1 +
              " (`order` INT PRIMARY KEY, `my col` VARCHAR(20), `from` INT, KEY `where` (`from`))");
    s.execute("CREATE TABLE " + t2 +
              " (`k\xC3\xBC` VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL, `n` INT NOT NULL, "
              "`v` TEXT, PRIMARY KEY (`k\xC3\xBC`, `n`))");
    for (int i = 1; i <= 40; ++i) {
        s.execute("INSERT INTO " + t1 + " VALUES (" + std::to_string(i) + ", 'v" + std::to_string(i) + "', " +
                  std::to_string(i % 7) + ")");
        s.execute("INSERT INTO " + t2 + " VALUES ('" + std::string(i % 2 ? "\xC3\xBC" : "u") + std::to_string(i % 5) +
                  "', " + std::to_string(i) + ", 'x')");
    }
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r =
        copy::runFullCopy(job("identifiers", {dbName}), sourceOptions(), targetOptions(), sink, stop, testOptions(7));
    CHECK(r.rows == 80);
    auto t = target().connectRoot();
    CHECK(hexRows(s, dbName, "select") == hexRows(t, dbName, "select"));
    CHECK(hexRows(s, dbName,
                  "t\xC3\xA5"
                  "ble with `space`") ==
          hexRows(t, dbName,
                  "t\xC3\xA5"
                  "ble with `space`"));
    // The deferred index is there after the copy.
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " + t.quote(dbName) +
                   " AND INDEX_NAME = 'where'") == std::optional<std::string>("1"));
    auto v = copy::verify(job("identifiers", {dbName}), sourceOptions(), targetOptions(), sink, testOptions(7));
    CHECK(v.identical);
    CHECK(v.rowsCompared == 80);
}

TEST_CASE("logical mode reuses an existing table with the same columns and replaces duplicate keys") {
    reset("existing", {"existing_db"});
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (auto* c : {&s, &t}) {
        c->execute("CREATE DATABASE existing_db");
        c->execute("CREATE TABLE existing_db.t (id INT PRIMARY KEY, v VARCHAR(10))");
    }
    s.execute("INSERT INTO existing_db.t VALUES (1, 'source'), (2, 'source')");
    t.execute("INSERT INTO existing_db.t VALUES (1, 'old'), (999, 'extra')");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    copy::runFullCopy(job("existing", {"existing_db"}), sourceOptions(), targetOptions(), sink, stop, testOptions());
    CHECK(t.scalar("SELECT GROUP_CONCAT(id, ':', v ORDER BY id) FROM existing_db.t") ==
          std::optional<std::string>("1:source,2:source,999:extra"));
    // Verify sees the extra row.
    auto v = copy::verify(job("existing", {"existing_db"}), sourceOptions(), targetOptions(), sink);
    CHECK_FALSE(v.identical);
    REQUIRE(v.differences.size() == 1);
    CHECK(v.differences[0].text().find("`existing_db`.`t`") == 0);
    CHECK(v.differences[0].database == "existing_db");
    CHECK(v.differences[0].table == "t");
}

TEST_CASE("a value the target would change fails the copy, naming the table and chunk") {
    auto options = testOptions();
    SUBCASE("prepared statements") { options.batchBytes = 1; }
    SUBCASE("plain statements") { options.batchBytes = 1u << 30; }
    reset("narrow", {"narrow_db"});
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    s.execute("CREATE DATABASE narrow_db");
    s.execute("CREATE TABLE narrow_db.t (id INT PRIMARY KEY, v VARCHAR(20))");
    s.execute("INSERT INTO narrow_db.t VALUES (1, 'short'), (2, 'much too long for it')");
    t.execute("CREATE DATABASE narrow_db");
    t.execute("CREATE TABLE narrow_db.t (id INT PRIMARY KEY, v VARCHAR(5))");  // same columns, narrower
    RecordingSink sink;
    std::atomic<bool> stop{false};
    CHECK_THROWS_WITH_AS(
        copy::runFullCopy(job("narrow", {"narrow_db"}), sourceOptions(), targetOptions(), sink, stop, options),
        doctest::Contains("writing `narrow_db`.`t` chunk 1/1: the target changed a value"), copy::CopyError);
}

TEST_CASE("a target that refuses prepared statements gets plain ones") {
    reset("no-prepare", {"noprep_db"});
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    s.execute("CREATE DATABASE noprep_db");
    s.execute("CREATE TABLE noprep_db.t (id INT PRIMARY KEY, v VARCHAR(20))");
    s.execute("INSERT INTO noprep_db.t SELECT seq, CONCAT('v', seq) FROM " + numbers(500));
    t.execute("SET GLOBAL max_prepared_stmt_count = 0");
    auto options = testOptions();
    options.batchBytes = 1;  // every batch a full one: all would be prepared
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r = copy::runFullCopy(job("no-prepare", {"noprep_db"}), sourceOptions(), targetOptions(), sink, stop, options);
    t.execute("SET GLOBAL max_prepared_stmt_count = DEFAULT");
    CHECK(r.rows == 500);
    CHECK(copy::verify(job("no-prepare", {"noprep_db"}), sourceOptions(), targetOptions(), sink).identical);
}

TEST_CASE("an existing target table with other columns is a clear error naming it") {
    reset("mismatch", {"mismatch_db"});
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    s.execute("CREATE DATABASE mismatch_db");
    s.execute("CREATE TABLE mismatch_db.t (id INT PRIMARY KEY, v INT)");
    t.execute("CREATE DATABASE mismatch_db");
    t.execute("CREATE TABLE mismatch_db.t (id INT PRIMARY KEY, w INT)");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    CHECK_THROWS_WITH_AS(
        copy::runFullCopy(job("mismatch", {"mismatch_db"}), sourceOptions(), targetOptions(), sink, stop,
                          testOptions()),
        doctest::Contains("table `mismatch_db`.`t` exists with different columns (source: id, v; target: id, w)"),
        copy::CopyError);
}

TEST_CASE("physical mode refuses a non-empty target table, naming it") {
    reset("phys-nonempty", {"phys_ne"});
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (auto* c : {&s, &t}) {
        c->execute("CREATE DATABASE phys_ne");
        c->execute("CREATE TABLE phys_ne.t (id INT PRIMARY KEY)");
        c->execute("CREATE TABLE phys_ne.empty (id INT PRIMARY KEY)");
    }
    s.execute("INSERT INTO phys_ne.t VALUES (1), (2)");
    t.execute("INSERT INTO phys_ne.t VALUES (7)");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    CHECK_THROWS_WITH_AS(copy::runFullCopy(job("phys-nonempty", {"phys_ne"}, api::FullMode::Physical), sourceOptions(),
                                           targetOptions(), sink, stop, testOptions()),
                         doctest::Contains("physical mode needs empty target tables, and `phys_ne`.`t` holds rows"),
                         copy::CopyError);
    CHECK(count(t, "phys_ne.t") == 1);  // untouched
}

TEST_CASE("a source table dropped during the copy is a clear error and the copy stays resumable") {
    reset("dropped", {"drop_db"});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE drop_db");
    s.execute("CREATE TABLE drop_db.a (id INT PRIMARY KEY, v VARCHAR(20))");
    s.execute("CREATE TABLE drop_db.b (id INT PRIMARY KEY)");
    s.execute("INSERT INTO drop_db.a SELECT seq, 'x' FROM " + numbers(500));
    s.execute("INSERT INTO drop_db.b VALUES (1)");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = testOptions(50, -1, 1);
    options.afterSnapshot = [] { source().exec("DROP TABLE drop_db.b"); };
    try {
        copy::runFullCopy(job("dropped", {"drop_db"}), sourceOptions(), targetOptions(), sink, stop, options);
        FAIL("the copy should have failed");
    } catch (const db::DbError& e) {
        const std::string msg = e.what();
        MESSAGE(msg);
        CHECK(msg.find("source 127.0.0.1:" + std::to_string(source().port())) == 0);
        CHECK(msg.find("`drop_db`.`b`") != std::string::npos);
        CHECK(msg.find("dropped or altered on the source") != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
    // Run again: the table is gone from the selection, the rest completes from the checkpoint.
    auto r =
        copy::runFullCopy(job("dropped", {"drop_db"}), sourceOptions(), targetOptions(), sink, stop, testOptions(50));
    CHECK(r.resumed);
    CHECK(copy::verify(job("dropped", {"drop_db"}), sourceOptions(), targetOptions(), sink).identical == false);
    auto t = target().connectRoot();
    CHECK(count(t, "drop_db.a") == 500);
}

TEST_CASE("a target that goes away is a clear error and the copy resumes once it is back") {
    testing::DbServer lonely(testing::ServerOptions::target());
    reset("target-away", {"away_db"});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE away_db");
    s.execute("CREATE TABLE away_db.t (id INT PRIMARY KEY, v VARCHAR(50))");
    s.execute("INSERT INTO away_db.t SELECT seq, REPEAT('y', 40) FROM " + numbers(3000));
    auto targetOpts = lonely.rootOptions("target");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto options = testOptions(100, 0.1, 2);
    options.afterSnapshot = [&] {
        std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            lonely.kill();
        }).detach();
    };
    try {
        copy::runFullCopy(job("target-away", {"away_db"}), sourceOptions(), targetOpts, sink, stop, options);
        FAIL("the copy should have failed");
    } catch (const db::DbError& e) {
        const std::string msg = e.what();
        MESSAGE(msg);
        CHECK(msg.find("target 127.0.0.1:" + std::to_string(lonely.port())) == 0);
        CHECK(msg.find('\n') == std::string::npos);
    }
    lonely.start();
    auto r =
        copy::runFullCopy(job("target-away", {"away_db"}), sourceOptions(), targetOpts, sink, stop, testOptions(100));
    CHECK(r.resumed);
    CHECK(copy::verify(job("target-away", {"away_db"}), sourceOptions(), targetOpts, sink).identical);
}

TEST_CASE("a job with nothing to copy still hands over a binlog position and reports progress") {
    reset("nothing", {"nothing_db"});
    source().exec("CREATE DATABASE nothing_db");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r =
        copy::runFullCopy(job("nothing", {"nothing_db"}), sourceOptions(), targetOptions(), sink, stop, testOptions());
    CHECK_FALSE(r.replayFrom.file.empty());
    CHECK(r.replayFrom == r.safeUntil);
    CHECK(r.rows == 0);
    CHECK(sink.last("fullCopy")["tablesTotal"] == 0);
    CHECK(sink.last("fullCopy")["mode"] == "Logical");
}

TEST_CASE("verify names the key range that differs, and tables missing on either side") {
    reset("verify-diff", {"verify_db"});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE verify_db");
    s.execute("CREATE TABLE verify_db.t (id INT PRIMARY KEY, v VARCHAR(20), n INT NULL)");
    s.execute("INSERT INTO verify_db.t SELECT seq, CONCAT('v', seq), IF(seq % 3 = 0, NULL, seq) FROM " + numbers(1000));
    s.execute("CREATE TABLE verify_db.gone (id INT PRIMARY KEY)");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    copy::runFullCopy(job("verify-diff", {"verify_db"}), sourceOptions(), targetOptions(), sink, stop,
                      testOptions(100));
    auto ok = copy::verify(job("verify-diff", {"verify_db"}), sourceOptions(), targetOptions(), sink, testOptions(100));
    CHECK(ok.identical);
    CHECK(ok.rowsCompared == 1000);

    auto t = target().connectRoot();
    t.execute("UPDATE verify_db.t SET n = NULL WHERE id = 550");  // a value becomes NULL
    t.execute("DROP TABLE verify_db.gone");
    s.execute("CREATE TABLE verify_db.added (id INT PRIMARY KEY)");
    auto bad =
        copy::verify(job("verify-diff", {"verify_db"}), sourceOptions(), targetOptions(), sink, testOptions(100));
    CHECK_FALSE(bad.identical);
    REQUIRE(bad.differences.size() == 3);
    std::string all;
    for (auto& d : bad.differences) all += d.text() + "\n";
    MESSAGE(all);
    CHECK(all.find("`verify_db`.`added`: missing on the target") != std::string::npos);
    CHECK(all.find("`verify_db`.`gone`: missing on the target") != std::string::npos);
    // The range holding id 550, with the copy's chunk boundaries (they follow the statistics).
    const std::string prefix = "`verify_db`.`t` [`id` > ";
    const auto at = all.find(prefix);
    REQUIRE(at != std::string::npos);
    long lo = 0, hi = 0;
    REQUIRE(std::sscanf(all.c_str() + at + prefix.size(), "%ld AND `id` <= %ld]", &lo, &hi) == 2);
    CHECK(lo < 550);
    CHECK(hi >= 550);
    CHECK(all.find("]: source " + std::to_string(hi - lo) + " rows", at) != std::string::npos);
}

TEST_CASE("the export rate stays under the cap") {
    reset("throttled", {"throttle_db"});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE throttle_db");
    s.execute("CREATE TABLE throttle_db.t (id INT PRIMARY KEY, v VARCHAR(200))");
    s.execute("INSERT INTO throttle_db.t SELECT seq, REPEAT('x', 200) FROM " + numbers(5000));  // ~1 MiB
    RecordingSink sink;
    std::atomic<bool> stop{false};
    const auto t0 = std::chrono::steady_clock::now();
    auto r = copy::runFullCopy(job("throttled", {"throttle_db"}), sourceOptions(), targetOptions(), sink, stop,
                               testOptions(500, 1.0, 2));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double mib = static_cast<double>(r.bytes) / (1 << 20);
    MESSAGE(mib << " MiB in " << seconds << " s");
    CHECK(mib > 0.9);
    CHECK(seconds >= (mib - 0.25) / 1.0);  // a quarter second of burst is allowed
}

TEST_CASE("physical mode into a target that refuses LOAD DATA LOCAL says how to fix it") {
    auto o = testing::ServerOptions::target();
    o.name = "noinfile";
    o.extraArgs = {"--local-infile=0"};
    testing::DbServer noInfile(o);
    reset("no-infile", {"infile_db"});
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE infile_db");
    s.execute("CREATE TABLE infile_db.t (id INT PRIMARY KEY)");
    s.execute("INSERT INTO infile_db.t VALUES (1), (2)");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    CHECK_THROWS_WITH_AS(copy::runFullCopy(job("no-infile", {"infile_db"}, api::FullMode::Physical), sourceOptions(),
                                           noInfile.rootOptions("target"), sink, stop, testOptions()),
                         doctest::Contains("enable it with SET GLOBAL local_infile = ON or use logical mode"),
                         copy::CopyError);
}
