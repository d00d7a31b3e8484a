// Replay with spec.routes, spec.filters and spec.rowFilters on real servers: shards of two
// databases merged into one target table (extra columns naming each row's shard), a DDL issued on
// each shard in turn (spec.shardDdl.mode Optimistic: run at the first shard or refused;
// Pessimistic: held until the last shard, with crashes in between), filters that drop deletes and
// rows matching an expression, and a key present in two shards without an extra column to tell
// them apart.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>

#include "runner/db/fault_injection.h"
#include "runner/meta/job_instance.h"
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

api::MigrationJob mergeJob(const std::string& name, bool withExtras,
                           api::ShardDdlSpec::Mode mode = api::ShardDdlSpec::Mode::Pessimistic) {
    auto job = jobFor(name, {});
    job.objects.include.push_back(api::ObjectRule{"cm_s?", {"orders_*"}});
    job.consolidation.routes.push_back(shardRoute(withExtras));
    job.shardDdl.mode = mode;
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

// `columns`: what follows the shard's names in each row's text.
std::vector<std::string> mergedRowsOf(const std::string& columns) {
    auto tgt = sharedTarget().connectRoot();
    auto rows = tgt.query("SELECT CONCAT_WS('|', src_db, src_table, " + columns + ") FROM cm_t.orders");
    std::vector<std::string> out;
    for (auto& r : rows.rows) out.push_back(r[0].value_or(""));
    return sorted(out);
}

std::vector<std::string> shardRowsOf(const std::string& columns) {
    auto src = sharedSource().connectRoot();
    std::vector<std::string> out;
    for (const auto& [d, t] : kShards) {
        auto rows = src.query("SELECT CONCAT_WS('|', " + src.quote(d) + ", " + src.quote(t) + ", " + columns +
                              ") FROM " + db::qualified(d, t));
        for (auto& r : rows.rows) out.push_back(r[0].value_or(""));
    }
    return sorted(out);
}

const std::string kColumns = "id, v, IFNULL(s, 'NULL')";
const std::string kColumnsWithC = kColumns + ", IFNULL(c, 'NULL')";

std::vector<std::string> mergedRows(bool withC) { return mergedRowsOf(withC ? kColumnsWithC : kColumns); }
std::vector<std::string> shardRows(bool withC) { return shardRowsOf(withC ? kColumnsWithC : kColumns); }

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

TEST_CASE(
    "optimistic: four shards of two databases merge into one table, and a DDL issued on each shard in turn runs once") {
    createShards(true);
    const auto job = mergeJob("cm_merge", true, api::ShardDdlSpec::Mode::Optimistic);
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

TEST_CASE(
    "optimistic: a shard DDL that would break the other shards' rows stops, naming spec.ddl.skip, and skipping it goes "
    "on") {
    createShards(true);
    auto job = mergeJob("cm_refuse", true, api::ShardDdlSpec::Mode::Optimistic);
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

namespace {

// Live writes on every shard while shards [0, changed) have issued `change`: "add" (they have c)
// or "drop" (they no longer have s). Inserts, updates and deletes, also of rows written earlier.
void writeWhileChanging(db::Connection& src, int round, size_t changed, const std::string& change) {
    const std::string r = std::to_string(round);
    for (size_t i = 0; i < kShards.size(); ++i) {
        const std::string q = db::qualified(kShards[i].first, kShards[i].second);
        const bool issued = i < changed;
        const bool withoutS = change == "drop" && issued;
        for (int k = 0; k < 15; ++k) {
            const std::string v = std::to_string(round * 100 + k);
            src.execute("INSERT INTO " + q +
                        (withoutS ? " (v) VALUES (" + v + ")" : " (v, s) VALUES (" + v + ", 'r" + r + "')"));
        }
        src.execute("UPDATE " + q + " SET v = v + 1" + (withoutS ? "" : ", s = NULL") +
                    " WHERE id % 5 = " + std::to_string(round % 5));
        src.execute("DELETE FROM " + q + " WHERE id % 7 = " + std::to_string(round % 7));
        if (change == "add" && issued) src.execute("UPDATE " + q + " SET c = id + " + r + " WHERE id % 4 = 1");
    }
}

uint64_t heldRows(const api::MigrationJob& job) {
    auto tgt = sharedTarget().connectRoot();
    return std::stoull(
        tgt.scalar("SELECT COUNT(*) FROM tidemark_meta.ddl_held_rows WHERE job = " + tgt.quote(job.jobKey()))
            .value_or("0"));
}

struct Faults {
    explicit Faults(const std::vector<db::InjectedFault>& faults) {
        db::clearFaults();
        for (const auto& f : faults) db::injectFault(f);
    }
    ~Faults() { db::clearFaults(); }
};

db::InjectedFault lostConnection(const std::string& match, bool afterExecute, int times = 1) {
    db::InjectedFault f;
    f.role = "target";
    f.code = 2013;  // CR_SERVER_LOST: the outcome unknown to the runner, as at a crash
    f.match = match;
    f.times = times;
    f.afterExecute = afterExecute;
    return f;
}

// Issues `alter` on shard `i` (as a statement about that shard) and writes on every shard.
void issueOnShard(db::Connection& src, size_t i, const std::string& alter, const std::string& change) {
    src.execute("ALTER TABLE " + db::qualified(kShards[i].first, kShards[i].second) + " " + alter);
    writeWhileChanging(src, static_cast<int>(2 + i), i + 1, change);
}

}  // namespace

TEST_CASE(
    "pessimistic: an ADD COLUMN issued on each shard in turn waits for the last shard, holding the others' rows") {
    createShards(true);
    const auto job = mergeJob("cm_pess_add", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    auto tgt = sharedTarget().connectRoot();
    writeWhileChanging(src, 1, 0, "add");
    catchUp(job, {});
    RecordingSink sink;
    for (size_t i = 0; i < kShards.size(); ++i) {
        issueOnShard(src, i, "ADD COLUMN c INT DEFAULT 7", "add");
        catchUp(job, {}, &sink);
        if (i + 1 == kShards.size()) break;
        CAPTURE(i);
        // Not run yet; the rows of the shards that issued it wait in tidemark_meta.
        CHECK_FALSE(hasColumn(tgt, "cm_t", "orders", "c"));
        CHECK(heldRows(job) > 0);
        const auto shardDdl = sink.last()["shardDdl"];
        REQUIRE(shardDdl.size() == 1);
        REQUIRE(shardDdl[0]["pending"].size() == 1);
        const auto pending = shardDdl[0]["pending"][0];
        CHECK(pending["statement"].get<std::string>().find("ADD COLUMN c INT DEFAULT 7") != std::string::npos);
        CHECK(pending["issued"].size() == i + 1);
        CHECK(pending["waiting"].size() == kShards.size() - i - 1);
        CHECK(sink.last()["rowsHeld"].get<uint64_t>() > 0);             // by this run
        if (i > 0) CHECK(shardDdl[0]["heldRows"].get<uint64_t>() > 0);  // in the target as the shard issued
    }
    CHECK(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK(heldRows(job) == 0);
    CHECK(mergedRows(true).size() > 100);
    CHECK(mergedRows(true) == shardRows(true));
    CHECK(sink.last()["shardDdl"].empty());
    writeWhileChanging(src, 9, kShards.size(), "add");
    catchUp(job, {}, &sink);
    CHECK(mergedRows(true) == shardRows(true));
}

TEST_CASE("pessimistic: a DROP COLUMN issued on each shard in turn runs once the last shard issued it") {
    createShards(true);
    const auto job = mergeJob("cm_pess_drop", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    auto tgt = sharedTarget().connectRoot();
    writeWhileChanging(src, 1, 0, "drop");
    catchUp(job, {});
    for (size_t i = 0; i < kShards.size(); ++i) {
        issueOnShard(src, i, "DROP COLUMN s", "drop");
        catchUp(job, {});
        if (i + 1 == kShards.size()) break;
        CAPTURE(i);
        CHECK(hasColumn(tgt, "cm_t", "orders", "s"));
        CHECK(heldRows(job) > 0);
    }
    CHECK_FALSE(hasColumn(tgt, "cm_t", "orders", "s"));
    CHECK(heldRows(job) == 0);
    CHECK(mergedRowsOf("id, v").size() > 100);
    CHECK(mergedRowsOf("id, v") == shardRowsOf("id, v"));
}

TEST_CASE("pessimistic: two shards issuing different changes at the same step stop replay, naming both") {
    createShards(true);
    const auto job = mergeJob("cm_pess_conflict", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("ALTER TABLE cm_s1.orders_a ADD COLUMN c INT DEFAULT 7");
    src.execute("INSERT INTO cm_s1.orders_a (v, c) VALUES (1, 2)");
    src.execute("ALTER TABLE cm_s2.orders_b ADD COLUMN c BIGINT");
    std::string position;
    try {
        catchUp(job, {});
        FAIL("replay merged two different changes of one step");
    } catch (const replay::DdlRejectedError& e) {
        const std::string what = e.what();
        INFO(what);
        position = e.position;
        CHECK(what.find("`cm_s1.orders_a` issued") != std::string::npos);
        CHECK(what.find("`cm_s2.orders_b` issued") != std::string::npos);
        CHECK(what.find("ADD COLUMN c INT DEFAULT 7") != std::string::npos);
        CHECK(what.find("ADD COLUMN c BIGINT") != std::string::npos);
    }
    auto tgt = sharedTarget().connectRoot();
    CHECK_FALSE(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK(heldRows(job) == 1);
    // Optimistic mode would never release the held row: switching to it now stops.
    auto optimistic = job;
    optimistic.shardDdl.mode = api::ShardDdlSpec::Mode::Optimistic;
    try {
        catchUp(optimistic, {});
        FAIL("replay switched to Optimistic mode with rows held");
    } catch (const replay::ReplayError& e) {
        CHECK(std::string(e.what()).find("spec.shardDdl.mode is Optimistic, but 1 shard DDL") != std::string::npos);
    }
    // The user keeps the first statement: the other is listed in spec.ddl.skip and counts as its
    // shard's issue; the last shard's same statement then runs the change.
    replay::ReplayOptions options;
    options.skipDdl.insert(position);
    src.execute("ALTER TABLE cm_s1.orders_b ADD COLUMN c INT DEFAULT 7");
    src.execute("ALTER TABLE cm_s2.orders_a ADD COLUMN c INT DEFAULT 7");
    src.execute("INSERT INTO cm_s2.orders_b (v, c) VALUES (5, 6)");
    catchUp(job, options);
    CHECK(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK(heldRows(job) == 0);
    CHECK(mergedRows(true) == shardRows(true));
}

TEST_CASE("pessimistic: connections lost while shard rows are held and while they are released lose nothing") {
    createShards(true);
    const auto job = mergeJob("cm_pess_crash", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    auto tgt = sharedTarget().connectRoot();
    writeWhileChanging(src, 1, 0, "add");
    catchUp(job, {});
    issueOnShard(src, 0, "ADD COLUMN c INT DEFAULT 7", "add");
    issueOnShard(src, 1, "ADD COLUMN c INT DEFAULT 7", "add");
    {
        // Held rows whose piece's COMMIT answer is lost (committed, or not), and a piece that fails
        // before its held rows reach the server.
        Faults faults({lostConnection("REPLACE INTO `tidemark_meta`.`replay_checkpoint`", true, 3),
                       lostConnection("INSERT INTO tidemark_meta.ddl_held_rows", false)});
        catchUp(job, {});
        CHECK(db::faultsFired() >= 2);
    }
    CHECK(heldRows(job) > 0);
    issueOnShard(src, 2, "ADD COLUMN c INT DEFAULT 7", "add");
    catchUp(job, {});
    issueOnShard(src, 3, "ADD COLUMN c INT DEFAULT 7", "add");
    const uint64_t heldBefore = heldRows(job);
    {
        // The last shard's change runs on the merged table, then the bookkeeping transaction is
        // lost twice: once before it is sent, once after the held rows ran in it (rolled back).
        Faults faults({lostConnection("UPDATE tidemark_meta.ddl_locks SET applied", false),
                       lostConnection("DELETE FROM tidemark_meta.ddl_held_rows", true)});
        // Small target transactions: the held rows are released in several, each whole.
        replay::ReplayOptions small;
        small.limits.maxTxnBytes = 4096;
        RecordingSink sink;
        catchUp(job, small, &sink);
        CHECK(db::faultsFired() == 2);
        // The attempt lost at its last part had committed the parts before it: the run that
        // finished released only the rest.
        uint64_t releasedAtLast = 0;
        for (const auto& note : sink.notes()) {
            std::smatch m;
            if (std::regex_search(note, m, std::regex(R"((\d+) held row statements applied)")))
                releasedAtLast = std::stoull(m[1]);
        }
        CHECK(releasedAtLast > 0);
        CHECK(releasedAtLast < heldBefore);
    }
    CHECK(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK(heldRows(job) == 0);
    CHECK(mergedRows(true) == shardRows(true));
}

TEST_CASE("pessimistic: a shard's second change waits in the queue after the first is applied for every shard") {
    createShards(true);
    const auto job = mergeJob("cm_pess_queue", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    auto tgt = sharedTarget().connectRoot();
    auto insertEverywhere = [&](const std::string& tag) {
        for (const auto& [d, t] : kShards)
            src.execute("INSERT INTO " + db::qualified(d, t) + " (v, s) VALUES (1, '" + tag + "'), (2, '" + tag + "')");
    };
    insertEverywhere("before");
    // The first shard issues both changes before any other shard issued the first.
    src.execute("ALTER TABLE cm_s1.orders_a ADD COLUMN c INT DEFAULT 7");
    src.execute("INSERT INTO cm_s1.orders_a (v, c) VALUES (3, 30)");
    src.execute("ALTER TABLE cm_s1.orders_a ADD COLUMN d INT DEFAULT 8");
    src.execute("INSERT INTO cm_s1.orders_a (v, c, d) VALUES (4, 40, 400)");
    src.execute("UPDATE cm_s1.orders_a SET d = 5 WHERE v = 3");
    insertEverywhere("queued");
    for (size_t i = 1; i < kShards.size(); ++i)
        src.execute("ALTER TABLE " + db::qualified(kShards[i].first, kShards[i].second) +
                    " ADD COLUMN c INT DEFAULT 7");
    insertEverywhere("first applied");
    RecordingSink sink;
    catchUp(job, {}, &sink);
    // Change 1 ran; the first shard's rows written after its change 2 still wait.
    CHECK(hasColumn(tgt, "cm_t", "orders", "c"));
    CHECK_FALSE(hasColumn(tgt, "cm_t", "orders", "d"));
    CHECK(heldRows(job) > 0);
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_t.orders WHERE src_table = 'orders_a' AND src_db = 'cm_s1' AND v = 3")
              .value_or("") == "1");  // held at change 1, released with it
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_t.orders WHERE src_table = 'orders_a' AND src_db = 'cm_s1' AND v = 4")
              .value_or("") == "0");  // held at change 2
    const auto pending = sink.last()["shardDdl"][0]["pending"];
    REQUIRE(pending.size() == 1);
    CHECK(pending[0]["change"] == 2);
    CHECK(pending[0]["issued"] == nlohmann::json::array({"cm_s1.orders_a"}));
    for (size_t i = 1; i < kShards.size(); ++i)
        src.execute("ALTER TABLE " + db::qualified(kShards[i].first, kShards[i].second) +
                    " ADD COLUMN d INT DEFAULT 8");
    insertEverywhere("second applied");
    catchUp(job, {}, &sink);
    CHECK(heldRows(job) == 0);
    const std::string columns = kColumnsWithC + ", IFNULL(d, 'NULL')";
    CHECK(mergedRowsOf(columns) == shardRowsOf(columns));
}

TEST_CASE("pessimistic: forgetting a job deletes its pending shard changes and held rows") {
    createShards(true);
    const auto job = mergeJob("cm_pess_forget", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    src.execute("ALTER TABLE cm_s1.orders_a ADD COLUMN c INT DEFAULT 7");
    src.execute("INSERT INTO cm_s1.orders_a (v, c) VALUES (1, 2), (3, 4)");
    catchUp(job, {});
    const uint64_t held = heldRows(job);
    REQUIRE(held > 0);
    auto tgt = sharedTarget().connectRoot();
    const auto deleted = meta::forgetInstance(tgt, job.instanceKey());
    CHECK(deleted.at("ddl_held_rows") == held);
    CHECK(deleted.at("ddl_lock_issued") == 1);
    CHECK(deleted.at("ddl_locks") == 1);
    CHECK(heldRows(job) == 0);
}

TEST_CASE("pessimistic: a TRUNCATE of a shard whose rows are held is held with them, in order") {
    createShards(true);
    const auto job = mergeJob("cm_pess_truncate", true);
    catchUp(job, {});
    auto src = sharedSource().connectRoot();
    writeWhileChanging(src, 1, 0, "add");
    src.execute("ALTER TABLE cm_s1.orders_a ADD COLUMN c INT DEFAULT 7");
    src.execute("INSERT INTO cm_s1.orders_a (v, c) VALUES (1, 1), (2, 2)");  // held
    src.execute("TRUNCATE TABLE cm_s1.orders_a");
    src.execute("INSERT INTO cm_s1.orders_a (v, c) VALUES (3, 3)");  // held after the TRUNCATE
    catchUp(job, {});
    auto tgt = sharedTarget().connectRoot();
    // The shard's rows from before its change are still there: the DELETE waits behind the held rows.
    CHECK(tgt.scalar("SELECT COUNT(*) FROM cm_t.orders WHERE src_db = 'cm_s1' AND src_table = 'orders_a'")
              .value_or("0") != "0");
    for (size_t i = 1; i < kShards.size(); ++i)
        src.execute("ALTER TABLE " + db::qualified(kShards[i].first, kShards[i].second) +
                    " ADD COLUMN c INT DEFAULT 7");
    catchUp(job, {});
    CHECK(heldRows(job) == 0);
    CHECK(tgt.scalar("SELECT GROUP_CONCAT(v) FROM cm_t.orders WHERE src_db = 'cm_s1' AND src_table = 'orders_a'")
              .value_or("") == "3");
    CHECK(mergedRows(true) == shardRows(true));
}

TEST_CASE("pessimistic: shards written concurrently while each adds a column in turn end equal to their union") {
    using namespace std::chrono_literals;
    createShards(true);
    const auto job = mergeJob("cm_pess_live", true);
    catchUp(job, {});  // records where replay starts
    std::atomic<bool> writing{true};
    std::atomic<int> rounds{0};
    std::thread writer([&] {
        auto src = sharedSource().connectRoot();
        for (int round = 1; writing; ++round) {
            const std::string q =
                db::qualified(kShards[round % kShards.size()].first, kShards[round % kShards.size()].second);
            const std::string r = std::to_string(round);
            src.execute("START TRANSACTION");
            src.execute("INSERT INTO " + q + " (v, s) VALUES (" + r + ", 'a'), (" + r + ", 'b')");
            src.execute("UPDATE " + q + " SET v = v + 1, s = NULL WHERE id % 9 = " + std::to_string(round % 9));
            src.execute("DELETE FROM " + q + " WHERE id % 13 = " + std::to_string(round % 13) + " LIMIT 1");
            src.execute("COMMIT");
            rounds = round;
        }
    });
    bool same = false;
    {
        replay::ReplayOptions options;
        options.maxBatchRows = 20;
        BackgroundReplay replay(job, options);
        auto src = sharedSource().connectRoot();
        for (const auto& [d, t] : kShards) {
            std::this_thread::sleep_for(300ms);
            src.execute("ALTER TABLE " + db::qualified(d, t) + " ADD COLUMN c INT DEFAULT 7");
        }
        std::this_thread::sleep_for(300ms);
        writing = false;
        writer.join();
        auto tgt = sharedTarget().connectRoot();
        for (int k = 0; k < 300 && !same; ++k) {
            std::this_thread::sleep_for(200ms);
            same = hasColumn(tgt, "cm_t", "orders", "c") && heldRows(job) == 0 && mergedRows(true) == shardRows(true);
        }
        replay.stop();
        CHECK(replay.sink().last()["rowsHeld"].get<uint64_t>() > 0);  // rows of the first shards waited
    }
    CHECK(rounds > 20);
    CHECK(same);
    CHECK(mergedRows(true) == shardRows(true));
}
