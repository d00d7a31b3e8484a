// Transactions rolled back on the source that changed non-transactional tables (MyISAM): the
// source kept those changes and the target (InnoDB there) must hold them too, without the rolled
// back transactional ones. Mixed transactions, triggers mixing engines, MIXED logging and
// statements failing half-way. Where the server logs such changes in a group ending in ROLLBACK,
// replay applies the non-transactional tables' changes of the group and drops the others.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

TEST_CASE("a transaction rolled back on the source keeps its MyISAM changes on the target") {
    const std::string database = "rollback_group";
    freshDatabase(database);
    auto src = sharedSource().connectRoot();
    auto tgt = sharedTarget().connectRoot();
    src.execute("CREATE TABLE " + database + ".m (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM");
    src.execute("CREATE TABLE " + database + ".i (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
    tgt.execute("CREATE TABLE " + database + ".m (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
    tgt.execute("CREATE TABLE " + database + ".i (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
    src.execute("INSERT INTO " + database + ".m VALUES (100, 'before')");
    tgt.execute("INSERT INTO " + database + ".m VALUES (100, 'before')");
    const auto start = sourceNow();

    // MySQL with GTIDs refuses to mix the two kinds in one transaction (enforce_gtid_consistency):
    // there a rolled-back transaction holds one MyISAM statement.
    bool mixing = true;
    try {
        mixing = src.scalar("SELECT @@GLOBAL.enforce_gtid_consistency").value_or("OFF") == "OFF";
    } catch (const db::DbError&) {
        // MariaDB has no such setting: it mixes.
    }
    // Transactions that end in ROLLBACK: the MyISAM rows stay on the source.
    for (int k = 0; k < 3; ++k) {
        const std::string n = std::to_string(k * 10);
        if (!mixing) {
            src.execute("START TRANSACTION");
            src.execute("INSERT INTO " + database + ".m VALUES (" + n + ", 'kept'), (" + n + " + 2, 'kept too')");
            src.execute("ROLLBACK");
            src.execute("START TRANSACTION");
            src.execute("UPDATE " + database + ".m SET v = CONCAT(v, '+') WHERE id = 100");
            src.execute("ROLLBACK");
            continue;
        }
        src.execute("START TRANSACTION");
        src.execute("INSERT INTO " + database + ".i VALUES (" + n + ", 'gone')");
        src.execute("INSERT INTO " + database + ".m VALUES (" + n + ", 'kept')");
        src.execute("INSERT INTO " + database + ".i VALUES (" + n + " + 1, 'gone')");
        src.execute("UPDATE " + database + ".m SET v = CONCAT(v, '+') WHERE id = 100");
        src.execute("INSERT INTO " + database + ".m VALUES (" + n + " + 2, 'kept too')");
        src.execute("ROLLBACK");
    }
    // And ordinary transactions around them.
    // A statement that changes both kinds (a trigger on the InnoDB table writes the MyISAM one)
    // is logged in the transaction's group, so its MyISAM rows come in a group ending in ROLLBACK.
    if (mixing) {
        src.execute("CREATE TRIGGER " + database + ".i_ai AFTER INSERT ON " + database +
                    ".i FOR EACH ROW INSERT INTO " + database + ".m VALUES (NEW.id + 1000, 'by trigger')");
        src.execute("START TRANSACTION");
        src.execute("INSERT INTO " + database + ".i VALUES (700, 'gone'), (701, 'gone')");
        src.execute("UPDATE " + database + ".m SET v = 'changed' WHERE id = 100");
        src.execute("ROLLBACK");
        src.execute("DROP TRIGGER " + database + ".i_ai");
    }
    // In a session logging MIXED, a non-transactional change after a transactional one goes into
    // the transaction's group as rows (UUID() makes both unsafe for statements), and a ROLLBACK
    // writes that group with its ROLLBACK.
    if (mixing) {
        src.execute("SET SESSION binlog_format = 'MIXED'");
        src.execute("START TRANSACTION");
        src.execute("INSERT INTO " + database + ".i VALUES (950, LEFT(UUID(), 8))");
        src.execute("INSERT INTO " + database + ".m VALUES (950, LEFT(UUID(), 8))");
        src.execute("UPDATE " + database + ".m SET v = LEFT(UUID(), 8) WHERE id = 100");
        src.execute("ROLLBACK");
        src.execute("SET SESSION binlog_format = 'ROW'");
    }
    // A multi-row statement that fails half-way keeps the MyISAM rows written before the error.
    try {
        src.execute("INSERT INTO " + database + ".m VALUES (800, 'a'), (801, 'b'), (100, 'duplicate')");
    } catch (const db::DbError&) {}
    src.execute("INSERT INTO " + database + ".i VALUES (500, 'committed')");
    // A statement changing both kinds that fails half-way: its MyISAM rows stay, its InnoDB rows go.
    if (mixing) {
        src.execute("CREATE TRIGGER " + database + ".i_bi BEFORE INSERT ON " + database +
                    ".i FOR EACH ROW INSERT INTO " + database + ".m VALUES (NEW.id + 2000, 'by trigger')");
        try {
            src.execute("INSERT INTO " + database + ".i VALUES (900, 'x'), (901, 'x'), (500, 'duplicate')");
        } catch (const db::DbError&) {}
        src.execute("START TRANSACTION");
        src.execute("INSERT INTO " + database + ".i VALUES (910, 'x')");
        try {
            src.execute("INSERT INTO " + database + ".i VALUES (920, 'x'), (500, 'duplicate')");
        } catch (const db::DbError&) {}
        src.execute("ROLLBACK");
        src.execute("DROP TRIGGER " + database + ".i_bi");
    }
    src.execute("INSERT INTO " + database + ".m VALUES (500, 'committed')");
    src.execute("START TRANSACTION");
    src.execute("DELETE FROM " + database + ".m WHERE id = 10");
    if (mixing) src.execute("INSERT INTO " + database + ".i VALUES (600, 'gone')");
    src.execute("ROLLBACK");

    MESSAGE("MyISAM rows on the source: " << src.scalar("SELECT COUNT(*) FROM " + database + ".m").value_or(""));
    REQUIRE(src.scalar("SELECT COUNT(*) FROM " + database + ".i").value_or("") == "1");
    // MariaDB 11 and MySQL 9 in ROW format log each of the cases above without a ROLLBACK group
    // (non-transactional rows go out as their own committed group at statement end), so this shows
    // how many groups the coordinator's ROLLBACK path saw here; older servers write such groups.
    auto events = src.query("SHOW BINLOG EVENTS IN " + src.quote(start.file) + " FROM " + std::to_string(start.pos));
    int rollbacks = 0;
    for (size_t k = 0; k < events.size(); ++k) rollbacks += events.text(k, "Info") == "ROLLBACK";
    MESSAGE("binlog groups ending in ROLLBACK: " << rollbacks);
    catchUp(jobFor("rollback-group", {database}), startingAt(start, 2));
    checkSame(database, "m");
    checkSame(database, "i");
}
