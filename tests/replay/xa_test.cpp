// XA transactions: replay applies an XA transaction's rows at XA PREPARE and must leave the
// target as the source whatever follows: XA ROLLBACK undoes them, XA COMMIT keeps them, other
// transactions in between stay, and a restart between PREPARE and ROLLBACK (with a lost COMMIT
// answer on top) neither forgets the undo nor runs it twice.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/fault_injection.h"
#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// db.t (keyed) and db.n (no key, duplicate rows) on both servers, with the same rows.
void xaTables(const std::string& database) {
    freshDatabase(database);
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) {
        auto c = server->connectRoot();
        c.execute("CREATE TABLE " + database + ".t (id INT PRIMARY KEY, v INT, s VARCHAR(20))");
        c.execute("CREATE TABLE " + database + ".n (a INT, b VARCHAR(20))");
        c.execute("INSERT INTO " + database + ".t VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 3, 'three')");
        c.execute("INSERT INTO " + database + ".n VALUES (1, 'x'), (1, 'x'), (2, 'y')");
    }
}

// XA START .. XA PREPARE of changes to every row kind, on `c`.
void prepare(db::Connection& c, const std::string& database, const std::string& xid, int key = 10) {
    c.execute("XA START '" + xid + "'");
    c.execute("INSERT INTO " + database + ".t VALUES (" + std::to_string(key) + ", 10, 'ten')");
    c.execute("UPDATE " + database + ".t SET v = v + 100, s = 'changed' WHERE id = 1");
    c.execute("DELETE FROM " + database + ".t WHERE id = 2");
    c.execute("INSERT INTO " + database + ".n VALUES (1, 'x'), (3, 'z')");
    c.execute("DELETE FROM " + database + ".n WHERE a = 2");
    c.execute("UPDATE " + database + ".n SET b = 'w' WHERE a = 1 LIMIT 1");
    c.execute("XA END '" + xid + "'");
    c.execute("XA PREPARE '" + xid + "'");
}

// Transactions of other sessions while the XA transaction is prepared: keyed rows it does not
// lock (its scan of the keyless table locks all of that).
void others(const std::string& database, int from) {
    auto c = sharedSource().connectRoot();
    for (int i = from; i < from + 5; ++i)
        c.execute("INSERT INTO " + database + ".t VALUES (" + std::to_string(i) + ", " + std::to_string(i) + ", 'o')");
    c.execute("UPDATE " + database + ".t SET v = v + 30 WHERE id = 3");
}

void checkAll(const std::string& database) {
    checkSame(database, "t");
    checkSame(database, "n");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM tidemark_meta.replay_xa_undo") == std::optional<std::string>("0"));
}

struct Faults {
    Faults() { db::clearFaults(); }
    ~Faults() { db::clearFaults(); }
};

}  // namespace

TEST_CASE("xa_rollback_after_prepare_leaves_the_target_as_the_source") {
    xaTables("xa_rb");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    prepare(s, "xa_rb", "rb1");
    others("xa_rb", 20);
    s.execute("XA ROLLBACK 'rb1'");
    others("xa_rb", 30);
    s.execute("INSERT INTO xa_rb.n VALUES (9, 'o')");
    catchUp(jobFor("xa-rb", {"xa_rb"}), startingAt(start, 3));
    checkAll("xa_rb");
}

TEST_CASE("xa_commit_after_prepare_keeps_the_changes") {
    xaTables("xa_co");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    prepare(s, "xa_co", "co1");
    others("xa_co", 20);
    s.execute("XA COMMIT 'co1'");
    prepare(s, "xa_co", "co2", 11);
    s.execute("XA ROLLBACK 'co2'");
    catchUp(jobFor("xa-co", {"xa_co"}), startingAt(start, 2));
    checkAll("xa_co");
}

TEST_CASE("a_restart_between_xa_prepare_and_xa_rollback_still_ends_equal") {
    xaTables("xa_crash");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    prepare(s, "xa_crash", "cr1");
    others("xa_crash", 20);
    const auto job = jobFor("xa-crash", {"xa_crash"});
    // The first run stops with the transaction prepared: its rows are in the target.
    catchUp(job, startingAt(start, 2));
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT s FROM xa_crash.t WHERE id = 1") == std::optional<std::string>("changed"));
    CHECK(t.scalar("SELECT COUNT(*) FROM tidemark_meta.replay_xa_undo") != std::optional<std::string>("0"));

    s.execute("XA ROLLBACK 'cr1'");
    others("xa_crash", 30);
    {
        // The next run loses the answer to its first commits (the undo's among them): each is
        // settled by its checkpoint row, never run twice.
        Faults faults;
        db::InjectedFault f;
        f.role = "target";
        f.code = 2013;
        f.times = 2;
        f.match = "REPLACE INTO `tidemark_meta`.`replay_checkpoint`";
        f.afterExecute = true;
        db::injectFault(f);
        catchUp(job, startingAt(start, 2));
        CHECK(db::faultsFired() == 2);
    }
    checkAll("xa_crash");
}
