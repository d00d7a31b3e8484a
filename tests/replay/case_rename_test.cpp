// Table selection against what the source reports: names compared by the source's
// lower_case_table_names (copy, replay rows, replay DDL and the schema tracker alike), and the
// shadow tables of gh-ost and pt-online-schema-change replicated with a table listed one by one,
// so that their cut-over renames arrive whole on the target.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <condition_variable>

#include "runner/copy/full_copy.h"
#include "runner/db/catalog.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/ddl.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

api::MigrationJob listedJob(const std::string& name, const std::string& database, const std::string& table) {
    auto job = jobFor(name, {});
    job.objects.include.push_back(api::ObjectRule{database, {table}});
    return job;
}

// Runs replay of `job` from `source` into `target` until it applied the source's current position.
void catchUpOn(const api::MigrationJob& job, const DbServer& source, const DbServer& target,
               replay::ReplayOptions options) {
    {
        auto c = source.connectRoot();
        options.stopAt = replay::currentSourcePosition(c);
    }
    RecordingSink sink;
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread guard([&] {
        std::unique_lock lock(mu);
        if (!cv.wait_for(lock, std::chrono::seconds(120), [&] { return done; })) stop = true;
    });
    const auto finish = [&] {
        {
            std::lock_guard lock(mu);
            done = true;
        }
        cv.notify_all();
        guard.join();
    };
    try {
        replay::runReplay(job, source.rootOptions("source"), target.rootOptions("target"), options, sink, stop);
    } catch (...) {
        finish();
        for (const auto& n : sink.notes()) MESSAGE(n);
        throw;
    }
    finish();
    REQUIRE_MESSAGE(!stop.load(), "replay of " << job.name << " did not catch up in 120 s");
}

std::vector<std::string> tablesIn(db::Connection& c, const std::string& database) {
    std::vector<std::string> out;
    for (auto& r :
         c.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + c.quote(database)).rows)
        out.push_back(r[0].value_or(""));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("names_compare_by_the_source_rule_and_ddl_names_are_written_as_stored") {
    api::ObjectSelection sel;
    sel.include.push_back({"Shop", {"Orders"}});
    CHECK_FALSE(sel.selectsTable("shop", "orders"));  // lower_case_table_names=0: exact
    sel.names = api::NameCase::Lower;
    CHECK(sel.selectsTable("shop", "orders"));
    CHECK(sel.selectsTable("SHOP", "ORDERS"));
    CHECK_FALSE(sel.selectsTable("shop", "orders2"));
    CHECK_FALSE(sel.selectsNewTablesIn("shop"));

    const std::string alter = "ALTER TABLE Orders ADD COLUMN note VARCHAR(20)";
    auto d = replay::parseDdl(alter, "shop", api::NameCase::Lower);
    CHECK(d.tables == std::vector<replay::TableName>{{"shop", "orders"}});
    CHECK(replay::targetStatement(d, alter, sel) == "ALTER TABLE `shop`.`orders` ADD COLUMN note VARCHAR(20)");
    // Exact: the statement is passed through as written.
    auto exact = replay::parseDdl(alter, "shop");
    CHECK(exact.tables == std::vector<replay::TableName>{{"shop", "Orders"}});
    CHECK(exact.folded.empty());

    sel.include.push_back({"shop", {}});
    const std::string like = "CREATE TABLE `Shop`.`Copy` LIKE Shop.ORDERS";
    CHECK(replay::targetStatement(replay::parseDdl(like, "x", api::NameCase::Lower), like, sel) ==
          "CREATE TABLE IF NOT EXISTS `shop`.`copy` LIKE `shop`.`orders`");
    const std::string rename = "RENAME TABLE Orders TO Old, `New` TO Orders";
    CHECK(replay::targetStatement(replay::parseDdl(rename, "shop", api::NameCase::Lower), rename, sel) ==
          "RENAME TABLE `shop`.`orders` TO `shop`.`old`, `shop`.`new` TO `shop`.`orders`");
    const std::string renameTo = "ALTER TABLE Orders ADD COLUMN x INT, RENAME TO Orders_Archive";
    auto r = replay::parseDdl(renameTo, "shop", api::NameCase::Lower);
    CHECK(r.renamedTable == replay::TableName{"shop", "orders_archive"});
    CHECK(replay::targetStatement(r, renameTo, sel) ==
          "ALTER TABLE `shop`.`orders` ADD COLUMN x INT, RENAME TO `shop`.`orders_archive`");
    CHECK(replay::parseDdl("CREATE DATABASE Sales", "", api::NameCase::Lower).database == "sales");
}

TEST_CASE("shadow_tables_of_gh_ost_and_pt_osc_go_with_their_table") {
    CHECK(api::shadowTableOf("_t_gho") == std::optional<std::string>("t"));
    CHECK(api::shadowTableOf("_t_del") == std::optional<std::string>("t"));
    CHECK(api::shadowTableOf("_orders_20240131235959_del") == std::optional<std::string>("orders"));
    CHECK(api::shadowTableOf("_t_new") == std::optional<std::string>("t"));
    CHECK(api::shadowTableOf("__t_old") == std::optional<std::string>("t"));
    CHECK_FALSE(api::shadowTableOf("_t_ghc"));  // gh-ost's changelog: its own heartbeats
    CHECK_FALSE(api::shadowTableOf("t_gho"));
    CHECK_FALSE(api::shadowTableOf("__gho"));

    api::ObjectSelection sel;
    sel.include.push_back({"shop", {"t"}});
    sel.exclude.push_back({"shop", {"u"}});
    CHECK(sel.selectsTable("shop", "_t_gho"));
    CHECK(sel.selectsTable("shop", "_t_del"));
    CHECK_FALSE(sel.selectsTable("shop", "_t_ghc"));
    CHECK_FALSE(sel.selectsTable("shop", "_x_gho"));
    CHECK_FALSE(sel.selectsTable("other", "_t_gho"));
    sel.include.back().tables.push_back("u");
    CHECK_FALSE(sel.selectsTable("shop", "_u_gho"));  // excluded with its table

    const std::string cut = "rename /* gh-ost */ table `shop`.`t` to `shop`.`_t_del`, `shop`.`_t_gho` to `shop`.`t`";
    CHECK(replay::targetStatement(replay::parseDdl(cut, "shop"), cut, sel) ==
          "RENAME TABLE `shop`.`t` TO `shop`.`_t_del`, `shop`.`_t_gho` TO `shop`.`t`");
    CHECK(replay::targetStatement(replay::parseDdl("CREATE TABLE _t_gho LIKE t", "shop"), "CREATE TABLE _t_gho LIKE t",
                                  sel) == "CREATE TABLE IF NOT EXISTS _t_gho LIKE t");
}

// Azure's default: the source stores names in lower case, the DDL says `Orders`, the selection
// `Orders` in `CR_Case`; the target (lower_case_table_names=0) holds `orders`.
TEST_CASE("lower_case_table_names_1_source_copies_and_replays_ddl_and_rows_of_a_listed_table") {
    auto o = ServerOptions::source();
    o.name = "lctn-source";
    o.lowerCaseTableNames = 1;
    DbServer src(o);
    const auto& tgt = sharedTarget();
    auto s = src.connectRoot();
    REQUIRE(s.scalar("SELECT @@lower_case_table_names") == std::optional<std::string>("1"));
    s.execute("CREATE DATABASE CR_Case");
    s.execute("CREATE TABLE CR_Case.Orders (id INT PRIMARY KEY, v INT)");
    s.execute("CREATE TABLE CR_Case.Other (id INT PRIMARY KEY)");
    s.execute("INSERT INTO CR_Case.Orders VALUES (1, 1), (2, 2), (3, 3)");
    s.execute("INSERT INTO CR_Case.Other VALUES (1)");
    tgt.exec("DROP DATABASE IF EXISTS cr_case");
    tgt.exec("DROP DATABASE IF EXISTS CR_Case");

    auto job = listedJob("cr-lctn", "CR_CASE", "Orders");
    job.type = api::JobType::FullAndIncremental;
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto copied = copy::runFullCopy(job, src.rootOptions("source"), tgt.rootOptions("target"), sink, stop);
    REQUIRE(copied.rows == 3);

    s.execute("INSERT INTO CR_Case.Orders VALUES (4, 4)");
    s.execute("ALTER TABLE CR_Case.Orders ADD COLUMN note VARCHAR(20) DEFAULT 'n'");
    s.execute("USE cr_case");
    s.execute("INSERT INTO Orders VALUES (5, 5, 'after')");
    s.execute("UPDATE ORDERS SET note = 'upd' WHERE id = 1");
    s.execute("ALTER TABLE `orders` ADD INDEX by_v (v)");
    s.execute("DELETE FROM Orders WHERE id = 2");
    s.execute("INSERT INTO Other VALUES (2)");  // not selected

    replay::ReplayOptions ro;
    ro.start = replay::positionFrom(copied.replayFrom);
    ro.safeUntil = replay::positionFrom(copied.safeUntil);
    ro.workers = 2;
    ro.heartbeat = std::chrono::milliseconds(250);
    catchUpOn(job, src, tgt, ro);

    auto t = tgt.connectRoot();
    CHECK(tablesIn(t, "cr_case") == std::vector<std::string>{"orders"});
    CHECK(tableRows(s, "cr_case", "orders") == tableRows(t, "cr_case", "orders"));
    CHECK(tableRows(t, "cr_case", "orders").size() == 4);
    tgt.exec("DROP DATABASE IF EXISTS cr_case");
}

// gh-ost's flow, as it runs on the source while replay runs: a ghost table made LIKE the table,
// altered, filled by chunks and by the binlog changes it mirrors, then the atomic cut-over.
TEST_CASE("a_gh_ost_cut_over_of_a_listed_table_replays_whole") {
    freshDatabase("cr_gho");
    auto s = sharedSource().connectRoot();
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) {
        server->exec("CREATE TABLE cr_gho.t (id INT PRIMARY KEY, v INT)");
        server->exec("CREATE TABLE cr_gho.other (id INT PRIMARY KEY)");
        server->exec(
            "INSERT INTO cr_gho.t WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 50) "
            "SELECT n, n FROM d");
    }
    auto job = listedJob("cr-gho", "cr_gho", "t");
    {
        BackgroundReplay replay(job, startingAt(sourceNow(), 2));
        s.execute("INSERT INTO cr_gho.t VALUES (51, 51), (52, 52)");
        s.execute("CREATE TABLE `cr_gho`.`_t_ghc` (id BIGINT AUTO_INCREMENT PRIMARY KEY, hint VARCHAR(64))");
        s.execute("INSERT INTO cr_gho._t_ghc (hint) VALUES ('heartbeat')");
        s.execute("CREATE TABLE `cr_gho`.`_t_gho` LIKE `cr_gho`.`t`");
        s.execute("ALTER TABLE `cr_gho`.`_t_gho` ADD COLUMN extra VARCHAR(20) NOT NULL DEFAULT 'x'");
        s.execute("INSERT IGNORE INTO cr_gho._t_gho (id, v) SELECT id, v FROM cr_gho.t WHERE id <= 30");
        // Writes to t while the ghost fills, mirrored into it as gh-ost applies them.
        s.execute("UPDATE cr_gho.t SET v = v + 100 WHERE id = 5");
        s.execute("REPLACE INTO cr_gho._t_gho (id, v) SELECT id, v FROM cr_gho.t WHERE id = 5");
        s.execute("DELETE FROM cr_gho.t WHERE id = 7");
        s.execute("DELETE FROM cr_gho._t_gho WHERE id = 7");
        s.execute("INSERT INTO cr_gho.t VALUES (53, 53)");
        s.execute("REPLACE INTO cr_gho._t_gho (id, v) VALUES (53, 53)");
        s.execute("INSERT IGNORE INTO cr_gho._t_gho (id, v) SELECT id, v FROM cr_gho.t WHERE id > 30");
        s.execute("UPDATE cr_gho.t SET v = 0 WHERE id = 40");
        s.execute("REPLACE INTO cr_gho._t_gho (id, v) SELECT id, v FROM cr_gho.t WHERE id = 40");
        s.execute("rename /* gh-ost */ table `cr_gho`.`t` to `cr_gho`.`_t_del`, `cr_gho`.`_t_gho` to `cr_gho`.`t`");
        s.execute("INSERT INTO cr_gho.t VALUES (54, 54, 'after')");
        s.execute("UPDATE cr_gho.t SET extra = 'changed' WHERE id = 1");
        s.execute("DROP TABLE IF EXISTS `cr_gho`.`_t_del`");
        s.execute("DROP TABLE IF EXISTS `cr_gho`.`_t_ghc`");
        s.execute("INSERT INTO cr_gho.other VALUES (1)");  // not selected
        CHECK(waitSame("cr_gho", "t", std::chrono::seconds(60)));
        replay.stop();
    }
    auto t = sharedTarget().connectRoot();
    checkSame("cr_gho", "t");
    CHECK(tableRows(t, "cr_gho", "t").size() == 53);
    CHECK(t.scalar("SELECT extra FROM cr_gho.t WHERE id = 54") == std::optional<std::string>("after"));
    CHECK(tablesIn(t, "cr_gho") == std::vector<std::string>{"other", "t"});
    CHECK(tableRows(t, "cr_gho", "other").empty());
}

// pt-online-schema-change's flow, begun before the full copy: the copy takes `_t_new` with `t`
// (it is selected with t), so replay finds it for the rows the triggers write and for the swap.
TEST_CASE("a_pt_osc_swap_begun_before_the_copy_replays_whole") {
    auto s = sharedSource().connectRoot();
    s.execute("DROP DATABASE IF EXISTS cr_pt");
    sharedTarget().exec("DROP DATABASE IF EXISTS cr_pt");
    s.execute("CREATE DATABASE cr_pt");
    s.execute("CREATE TABLE cr_pt.t (id INT PRIMARY KEY, v INT)");
    s.execute(
        "INSERT INTO cr_pt.t WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 40) "
        "SELECT n, n FROM d");
    s.execute("CREATE TABLE `cr_pt`.`_t_new` LIKE `cr_pt`.`t`");
    s.execute("ALTER TABLE `cr_pt`.`_t_new` ADD COLUMN extra INT NOT NULL DEFAULT 7");
    s.execute("INSERT LOW_PRIORITY IGNORE INTO cr_pt._t_new (id, v) SELECT id, v FROM cr_pt.t WHERE id <= 20");

    auto job = listedJob("cr-pt", "cr_pt", "t");
    job.type = api::JobType::FullAndIncremental;
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto copied =
        copy::runFullCopy(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), sink, stop);
    auto t = sharedTarget().connectRoot();
    const std::vector<std::string> both = {"_t_new", "t"};
    const auto copiedTables = tablesIn(t, "cr_pt");
    std::string listed;
    for (const auto& n : copiedTables) listed += n + " ";
    CHECK_MESSAGE(copiedTables == both, "target tables: " << listed);

    replay::ReplayOptions ro;
    ro.start = replay::positionFrom(copied.replayFrom);
    ro.safeUntil = replay::positionFrom(copied.safeUntil);
    ro.workers = 2;
    ro.heartbeat = std::chrono::milliseconds(250);
    {
        BackgroundReplay replay(job, ro);
        // What pt-osc's triggers do for each write to t, in the same transaction.
        const auto write = [&](const std::string& onT, const std::string& onNew) {
            s.execute("START TRANSACTION");
            s.execute(onT);
            s.execute(onNew);
            s.execute("COMMIT");
        };
        write("INSERT INTO cr_pt.t VALUES (41, 41)", "REPLACE INTO cr_pt._t_new (id, v) VALUES (41, 41)");
        write("UPDATE cr_pt.t SET v = 0 WHERE id = 3", "REPLACE INTO cr_pt._t_new (id, v) VALUES (3, 0)");
        write("DELETE FROM cr_pt.t WHERE id = 30", "DELETE IGNORE FROM cr_pt._t_new WHERE id = 30");
        s.execute("INSERT LOW_PRIORITY IGNORE INTO cr_pt._t_new (id, v) SELECT id, v FROM cr_pt.t WHERE id > 20");
        s.execute("RENAME TABLE `cr_pt`.`t` TO `cr_pt`.`_t_old`, `cr_pt`.`_t_new` TO `cr_pt`.`t`");
        s.execute("DROP TABLE IF EXISTS `cr_pt`.`_t_old`");
        s.execute("INSERT INTO cr_pt.t VALUES (100, 100, 1)");
        CHECK(waitSame("cr_pt", "t", std::chrono::seconds(60)));
        replay.stop();
    }
    checkSame("cr_pt", "t");
    CHECK(tableRows(t, "cr_pt", "t").size() == 41);
    CHECK(tablesIn(t, "cr_pt") == std::vector<std::string>{"t"});
}
