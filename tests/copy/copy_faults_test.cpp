// The copy under TiDB's errors, injected into real target connections (db/fault_injection.h):
// each retryable class is retried, a lost answer is resolved without loss or duplication, a
// too-large transaction is split, and a too-large row fails naming it. Also the size rules the
// copy applies itself (batch_limits.h): the statement cap, halving a batch, naming a row.
#include <doctest/doctest.h>

#include "runner/copy/batch_limits.h"
#include "runner/copy/chunk_reader.h"
#include "runner/copy/logical_writer.h"
#include "runner/copy/physical_writer.h"
#include "runner/copy/progress.h"
#include "runner/db/fault_injection.h"
#include "tests/copy/copy_support.h"

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

const std::string kDb = "fault_db";

// A keyed table (one row of 20,000 bytes, id 777) and a keyless one with duplicate rows.
void sourceTables() {
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + kDb);
    s.execute("CREATE TABLE " + kDb + ".keyed (id INT PRIMARY KEY, v VARCHAR(100), b BLOB, d DATETIME)");
    s.execute("INSERT INTO " + kDb +
              ".keyed SELECT seq, CONCAT('v', seq, REPEAT('x', seq % 50)), IF(seq % 7 = 0, NULL, UNHEX(CONCAT(HEX(seq "
              "* 2654435761), '00FF'))), "
              "'2020-01-01' + INTERVAL seq MINUTE FROM " +
              numbers(1500));
    s.execute("UPDATE " + kDb + ".keyed SET b = REPEAT('z', 20000) WHERE id = 777");
    s.execute("CREATE TABLE " + kDb + ".keyless (a INT, v VARCHAR(50))");
    s.execute("INSERT INTO " + kDb + ".keyless SELECT seq % 100, CONCAT('k', seq % 37) FROM " + numbers(400));
}

// Row count and an order-independent checksum that counts duplicates: "rows:sum".
std::string digest(db::Connection& c, const std::string& table) {
    auto cols = c.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + c.quote(kDb) +
                        " AND TABLE_NAME = " + c.quote(table) + " ORDER BY ORDINAL_POSITION");
    std::string row;
    for (auto& r : cols.rows)
        row += (row.empty() ? "" : ", ") + std::string("COALESCE(HEX(") + db::quoteIdent(r[0].value_or("")) + "), 'N')";
    return c
        .scalar("SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS('|', " + row + "))), 0)) FROM " +
                db::qualified(kDb, table))
        .value_or("?");
}

void targetEqualsSource() {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (const char* table : {"keyed", "keyless"}) {
        CAPTURE(table);
        const auto want = digest(s, table);
        CHECK(want.starts_with(std::string(table) == "keyed" ? "1500:" : "400:"));
        CHECK(digest(t, table) == want);
        CHECK(hexRows(t, kDb, table) == hexRows(s, kDb, table));
    }
}

// What the copy's statements for `table` start with: REPLACE (logical) or LOAD DATA (physical).
std::string statementOf(api::FullMode mode, const std::string& table) {
    return (mode == api::FullMode::Logical ? "REPLACE INTO " : "INTO TABLE ") + db::qualified(kDb, table);
}

copy::CopyOptions faultOptions() {
    auto o = testOptions(200, -1, 2);
    o.batchBytes = 8192;  // many statements per table
    return o;
}

struct CleanFaults {
    CleanFaults() { db::clearFaults(); }
    ~CleanFaults() { db::clearFaults(); }
};

// Copies fault_db with `times` faults of `code` on each table's statements; the copy must
// succeed with the target equal to the source, every fault having fired.
void copyThroughFaults(api::FullMode mode, unsigned code, int times, bool after) {
    const std::string name = std::string("faults-") + std::string(api::nameOf(mode)) + "-" + std::to_string(code);
    CleanFaults clean;
    reset(name, {kDb});
    sourceTables();
    for (const char* table : {"keyed", "keyless"}) {
        db::InjectedFault f;
        f.role = "target";
        f.code = code;
        f.match = statementOf(mode, table);
        f.times = times;
        f.afterExecute = after;
        db::injectFault(f);
    }
    RecordingSink sink;
    std::atomic<bool> stop{false};
    const auto r =
        copy::runFullCopy(job(name, {kDb}, mode), sourceOptions(), targetOptions(), sink, stop, faultOptions());
    CHECK(db::faultsFired() == 2 * times);
    CHECK(r.rows == 1500 + 400);
    targetEqualsSource();
    CHECK(copy::verify(job(name, {kDb}, mode), sourceOptions(), targetOptions(), sink).identical);
    if (after) {
        const auto notes = sink.notes();
        const bool redone = std::any_of(notes.begin(), notes.end(),
                                        [](auto& n) { return n.find("copying the chunk again") != std::string::npos; });
        // A LOAD DATA or a keyless table's REPLACE whose answer was lost is copied again whole.
        CHECK(redone);
    }
}

std::string copyFailure(api::FullMode mode, const std::string& name, const copy::CopyOptions& options) {
    RecordingSink sink;
    std::atomic<bool> stop{false};
    try {
        copy::runFullCopy(job(name, {kDb}, mode), sourceOptions(), targetOptions(), sink, stop, options);
    } catch (const copy::CopyError& e) {
        return e.what();
    }
    FAIL("the copy should have failed with a CopyError");
    return "";
}

const std::string kRaise =
    "raise TiDB's txn-entry-size-limit (tidb_txn_entry_size_limit on 7.6+), then spec.target.limits.entrySize";

}  // namespace

TEST_CASE("TiDB write conflicts (9007) during a copy are retried without loss or duplication") {
    copyThroughFaults(api::FullMode::Logical, 9007, 3, false);
    copyThroughFaults(api::FullMode::Physical, 9007, 3, false);
}

TEST_CASE("region unavailable (9005) during a copy is retried with backoff without loss or duplication") {
    copyThroughFaults(api::FullMode::Logical, 9005, 2, false);
    copyThroughFaults(api::FullMode::Physical, 9005, 2, false);
}

TEST_CASE("information schema changed (8028) during a copy is retried without loss or duplication") {
    copyThroughFaults(api::FullMode::Logical, 8028, 3, false);
    copyThroughFaults(api::FullMode::Physical, 8028, 3, false);
}

TEST_CASE("a connection lost after a REPLACE or LOAD DATA ran (2013) loses and duplicates nothing") {
    copyThroughFaults(api::FullMode::Logical, 2013, 2, true);
    copyThroughFaults(api::FullMode::Physical, 2013, 2, true);
}

TEST_CASE("a transaction too large (8004) is sent again in halves, each row exactly once") {
    copyThroughFaults(api::FullMode::Logical, 8004, 3, false);
    copyThroughFaults(api::FullMode::Physical, 8004, 3, false);
}

TEST_CASE("entry too large (8025) from the target fails naming the table, a row's key, its size and the setting") {
    for (auto mode : {api::FullMode::Logical, api::FullMode::Physical}) {
        CleanFaults clean;
        const std::string name = std::string("faults-8025-") + std::string(api::nameOf(mode));
        reset(name, {kDb});
        sourceTables();
        db::InjectedFault f;
        f.role = "target";
        f.code = 8025;
        f.match = statementOf(mode, "keyed");
        db::injectFault(f);
        const auto msg = copyFailure(mode, name, faultOptions());
        MESSAGE(msg);
        CHECK(db::faultsFired() == 1);
        CHECK(msg.starts_with(targetOptions().endpoint() + ": `fault_db`.`keyed`: the row (`id`="));
        CHECK(msg.find(" bytes, above the target's limit for one row (error 8025 from the target: ") !=
              std::string::npos);
        CHECK(msg.find("entry too large") != std::string::npos);
        CHECK(msg.find(kRaise) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
}

TEST_CASE("a source row above the entry size limit fails before it is sent, naming the table and its key") {
    for (auto mode : {api::FullMode::Logical, api::FullMode::Physical}) {
        CleanFaults clean;
        const std::string name = std::string("entry-limit-") + std::string(api::nameOf(mode));
        reset(name, {kDb});
        sourceTables();
        auto options = faultOptions();
        options.limits = db::dialect::TxnLimits{std::size_t{64} << 20, 10'000};
        const auto msg = copyFailure(mode, name, options);
        MESSAGE(msg);
        CHECK(msg.starts_with(targetOptions().endpoint() + ": `fault_db`.`keyed`: the row (`id`=777) is "));
        CHECK(msg.find("spec.target.limits.entrySize = 10000") != std::string::npos);
        CHECK(msg.find(kRaise) != std::string::npos);
        CHECK(db::faultsFired() == 0);
        // The row never reached the target.
        auto t = target().connectRoot();
        CHECK_FALSE(t.scalar("SELECT 1 FROM fault_db.keyed WHERE id = 777").has_value());
    }
}

TEST_CASE("no statement or LOAD DATA of the copy takes more than TxnLimits.maxTxnBytes") {
    reset("statement-cap", {kDb});
    sourceTables();
    auto s = source().connectRoot();
    s.execute("SET NAMES binary");
    constexpr std::size_t kCap = 64 << 10;
    for (bool physical : {false, true}) {
        CAPTURE(physical);
        auto t = std::make_shared<copy::TableWork>();
        t->info = copy::inspectTable(s, kDb, "keyed");
        t->target = copy::sameAsSource(t->info);
        t->written = t->info.written();
        std::string exprs;
        for (auto i : t->written) exprs += (exprs.empty() ? "" : ", ") + copy::readExpression(t->info.columns[i]);
        t->select = "SELECT " + exprs + " FROM " + t->info.qualified();
        t->writePrefix = physical ? copy::loadDataStatement(*t) : copy::replacePrefix(*t);
        t->rowsPerStatement = 100'000;  // only bytes end a batch
        auto chunk = std::make_shared<copy::ChunkWork>();
        chunk->table = t;
        copy::BoundedQueue<std::unique_ptr<copy::Batch>> queue(100'000);
        copy::Throttle throttle(-1);
        copy::ReadContext ctx;
        ctx.physical = physical;
        ctx.batchBytes = 16 << 20;  // far above the cap
        ctx.batchRows = 100'000;
        ctx.maxStatementBytes = kCap;
        ctx.batches = &queue;
        ctx.throttle = &throttle;
        ctx.halted = [] { return false; };
        REQUIRE(copy::readChunk(s, chunk, ctx) == copy::ReadOutcome::Complete);
        queue.close();
        std::uint64_t rows = 0;
        int batches = 0;
        while (auto b = queue.pop()) {
            const std::size_t size = physical ? (*b)->data.size() : copy::replaceText(**b).size();
            CHECK(size <= kCap);
            rows += (*b)->rows;
            ++batches;
        }
        CHECK(rows == 1500);
        CHECK(batches > 3);
    }
}

TEST_CASE("a batch splits into halves that hold its rows in order, logical and physical") {
    auto t = std::make_shared<copy::TableWork>();
    t->info.db = "d";
    t->info.name = "t";
    t->info.columns = {copy::Column{"id", "int", "int", "", "", copy::ValueKind::Number},
                       copy::Column{"v", "varbinary", "varbinary(10)", "", "", copy::ValueKind::Binary}};
    t->info.key = {0};
    t->written = {0, 1};
    auto chunk = std::make_shared<copy::ChunkWork>();
    chunk->table = t;

    copy::Batch logical;
    logical.chunk = chunk;
    for (int i = 1; i <= 5; ++i) {
        const std::string id = std::to_string(i), v = std::string(i, 'a' + i);
        logical.data += id + v;
        logical.lengths.push_back(id.size());
        logical.lengths.push_back(v.size());
        logical.nulls.push_back(0);
        logical.nulls.push_back(i == 3);
        if (i == 3) {
            logical.data.resize(logical.data.size() - v.size());
            logical.lengths.back() = 0;
        }
    }
    logical.rows = 5;
    logical.bytes = logical.data.size();
    auto [a, b] = copy::splitBatch(logical);
    CHECK(a.rows == 2);
    CHECK(b.rows == 3);
    CHECK(a.data + b.data == logical.data);
    CHECK(a.lengths.size() == 4);
    CHECK(b.nulls[1] == 1);  // row 3's NULL, now the second half's first row
    CHECK(a.bytes + b.bytes == logical.bytes);
    CHECK(copy::batchValue(b, 2, 2, 1) == std::optional<std::string>("fffff"));
    CHECK(copy::batchValue(b, 2, 0, 1) == std::nullopt);
    CHECK(copy::rowBytes(b, 2, 2) == 6);
    CHECK(copy::largestRow(b, 2) == std::pair<std::size_t, std::size_t>{2, 6});
    CHECK(copy::largestRow(logical, 2) == std::pair<std::size_t, std::size_t>{4, 6});

    copy::Batch physical;
    physical.chunk = chunk;
    physical.data = "1\tb\n2\tc\\tc\n3\t\\N\n";
    physical.rows = 3;
    auto [p, q] = copy::splitBatch(physical);
    CHECK(p.data == "1\tb\n");
    CHECK(q.data == "2\tc\\tc\n3\t\\N\n");
    CHECK(q.rows == 2);
    CHECK(copy::batchValue(q, 2, 0, 1) == std::optional<std::string>("c\tc"));
    CHECK(copy::batchValue(q, 2, 1, 1) == std::nullopt);
    CHECK(copy::largestRow(physical, 2) == std::pair<std::size_t, std::size_t>{1, 7});
    CHECK(copy::rowBytes(physical, 2, 1) == 7);
}

TEST_CASE("a row is named by its key: numbers bare, text quoted, other bytes in hex") {
    copy::TableWork t;
    t.info.db = "d";
    t.info.name = "t";
    t.info.columns = {copy::Column{"id", "int", "int", "", "", copy::ValueKind::Number},
                      copy::Column{"name", "varchar", "varchar(10)", "", "", copy::ValueKind::Text},
                      copy::Column{"raw", "varbinary", "varbinary(10)", "", "", copy::ValueKind::Binary}};
    t.info.key = {0, 1, 2};
    t.written = {0, 1, 2};
    const std::vector<std::optional<std::string>> values = {"42", "it's", std::string("\x01\xff", 2)};
    CHECK(copy::rowKeyText(t, [&](std::size_t c) { return values[c]; }) == "(`id`=42, `name`='it\\'s', `raw`=0x01FF)");
    t.info.key.clear();
    CHECK(copy::rowKeyText(t, [&](std::size_t c) { return values[c]; }) == "(the table has no key)");
}
