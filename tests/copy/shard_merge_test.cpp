// Routing in the full copy (spec.routes): four shard tables (two databases x two tables, with
// overlapping auto-increment ids) merged into one target table, with extra columns naming each
// row's shard and without them; a killed merge resumed; a 1:1 rename; the insert row filter;
// verify on merged tables, and the merges the copy refuses.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

#include <algorithm>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

const std::vector<std::pair<std::string, std::string>> kShards = {
    {"shop_1", "orders_a"}, {"shop_1", "orders_b"}, {"shop_2", "orders_a"}, {"shop_2", "orders_b"}};
const std::vector<std::string> kDatabases = {"shop_1", "shop_2", "shop"};

// The four shards, `rows` rows each. With `firstId` 0 every shard numbers its rows from 1 (ids
// overlap, and shards hold identical rows); else shard i numbers them from i * firstId + 1.
void createShards(int rows, int firstId = 0) {
    auto s = source().connectRoot();
    for (std::size_t i = 0; i < kShards.size(); ++i) {
        const auto& [d, t] = kShards[i];
        s.execute("CREATE DATABASE IF NOT EXISTS " + d);
        const std::string table = d + "." + t;
        s.execute("CREATE TABLE " + table +
                  " (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40), amount INT NOT NULL, KEY amount "
                  "(amount))");
        if (firstId) s.execute("ALTER TABLE " + table + " AUTO_INCREMENT = " + std::to_string(i * firstId + 1));
        s.execute("INSERT INTO " + table + " (note, amount) SELECT CONCAT('n', seq % 50), seq % 100 FROM " +
                  numbers(static_cast<std::uint64_t>(rows)));
    }
}

api::RouteRule ordersRoute(bool extras) {
    api::RouteRule r;
    r.database = "shop_*";
    r.table = "orders_*";
    r.targetDatabase = "shop";
    r.targetTable = "orders";
    if (extras) {
        r.extraColumns.push_back({"src_schema", api::ExtraColumn::Value::Schema});
        r.extraColumns.push_back({"src_table", api::ExtraColumn::Value::Table});
    }
    return r;
}

api::MigrationJob mergeJob(const std::string& name, bool extras, api::FullMode mode = api::FullMode::Logical) {
    auto j = job(name, {"shop_1", "shop_2"}, mode);
    j.consolidation.routes.push_back(ordersRoute(extras));
    return j;
}

// The rows of `table` that `where` selects, as "HEX(id)|HEX(note)|HEX(amount)", sorted.
std::vector<std::string> rowsOf(db::Connection& c, const std::string& table, const std::string& where = "TRUE") {
    auto r = c.query("SELECT CONCAT_WS('|', HEX(id), COALESCE(HEX(note), 'NULL'), HEX(amount)) FROM " + table +
                     " WHERE " + where);
    std::vector<std::string> out;
    for (auto& row : r.rows) out.push_back(row[0].value_or("?"));
    std::sort(out.begin(), out.end());
    return out;
}

// Each shard's rows are in shop.orders exactly once, marked with its names, and nothing else is.
void checkMergedWithExtras() {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    std::uint64_t total = 0;
    for (auto& [d, tbl] : kShards) {
        const std::string marks = "src_schema = '" + d + "' AND src_table = '" + tbl + "'";
        CHECK_MESSAGE(rowsOf(s, d + "." + tbl) == rowsOf(t, "shop.orders", marks), std::string(d + "." + tbl));
        total += count(s, std::string(d + "." + tbl));
    }
    CHECK(count(t, "shop.orders") == total);
}

void runCopy(const api::MigrationJob& j, RecordingSink& sink, copy::CopyOptions options = testOptions(100)) {
    std::atomic<bool> stop{false};
    copy::runFullCopy(j, sourceOptions(), targetOptions(), sink, stop, options);
}

std::string copyError(const api::MigrationJob& j) {
    RecordingSink sink;
    try {
        runCopy(j, sink);
    } catch (const copy::CopyError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("four shards merge into one table with extra columns naming each row's shard") {
    reset("merge-extras", kDatabases);
    createShards(700);
    RecordingSink sink;
    runCopy(mergeJob("merge-extras", true), sink);
    checkMergedWithExtras();

    auto t = target().connectRoot();
    // The extra columns lead the primary key; the auto-increment column keeps an index of its own.
    CHECK(t.scalar("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                   "TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' AND INDEX_NAME = 'PRIMARY'") ==
          std::optional<std::string>("src_schema,src_table,id"));
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = "
                   "'orders' AND COLUMN_NAME = 'id' AND SEQ_IN_INDEX = 1") == std::optional<std::string>("1"));
    CHECK(!t.scalar("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('shop_1', 'shop_2')"));
    const auto notes = sink.notes();
    CHECK(std::any_of(notes.begin(), notes.end(),
                      [](auto& n) { return contains(n, "routing shop_1.orders_a -> `shop`.`orders`"); }));

    auto v = copy::verify(mergeJob("merge-extras", true), sourceOptions(), targetOptions(), sink, testOptions(100));
    for (auto& d : v.differences) MESSAGE(d.text());
    CHECK(v.identical);
    CHECK(v.rowsCompared == 2800);

    t.execute(
        "UPDATE shop.orders SET note = 'changed' WHERE src_schema = 'shop_2' AND src_table = 'orders_b' AND id = 5");
    v = copy::verify(mergeJob("merge-extras", true), sourceOptions(), targetOptions(), sink, testOptions(100));
    REQUIRE(v.differences.size() == 1);
    CHECK(v.differences[0].database == "shop");
    CHECK(v.differences[0].table == "orders");
    CHECK(contains(v.differences[0].text(), "`shop`.`orders` (from shop_2.orders_b)"));
}

TEST_CASE("a merge killed mid-copy resumes without duplicates") {
    reset("merge-kill", kDatabases);
    createShards(2500);
    auto options = testOptions(200, 0.03, 2);
    options.batchBytes = 8 << 10;
    REQUIRE(copyKilledWhen(mergeJob("merge-kill", true), options, [] { return chunkCounts("merge-kill").done >= 8; }));
    const auto seen = chunkCounts("merge-kill");
    MESSAGE("killed with " << seen.done << " of " << seen.total << " chunks done");
    REQUIRE(seen.done < seen.total);

    RecordingSink sink;
    runCopy(mergeJob("merge-kill", true), sink, testOptions(200));
    CHECK(sink.last("fullCopy")["resumed"] == true);
    checkMergedWithExtras();
    auto v = copy::verify(mergeJob("merge-kill", true), sourceOptions(), targetOptions(), sink, testOptions(200));
    CHECK(v.identical);
}

// full_copy.h: an unfinished table whose definition changed between two runs is copied again
// whole; in a merged table that removes only its own rows first.
TEST_CASE("a shard altered between a killed merge and its resume is copied again without touching the others") {
    reset("merge-altered", kDatabases);
    createShards(2500);
    auto options = testOptions(200, 0.03, 2);
    options.batchBytes = 8 << 10;
    REQUIRE(copyKilledWhen(mergeJob("merge-altered", true), options,
                           [] { return chunkCounts("merge-altered").done >= 8; }));
    REQUIRE(chunkCounts("merge-altered").done < chunkCounts("merge-altered").total);
    auto s = source().connectRoot();
    s.execute("ALTER TABLE shop_2.orders_a COMMENT = 'altered between the runs'");
    s.execute("UPDATE shop_2.orders_a SET note = 'after' WHERE id <= 10");

    RecordingSink sink;
    runCopy(mergeJob("merge-altered", true), sink, testOptions(200));
    const auto notes = sink.notes();
    CHECK(std::any_of(notes.begin(), notes.end(), [](auto& n) {
        return contains(n, "shop_2.orders_a -> `shop`.`orders` changed on the source since its copy began");
    }));
    checkMergedWithExtras();

    // Without extra columns its rows cannot be told from the other shards': the copy says what to do.
    reset("merge-altered-plain", kDatabases);
    createShards(2500, 10000);
    REQUIRE(copyKilledWhen(mergeJob("merge-altered-plain", false), options,
                           [] { return chunkCounts("merge-altered-plain").done >= 8; }));
    s.execute("ALTER TABLE shop_2.orders_a COMMENT = 'altered'");
    const auto error = copyError(mergeJob("merge-altered-plain", false));
    CHECK(contains(error, "shop_2.orders_a -> `shop`.`orders` changed on the source since its copy began"));
}

// A chunk copied again is first cleared from the target (chunk_range.h): in a merged table that
// must remove the rows its own source table wrote there, and none of the other shards'.
TEST_CASE("clearing one shard's chunk in a merged table leaves the other shards' rows") {
    for (bool extras : {true, false}) {
        CAPTURE(extras);
        const std::string name = extras ? "clear-extras" : "clear-plain";
        reset(name, kDatabases);
        createShards(300, extras ? 0 : 1000);
        RecordingSink sink;
        runCopy(mergeJob(name, extras), sink);
        auto s = source().connectRoot();
        auto t = target().connectRoot();
        const auto info = copy::inspectTable(s, "shop_1", "orders_a");
        const auto into =
            copy::routedTarget(info, consolidate::Router(mergeJob(name, extras)).route("shop_1", "orders_a"), true);
        const auto side = copy::targetKeySide(t, info, into, false);
        const auto otherShards =
            rowsOf(t, "shop.orders", extras ? "src_table = 'orders_b' OR src_schema = 'shop_2'" : "id > 1000");

        copy::ChunkRange middle{copy::KeyValues{"100"}, copy::KeyValues{"200"}};
        copy::clearChunk(s, t, info, into, middle, side);
        CHECK(count(t, "shop.orders") == 1100);
        CHECK(rowsOf(t, "shop.orders", extras ? "src_table = 'orders_b' OR src_schema = 'shop_2'" : "id > 1000") ==
              otherShards);
        CHECK(!t.scalar("SELECT 1 FROM shop.orders WHERE id BETWEEN 101 AND 200" +
                        std::string(extras ? " AND src_schema = 'shop_1' AND src_table = 'orders_a'" : "")));

        copy::clearChunk(s, t, info, into, copy::ChunkRange{}, side);
        CHECK(count(t, "shop.orders") == 900);
        CHECK(rowsOf(t, "shop.orders") == otherShards);
    }
}

TEST_CASE("shards merged without extra columns: disjoint keys merge, a shared key stops the copy naming both") {
    reset("merge-plain", kDatabases);
    createShards(300, 1000);
    RecordingSink sink;
    runCopy(mergeJob("merge-plain", false), sink);
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    std::vector<std::string> all;
    for (auto& [d, tbl] : kShards) {
        auto rows = rowsOf(s, std::string(d + "." + tbl));
        all.insert(all.end(), rows.begin(), rows.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(rowsOf(t, "shop.orders") == all);
    auto v = copy::verify(mergeJob("merge-plain", false), sourceOptions(), targetOptions(), sink, testOptions(100));
    CHECK(v.identical);
    t.execute("DELETE FROM shop.orders WHERE id = 3005");
    v = copy::verify(mergeJob("merge-plain", false), sourceOptions(), targetOptions(), sink, testOptions(100));
    REQUIRE(v.differences.size() == 1);
    CHECK(contains(v.differences[0].text(), "shop_1.orders_a"));
    CHECK(contains(v.differences[0].text(), "shop_2.orders_b"));

    // shop_2.orders_b takes an id shop_1.orders_a holds: REPLACE would lose one of the two rows.
    reset("merge-conflict", {"shop"});
    s.execute("INSERT INTO shop_2.orders_b (id, note, amount) VALUES (105, 'dup', 1)");
    const auto error = copyError(mergeJob("merge-conflict", false));
    MESSAGE(error);
    CHECK(contains(error, "shop_1.orders_a and shop_2.orders_b both hold PRIMARY key (id) = ('105')"));
    CHECK(contains(error, "route to shop.orders"));
    CHECK(contains(error, "extraColumns"));
    CHECK(count(t, "shop.orders") == 0);  // found before any row was written
}

TEST_CASE("a 1:1 route copies a table under its new name, in both modes, with the source's id in a column") {
    for (auto mode : {api::FullMode::Logical, api::FullMode::Physical}) {
        const std::string name = mode == api::FullMode::Logical ? "rename-logical" : "rename-physical";
        reset(name, {"ren_src", "ren_dst"});
        auto s = source().connectRoot();
        s.execute("CREATE DATABASE ren_src");
        s.execute("CREATE TABLE ren_src.items (id INT PRIMARY KEY, note VARCHAR(40), amount INT NOT NULL)");
        s.execute("INSERT INTO ren_src.items SELECT seq, CONCAT('i', seq), seq % 7 FROM " + numbers(500));
        auto j = job(name, {"ren_src"}, mode);
        j.source.id = "eu-1";
        j.consolidation.routes.push_back(
            {"ren_src", "items", "ren_dst", "goods", {{"origin", api::ExtraColumn::Value::Source}}});
        RecordingSink sink;
        runCopy(j, sink);
        auto t = target().connectRoot();
        CHECK(rowsOf(s, "ren_src.items") == rowsOf(t, "ren_dst.goods"));
        CHECK(t.scalar("SELECT GROUP_CONCAT(DISTINCT origin) FROM ren_dst.goods") ==
              std::optional<std::string>("eu-1"));
        CHECK(!t.scalar(
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_NAME = 'items' AND TABLE_SCHEMA LIKE 'ren%'"));
        auto v = copy::verify(j, sourceOptions(), targetOptions(), sink, testOptions(100));
        CHECK(v.identical);
        t.execute("DELETE FROM ren_dst.goods WHERE id = 17");
        v = copy::verify(j, sourceOptions(), targetOptions(), sink, testOptions(100));
        REQUIRE(v.differences.size() == 1);
        CHECK(contains(v.differences[0].text(), "`ren_dst`.`goods` (from ren_src.items)"));
    }
}

TEST_CASE("the insert row filter keeps the rows it matches out of the copy") {
    reset("merge-filter", kDatabases);
    createShards(400);
    auto j = mergeJob("merge-filter", true);
    api::RowFilter f;
    f.database = "shop_1";
    f.table = "orders_*";
    f.insert = "amount >= 90 OR note = 'n7'";
    j.consolidation.rowFilters.push_back(f);
    RecordingSink sink;
    runCopy(j, sink);
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (auto& [d, tbl] : kShards) {
        const std::string marks = "src_schema = '" + d + "' AND src_table = '" + tbl + "'";
        const std::string kept = d == "shop_1" ? "NOT (amount >= 90 OR note = 'n7')" : "TRUE";
        CHECK_MESSAGE(rowsOf(s, d + "." + tbl, kept) == rowsOf(t, "shop.orders", marks), std::string(d + "." + tbl));
    }
    CHECK(count(t, "shop.orders") < 1600);
    auto v = copy::verify(j, sourceOptions(), targetOptions(), sink, testOptions(100));
    for (auto& d : v.differences) MESSAGE(d.text());
    CHECK(v.identical);
}

TEST_CASE("merges the copy cannot do safely are refused before anything is written") {
    reset("merge-refused", kDatabases);
    createShards(50);
    // Physical mode loads one empty table per source table.
    auto error = copyError(mergeJob("merge-refused", true, api::FullMode::Physical));
    CHECK(contains(error, "use Logical"));
    CHECK(contains(error, "shop_1.orders_a"));
    // A keyless shard without an extra column could not be cleared for a recopy.
    auto s = source().connectRoot();
    s.execute("CREATE TABLE shop_1.orders_c (id INT, note VARCHAR(40), amount INT NOT NULL)");
    error = copyError(mergeJob("merge-refused", false));
    CHECK(contains(error, "shop_1.orders_c has no primary or unique key"));
    CHECK(contains(error, "extra column"));
    s.execute("DROP TABLE shop_1.orders_c");
    // An existing target table must have the route's extra columns.
    auto t = target().connectRoot();
    t.execute("CREATE DATABASE shop");
    t.execute(
        "CREATE TABLE shop.orders (id INT NOT NULL AUTO_INCREMENT, note VARCHAR(40), amount INT NOT NULL, "
        "src_schema VARCHAR(64) NOT NULL, PRIMARY KEY (src_schema, id), KEY (id))");
    error = copyError(mergeJob("merge-refused", true));
    CHECK(contains(error, "`shop`.`orders` exists without the column `src_table`"));
    CHECK(!t.scalar("SELECT 1 FROM shop.orders LIMIT 1"));
}
