// Replay with spec.routes, spec.filters and spec.rowFilters on real servers: shards of two
// databases merged into one target table (extra columns naming each row's shard), a DDL issued on
// each shard in turn, filters that drop deletes and rows matching an expression, a key present in
// two shards without an extra column to tell them apart, and a shard DDL that cannot be merged.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>

#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

const std::vector<std::pair<std::string, std::string>> kShards = {
    {"cm_s1", "orders_a"}, {"cm_s1", "orders_b"}, {"cm_s2", "orders_a"}, {"cm_s2", "orders_b"}};

api::RouteRule shardRoute(bool withExtras) {
    api::RouteRule r;
    r.database = "cm_s*";
    r.table = "orders_?";
    r.targetDatabase = "cm_t";
    r.targetTable = "orders";
    if (withExtras)
        r.extraColumns = {{"src_db", api::ExtraColumn::Value::Schema}, {"src_table", api::ExtraColumn::Value::Table}};
    return r;
}

api::MigrationJob mergeJob(const std::string& name, bool withExtras) {
    auto job = jobFor(name, {});
    job.objects.include.push_back(api::ObjectRule{"cm_s?", {"orders_*"}});
    job.consolidation.routes.push_back(shardRoute(withExtras));
    return job;
}

// The shards on the source and, with `extras`, the merged table keyed by (src_db, src_table, id).
void createShards(bool extras) {
    for (const auto& d : {"cm_s1", "cm_s2", "cm_t"}) freshDatabase(d);
    auto src = sharedSource().connectRoot();
    for (const auto& [d, t] : kShards)
        src.execute("CREATE TABLE " + db::qualified(d, t) +
                    " (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, s VARCHAR(20))");
    auto tgt = sharedTarget().connectRoot();
    if (extras)
        tgt.execute(
            "CREATE TABLE cm_t.orders (src_db VARCHAR(64) NOT NULL, src_table VARCHAR(64) NOT NULL, id INT NOT NULL, "
            "v INT NOT NULL, s VARCHAR(20), PRIMARY KEY (src_db, src_table, id))");
    else tgt.execute("CREATE TABLE cm_t.orders (id INT NOT NULL PRIMARY KEY, v INT NOT NULL, s VARCHAR(20))");
}

// Every row of the merged table, and of the union of the shards with their names, as
// "db|table|id|v|s[|c]" sorted: equal vectors are equal multisets.
std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::string> mergedRows(bool withC) {
    auto tgt = sharedTarget().connectRoot();
    auto rows = tgt.query(std::string("SELECT CONCAT_WS('|', src_db, src_table, id, v, IFNULL(s, 'NULL')") +
                          (withC ? ", IFNULL(c, 'NULL')" : "") + ") FROM cm_t.orders");
    std::vector<std::string> out;
    for (auto& r : rows.rows) out.push_back(r[0].value_or(""));
    return sorted(out);
}

std::vector<std::string> shardRows(bool withC) {
    auto src = sharedSource().connectRoot();
    std::vector<std::string> out;
    for (const auto& [d, t] : kShards) {
        auto rows =
            src.query("SELECT CONCAT_WS('|', " + src.quote(d) + ", " + src.quote(t) + ", id, v, IFNULL(s, 'NULL')" +
                      (withC ? ", IFNULL(c, 'NULL')" : "") + ") FROM " + db::qualified(d, t));
        for (auto& r : rows.rows) out.push_back(r[0].value_or(""));
    }
    return sorted(out);
}

// Inserts, updates and deletes on every shard (ids overlap across shards).
void writeOnEveryShard(db::Connection& src, int round, bool withC = false) {
    for (const auto& [d, t] : kShards) {
        const std::string q = db::qualified(d, t);
        for (int i = 0; i < 20; ++i)
            src.execute("INSERT INTO " + q + " (v, s) VALUES (" + std::to_string(round * 100 + i) + ", 'r" +
                        std::to_string(round) + "')");
        src.execute("UPDATE " + q + " SET v = v + 1, s = NULL WHERE id % 5 = 0");
        src.execute("DELETE FROM " + q + " WHERE id % 7 = 3");
        if (withC) src.execute("UPDATE " + q + " SET c = id WHERE id % 4 = 1");
    }
}

bool hasColumn(db::Connection& c, const std::string& database, const std::string& table, const std::string& column) {
    return c.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + c.quote(database) +
                    " AND TABLE_NAME = " + c.quote(table) + " AND COLUMN_NAME = " + c.quote(column))
               .value_or("0") == "1";
}

}  // namespace

TEST_CASE("four shards of two databases merge into one table, and a DDL issued on each shard in turn runs once") {
    createShards(true);
    const auto job = mergeJob("cm_merge", true);
    catchUp(job, {});  // starts at the source's current position
    auto src = sharedSource().connectRoot();
    writeOnEveryShard(src, 1);
    catchUp(job, {});
    CHECK(mergedRows(false).size() > 60);
    CHECK(mergedRows(false) == shardRows(false));

    // Each shard adds the same column in turn, with writes on all shards in between: the merged
    // table gets it from the first, rows of shards that have not added it yet take its default.
    RecordingSink sink;
    for (const auto& [d, t] : kShards) {
        src.execute("ALTER TABLE " + db::qualified(d, t) + " ADD COLUMN c INT DEFAULT 7");
        writeOnEveryShard(src, 2, false);
        catchUp(job, {}, &sink);
        if (d == "cm_s1" && t == "orders_a") {
            // The status groups the shards by definition: the one that added c, the three that have not.
            const auto pending = sink.last()["shardDdl"];
            REQUIRE(pending.size() == 1);
            CHECK(pending[0]["table"] == "cm_t.orders");
            REQUIRE(pending[0]["definitions"].size() == 2);
            for (const auto& definition : pending[0]["definitions"]) {
                if (definition["columns"] == "id int, v int, s varchar, c int")
                    CHECK(definition["shards"] == nlohmann::json::array({"cm_s1.orders_a"}));
                else CHECK(definition["shards"].size() == 3);
            }
        }
    }
    writeOnEveryShard(src, 3, true);
    catchUp(job, {}, &sink);
    auto tgt = sharedTarget().connectRoot();
    CHECK(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK(sink.noted("another shard's made the same change"));
    CHECK(mergedRows(true) == shardRows(true));
    CHECK(sink.last()["shardDdl"].empty());  // every shard has the same definition again
    // The extra columns name each row's shard: every shard has rows, and only those four.
    const auto shards = tgt.query("SELECT DISTINCT CONCAT(src_db, '.', src_table) FROM cm_t.orders ORDER BY 1");
    REQUIRE(shards.size() == 4);
    CHECK(shards.rows[0][0].value_or("") == "cm_s1.orders_a");
    CHECK(shards.rows[3][0].value_or("") == "cm_s2.orders_b");
}

TEST_CASE("a shard DDL that would break the other shards' rows stops, naming spec.ddl.skip, and skipping it goes on") {
    createShards(true);
    auto job = mergeJob("cm_refuse", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("ALTER TABLE cm_s1.orders_a DROP COLUMN s");
    std::string position;
    try {
        catchUp(job, {});
        FAIL("replay ran a DROP COLUMN of one shard on the merged table");
    } catch (const replay::DdlRejectedError& e) {
        const std::string what = e.what();
        CHECK(what.find("`cm_s1.orders_a` is merged into `cm_t.orders`") != std::string::npos);
        CHECK(what.find("spec.ddl.skip") != std::string::npos);
        position = e.position;
    }
    REQUIRE_FALSE(position.empty());
    auto tgt = sharedTarget().connectRoot();
    CHECK(hasColumn(tgt, "cm_t", "orders", "s"));  // not run
    // The user lets the merged table keep the column (it is nullable) and skips the statement.
    job.ddl.skip.push_back(position);
    replay::ReplayOptions options;
    options.skipDdl.insert(position);
    src.execute("INSERT INTO cm_s1.orders_a (v) VALUES (42)");
    src.execute("INSERT INTO cm_s2.orders_b (v, s) VALUES (43, 'x')");
    catchUp(job, options);
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_t.orders WHERE v IN (42, 43)").value_or("") == "2");
    CHECK(tgt.scalar("SELECT IFNULL(s, 'NULL') FROM cm_t.orders WHERE v = 42").value_or("") == "NULL");
}

TEST_CASE("a key in two shards without an extra column to tell them apart stops replay, naming the key") {
    createShards(false);
    const auto job = mergeJob("cm_conflict", false);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("INSERT INTO cm_s1.orders_a (id, v) VALUES (1, 10)");
    src.execute("INSERT INTO cm_s2.orders_b (id, v) VALUES (1, 20)");
    try {
        catchUp(job, {});
        FAIL("replay overwrote a shard's row with another shard's");
    } catch (const replay::DuplicateKeyError& e) {
        const std::string what = e.what();
        CHECK(what.find("`cm_t`.`orders`") != std::string::npos);
        CHECK(what.find("'1'") != std::string::npos);
        CHECK(what.find("cm_s1.orders_a") != std::string::npos);
        CHECK(what.find("cm_s2.orders_b") != std::string::npos);
    }
    auto tgt = sharedTarget().connectRoot();
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_t.orders WHERE v = 20").value_or("") == "0");  // nothing overwritten
}

TEST_CASE("event filters drop deletes and a row expression drops matching inserts, each counted") {
    freshDatabase("cm_f");
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->connectRoot().execute("CREATE TABLE cm_f.t (id INT PRIMARY KEY, status VARCHAR(10), v INT)");
    auto job = jobFor("cm_filters", {"cm_f"});
    api::EventFilter noDeletes;
    noDeletes.database = "cm_f";
    noDeletes.events = {api::EventKind::Delete};
    job.consolidation.filters.push_back(noDeletes);
    api::RowFilter testRows;
    testRows.database = "cm_*";
    testRows.table = "t";
    testRows.insert = "status = 'test' OR v > 1000";
    testRows.updateNew = "status = 'hidden'";
    job.consolidation.rowFilters.push_back(testRows);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    for (int i = 1; i <= 12; ++i)
        src.execute("INSERT INTO cm_f.t VALUES (" + std::to_string(i) + ", '" + (i % 4 == 0 ? "test" : "live") + "', " +
                    std::to_string(i == 5 ? 5000 : i) + ")");
    src.execute("UPDATE cm_f.t SET status = 'hidden', v = -1 WHERE id = 1");
    src.execute("UPDATE cm_f.t SET v = 99 WHERE id = 2");
    src.execute("DELETE FROM cm_f.t WHERE id IN (2, 3, 6)");
    RecordingSink sink;
    catchUp(job, {}, &sink);
    auto tgt = sharedTarget().connectRoot();
    // 12 inserted, 3 (ids 4, 8, 12) 'test' and 1 (id 5) v > 1000 filtered: 8 rows; no delete applied.
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_f.t").value_or("") == "8");
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_f.t WHERE id IN (4, 5, 8, 12)").value_or("") == "0");
    CHECK(tgt.scalar("SELECT v FROM cm_f.t WHERE id = 2").value_or("") == "99");
    CHECK(tgt.scalar("SELECT CONCAT(status, v) FROM cm_f.t WHERE id = 1").value_or("") == "live1");
    const auto filtered = sink.last()["filtered"];
    CHECK(filtered["delete"] == 3);
    CHECK(filtered["byExpression"] == 5);  // 4 inserts and 1 update
}

TEST_CASE("an Error event filter stops replay at the event it names") {
    freshDatabase("cm_e");
    for (DbServer* s : {&sharedSource(), &sharedTarget()})
        s->connectRoot().execute("CREATE TABLE cm_e.t (id INT PRIMARY KEY)");
    auto job = jobFor("cm_error_filter", {"cm_e"});
    api::EventFilter stopOnTruncate;
    stopOnTruncate.database = "cm_e";
    stopOnTruncate.events = {api::EventKind::TruncateTable, api::EventKind::Delete};
    stopOnTruncate.action = api::EventFilter::Action::Error;
    job.consolidation.filters.push_back(stopOnTruncate);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("INSERT INTO cm_e.t VALUES (1), (2)");
    catchUp(job, {});
    src.execute("DELETE FROM cm_e.t WHERE id = 2");
    try {
        catchUp(job, {});
        FAIL("replay applied a DELETE an Error filter names");
    } catch (const replay::ReplayError& e) {
        CHECK(std::string(e.what()).find("spec.filters[0] stops on delete of `cm_e`.`t`") != std::string::npos);
    }
    CHECK(sharedTarget().connectRoot().scalar("SELECT COUNT(*) FROM cm_e.t").value_or("") == "2");
}

TEST_CASE("a route renames one table: rows and DDL reach the renamed table") {
    freshDatabase("cm_r");
    freshDatabase("cm_r2");
    sharedSource().connectRoot().execute("CREATE TABLE cm_r.a (id INT PRIMARY KEY, v VARCHAR(10))");
    sharedTarget().connectRoot().execute("CREATE TABLE cm_r2.b (id INT PRIMARY KEY, v VARCHAR(10))");
    auto job = jobFor("cm_rename", {"cm_r"});
    api::RouteRule r;
    r.database = "cm_r";
    r.table = "a";
    r.targetDatabase = "cm_r2";
    r.targetTable = "b";
    job.consolidation.routes.push_back(r);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("INSERT INTO cm_r.a VALUES (1, 'x'), (2, 'y')");
    src.execute("ALTER TABLE cm_r.a ADD COLUMN w INT DEFAULT 3");
    src.execute("UPDATE cm_r.a SET w = 9 WHERE id = 2");
    src.execute("TRUNCATE TABLE cm_r.a");
    src.execute("INSERT INTO cm_r.a VALUES (5, 'z', 6)");
    catchUp(job, {});
    auto tgt = sharedTarget().connectRoot();
    CHECK(tableRows(tgt, "cm_r2", "b") == tableRows(src, "cm_r", "a"));
    CHECK_FALSE(tgt.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'cm_r' AND TABLE_NAME = 'a'"));
}

TEST_CASE("a shard created later (CREATE TABLE ... LIKE another shard) joins the merged table") {
    createShards(true);
    const auto job = mergeJob("cm_new_shard", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    writeOnEveryShard(src, 1);
    src.execute("CREATE TABLE cm_s2.orders_c LIKE cm_s2.orders_a");
    src.execute("INSERT INTO cm_s2.orders_c (v, s) VALUES (1, 'new'), (2, 'new')");
    src.execute("UPDATE cm_s2.orders_c SET s = 'newer' WHERE v = 2");
    catchUp(job, {});
    auto tgt = sharedTarget().connectRoot();
    CHECK(
        tgt.scalar("SELECT GROUP_CONCAT(CONCAT(id, ':', s) ORDER BY id) FROM cm_t.orders WHERE src_table = 'orders_c'")
            .value_or("") == "1:new,2:newer");
    CHECK(tgt.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'cm_s2' AND TABLE_NAME = "
                     "'orders_c'")
              .value_or("") == "0");  // nothing but the merged table on the target
    CHECK(mergedRows(false).size() == shardRows(false).size() + 2);
}
