// Fault injection (runner/db/fault_injection.h) on a real server: a matching statement fails
// with the chosen error before it runs (or, with ":after", once it has run), everything else
// runs on the server, and the DbError is the one a real server error of that code would make.
#include <doctest/doctest.h>

#include "runner/db/connection.h"
#include "runner/db/fault_injection.h"
#include "tests/support/db_server.h"

#include <mysql.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using namespace tidemark;
using db::dialect::ErrorClass;

namespace {

const testing::DbServer& server() {
    static testing::DbServer s(testing::ServerOptions::target());
    return s;
}

// Faults of one test never leak into the next.
struct CleanFaults {
    CleanFaults() { db::clearFaults(); }
    ~CleanFaults() { db::clearFaults(); }
};

db::Connection target() { return db::Connection::open(server().rootOptions("target")); }

void freshTable(const std::string& table) {
    auto c = server().connectRoot();
    c.execute("CREATE DATABASE IF NOT EXISTS fi");
    c.execute("DROP TABLE IF EXISTS fi." + table);
    c.execute("CREATE TABLE fi." + table + " (id INT PRIMARY KEY, v VARCHAR(20))");
}

std::string countOf(const std::string& table) {
    return server().connectRoot().scalar("SELECT COUNT(*) FROM fi." + table).value_or("?");
}

db::DbError failure(const std::function<void()>& f) {
    try {
        f();
    } catch (const db::DbError& e) {
        return e;
    }
    FAIL("the statement should have failed");
    return db::DbError(db::ErrorKind::Other, 0, "");
}

db::InjectedFault fault(std::string role, unsigned code, std::string match, int times = 1, bool after = false) {
    db::InjectedFault f;
    f.role = std::move(role);
    f.code = code;
    f.match = std::move(match);
    f.times = times;
    f.afterExecute = after;
    return f;
}

}  // namespace

TEST_CASE("an injected 9007 fails the matching statement before it runs, as a real TiDB write conflict would") {
    CleanFaults clean;
    freshTable("t9007");
    auto c = target();
    db::injectFault(fault("target", 9007, "INSERT INTO fi.t9007"));
    const auto e = failure([&] { c.execute("INSERT INTO fi.t9007 VALUES (1, 'a')"); });
    CHECK(e.code() == 9007);
    CHECK(e.kind() == db::ErrorKind::Transient);
    CHECK(e.errorClass() == ErrorClass::RetryTxn);
    CHECK(e.retryable());
    const std::string msg = e.what();
    MESSAGE(msg);
    CHECK(msg.starts_with(server().rootOptions("target").endpoint() +
                          ": running `INSERT INTO fi.t9007 VALUES (1, 'a')`: "));
    CHECK(msg.find("Write conflict, txnStartTS=") != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(db::faultsFired() == 1);
    CHECK(countOf("t9007") == "0");  // it never reached the server
    // The fault is spent: the same statement now runs, on the same connection.
    c.execute("INSERT INTO fi.t9007 VALUES (1, 'a')");
    CHECK(countOf("t9007") == "1");
    CHECK(db::faultsFired() == 1);
}

TEST_CASE("with :after the statement runs on the server and then the error is returned") {
    CleanFaults clean;
    freshTable("tafter");
    auto c = target();
    db::injectFault(fault("target", 2013, "INSERT INTO fi.tafter", 1, true));
    const auto e = failure([&] { c.execute("INSERT INTO fi.tafter VALUES (1, 'a')"); });
    CHECK(e.code() == 2013);
    CHECK(e.kind() == db::ErrorKind::ConnectionLost);
    CHECK(e.errorClass() == ErrorClass::Reconnect);
    CHECK(db::dialect::mayHaveCommitted(e.code(), e.what()));
    CHECK(std::string(e.what()).find("Lost connection") != std::string::npos);
    CHECK(countOf("tafter") == "1");  // it ran
    CHECK(db::faultsFired() == 1);
}

TEST_CASE("statements that do not match, or run as another role, reach the server untouched") {
    CleanFaults clean;
    freshTable("tmiss");
    auto c = target();
    db::injectFault(fault("target", 9005, "INSERT INTO fi.elsewhere"));
    db::injectFault(fault("source", 9005, "INSERT INTO fi.tmiss"));
    c.execute("INSERT INTO fi.tmiss VALUES (1, 'a')");
    CHECK(c.scalar("SELECT v FROM fi.tmiss WHERE id = 1") == std::optional<std::string>("a"));
    CHECK(countOf("tmiss") == "1");
    CHECK(db::faultsFired() == 0);
    // A fault for any role ("") matches the target too.
    db::injectFault(fault("", 9005, "DELETE FROM fi.tmiss"));
    const auto e = failure([&] { c.execute("DELETE FROM fi.tmiss"); });
    CHECK(e.errorClass() == ErrorClass::RetryTxn);
    CHECK(std::string(e.what()).find("Region is unavailable") != std::string::npos);
    CHECK(countOf("tmiss") == "1");
}

TEST_CASE("a fault fails exactly `times` matching statements, on every SQL path") {
    CleanFaults clean;
    freshTable("ttimes");
    auto c = target();
    db::injectFault(fault("target", 8028, "fi.ttimes", 3));
    int failed = 0;
    for (int i = 1; i <= 5; ++i) {
        try {
            c.execute("INSERT INTO fi.ttimes VALUES (" + std::to_string(i) + ", 'x')");
        } catch (const db::DbError& e) {
            CHECK(e.code() == 8028);
            CHECK(e.errorClass() == ErrorClass::RetryTxn);
            ++failed;
        }
    }
    CHECK(failed == 3);
    CHECK(db::faultsFired() == 3);
    CHECK(countOf("ttimes") == "2");

    // query() and scalar()
    db::injectFault(fault("target", 8027, "SELECT COUNT(*) FROM fi.ttimes"));
    CHECK(failure([&] { c.scalar("SELECT COUNT(*) FROM fi.ttimes"); }).code() == 8027);
    CHECK(c.scalar("SELECT COUNT(*) FROM fi.ttimes") == std::optional<std::string>("2"));

    // A prepared statement, matched on its text.
    db::Statement s(c, "INSERT INTO fi.ttimes VALUES (?, 'p')");
    db::injectFault(fault("target", 8004, "INSERT INTO fi.ttimes VALUES (?"));
    int id = 10;
    MYSQL_BIND bind;
    std::memset(&bind, 0, sizeof bind);
    bind.buffer_type = MYSQL_TYPE_LONG;
    bind.buffer = &id;
    const auto e = failure([&] { s.execute(&bind); });
    CHECK(e.code() == 8004);
    CHECK(e.kind() == db::ErrorKind::TooLarge);
    CHECK(e.errorClass() == ErrorClass::Split);
    CHECK(countOf("ttimes") == "2");
    s.execute(&bind);
    CHECK(countOf("ttimes") == "3");
    CHECK(db::faultsFired() == 5);
}

TEST_CASE("concurrent threads share the faults: exactly `times` of their statements fail") {
    CleanFaults clean;
    freshTable("tthreads");
    db::injectFault(fault("target", 9007, "INSERT INTO fi.tthreads", 10));
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto c = target();
            for (int i = 0; i < 25; ++i) {
                try {
                    c.execute("INSERT INTO fi.tthreads VALUES (" + std::to_string(t * 100 + i) + ", 'x')");
                } catch (const db::DbError& e) {
                    if (e.code() == 9007) ++failed;
                }
            }
        });
    for (auto& t : threads) t.join();
    CHECK(failed == 10);
    CHECK(db::faultsFired() == 10);
    CHECK(countOf("tthreads") == "90");
}

TEST_CASE("TIDEMARK_INJECT_FAULTS entries read role:code:times:match[:after], separated by semicolons") {
    const auto faults = db::parseFaults(" target:9007:3:INSERT INTO ; *:2013:1:LOAD DATA:after;source:1105:2:a:b ");
    REQUIRE(faults.size() == 3);
    CHECK(faults[0].role == "target");
    CHECK(faults[0].code == 9007);
    CHECK(faults[0].times == 3);
    CHECK(faults[0].match == "INSERT INTO");
    CHECK_FALSE(faults[0].afterExecute);
    CHECK(faults[1].role.empty());
    CHECK(faults[1].match == "LOAD DATA");
    CHECK(faults[1].afterExecute);
    CHECK(faults[2].match == "a:b");
    CHECK(db::parseFaults("").empty());
    CHECK(db::parseFaults(";;").empty());
    for (const char* bad : {"target:9007:3", "target:x:3:INSERT", "target:9007:0:INSERT", "target:9007:-1:INSERT",
                            "replica:9007:1:INSERT", "target:0:1:INSERT"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(db::parseFaults(bad), std::invalid_argument);
    }
    try {
        db::parseFaults("target:9007:3");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("target:9007:3") != std::string::npos);
    }
}

TEST_CASE("the environment variable is read at the first statement and its faults fire like injected ones") {
    CleanFaults clean;
    freshTable("tenv");
    setenv("TIDEMARK_INJECT_FAULTS", "target:9005:2:INSERT INTO fi.tenv;target:2013:1:UPDATE fi.tenv:after", 1);
    db::clearFaults();  // read again at the next statement
    auto c = target();
    CHECK(failure([&] { c.execute("INSERT INTO fi.tenv VALUES (1, 'a')"); }).code() == 9005);
    // Changing the variable now changes nothing: it was read once.
    setenv("TIDEMARK_INJECT_FAULTS", "target:1062:5:INSERT INTO fi.tenv", 1);
    CHECK(failure([&] { c.execute("INSERT INTO fi.tenv VALUES (1, 'a')"); }).code() == 9005);
    c.execute("INSERT INTO fi.tenv VALUES (1, 'a')");
    CHECK(failure([&] { c.execute("UPDATE fi.tenv SET v = 'b'"); }).code() == 2013);
    CHECK(c.scalar("SELECT v FROM fi.tenv") == std::optional<std::string>("b"));
    CHECK(db::faultsFired() == 3);

    // A value that cannot be read fails every statement, saying why.
    setenv("TIDEMARK_INJECT_FAULTS", "target:9005:two:INSERT", 1);
    db::clearFaults();
    const auto e = failure([&] { c.execute("SELECT 1"); });
    CHECK(std::string(e.what()).find("TIDEMARK_INJECT_FAULTS") != std::string::npos);
    CHECK_FALSE(e.retryable());
    unsetenv("TIDEMARK_INJECT_FAULTS");
}
