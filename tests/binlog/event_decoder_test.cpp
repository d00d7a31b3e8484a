// EventDecoder on hand-built events: what the fixtures do not contain (MariaDB, compression,
// partial JSON, row images, broken or unsupported input).
#include <doctest/doctest.h>

#include <zlib.h>
#include <zstd.h>

#include "runner/binlog/errors.h"
#include "runner/binlog/sql_literal.h"
#include "event_builder.h"

using namespace tidemark::binlog;
using namespace tidemark::binlog::test;

namespace {

constexpr uint8_t kLong = 3, kVarchar = 15, kJson = 245, kLongBlob = 252;

std::string queryBody(std::string_view statement, std::string_view db = "shop", std::string_view statusVars = {}) {
    Bytes b;
    b.u32(7).u32(0).u8(db.size()).u16(0).u16(statusVars.size()).raw(statusVars).raw(db).u8(0).raw(statement);
    return b;
}

std::string jsonInt16(int v) { return Bytes().u8(5).u16(static_cast<uint16_t>(v)); }
std::string jsonString(std::string_view s) { return Bytes().u8(12).u8(s.size()).raw(s); }

EventDecoder mysqlDecoder(DecoderOptions options = {}) {
    EventDecoder d(options);
    d.setFile("mysql-bin.000042");
    decodeAll(d, mysqlFde(true), 4);
    return d;
}

EventDecoder mariaDecoder() {
    EventDecoder d;
    d.setFile("mariadb-bin.000007");
    decodeAll(d, mariaFde(true), 4);
    return d;
}

// INT id, VARCHAR(40) name — the table most tests write to.
std::string simpleTableMap(uint64_t id = 70, bool crc = true) {
    return makeEvent(19, tableMapBody(id, "shop", "items", {{kLong, ""}, {kVarchar, Bytes().u16(40)}}), {.crc = crc});
}

std::string simpleRow(int32_t id, std::string_view name) {
    return Bytes().u8(0).u32(static_cast<uint32_t>(id)).u8(name.size()).raw(name);
}

std::string errorOf(auto&& fn) {
    try {
        fn();
    } catch (const BinlogError& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST_CASE("MariaDB transaction: GTID_LIST, checkpoint, GTID with commit id, annotate, v1 rows, XID") {
    EventDecoder d = mariaDecoder();
    CHECK(d.formatDescription()->isMariaDB());
    CHECK(d.checksum() == ChecksumAlg::Crc32);

    auto list = decodeAll(d, makeEvent(163, Bytes().u32(2).u32(0).u32(1).u64(100).u32(5).u32(2).u64(7), {.crc = true}));
    const auto* gl = list.at(0).as<MariaGtidList>();
    REQUIRE(gl);
    REQUIRE(gl->gtids.size() == 2);
    CHECK(gl->gtids[1].domainId == 5);
    CHECK(gl->gtids[1].serverId == 2);
    CHECK(gl->gtids[1].seqNo == 7);

    auto cp = decodeAll(d, makeEvent(161, Bytes().u32(18).raw("mariadb-bin.000007"), {.crc = true}));
    CHECK(cp.at(0).as<BinlogCheckpoint>()->file == "mariadb-bin.000007");

    auto gtid =
        decodeAll(d, makeEvent(162, Bytes().u64(1234).u32(3).u8(0x02 | 0x04).u64(99), {.serverId = 11, .crc = true}));
    const auto* g = gtid.at(0).as<MariaGtid>();
    REQUIRE(g);
    CHECK(g->text() == "3-11-1234");
    CHECK(g->commitId == 99);
    CHECK_FALSE(g->standalone());

    auto ann = decodeAll(d, makeEvent(160, "INSERT INTO items VALUES (1,'a')", {.crc = true}));
    CHECK(ann.at(0).as<RowsQuery>()->statement == "INSERT INTO items VALUES (1,'a')");

    decodeAll(d, simpleTableMap());
    auto rows =
        decodeAll(d,
                  makeEvent(23, rowsBody(1, 70, 1, 2, allSet(2), nullptr, simpleRow(1, "a") + simpleRow(-2, "bé")),
                            {.crc = true}));
    const auto* r = rows.at(0).as<RowsEvent>();
    REQUIRE(r);
    CHECK(r->version == 1);
    CHECK(r->stmtEnd());
    REQUIRE(r->rows.size() == 2);
    CHECK(r->rows[1].after[0].i == -2);
    CHECK(r->rows[1].after[1].data() == "bé");

    auto xid = decodeAll(d, makeEvent(16, Bytes().u64(555), {.crc = true}));
    CHECK(xid.at(0).as<Xid>()->xid == 555);
}

TEST_CASE("MariaDB standalone GTID (DDL) and XA GTID") {
    EventDecoder d = mariaDecoder();
    auto ddl =
        decodeAll(d, makeEvent(162, Bytes().u64(5).u32(0).u8(0x01 | 0x20).raw(std::string(6, '\0')), {.crc = true}));
    CHECK(ddl.at(0).as<MariaGtid>()->standalone());
    // As MariaDB 10.11 writes XA PREPARE's GTID (captured): the XID follows flags2 with no
    // padding, then the extra-flags byte.
    auto xa = decodeAll(
        d,
        makeEvent(162, Bytes().u64(6).u32(0).u8(0x40 | 0x08 | 0x04).u32(7).u8(3).u8(1).raw("abcq").u8(1).u8(0xff),
                  {.crc = true}));
    CHECK(xa.at(0).as<MariaGtid>()->xid == "abcq");
    CHECK(xa.at(0).as<MariaGtid>()->seqNo == 6);
}

TEST_CASE("MariaDB compressed QUERY and compressed WRITE_ROWS are inflated") {
    EventDecoder d = mariaDecoder();
    std::string ddl = "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40)) /* " + std::string(200, 'x') + " */";
    std::string body = Bytes().u32(7).u32(0).u8(4).u16(0).u16(0).raw("shop").u8(0).raw(mariaCompress(ddl));
    auto q = decodeAll(d, makeEvent(165, body, {.crc = true}));
    CHECK(q.at(0).as<Query>()->statement == ddl);
    CHECK(q.at(0).as<Query>()->kind == QueryKind::Other);

    decodeAll(d, simpleTableMap());
    std::string rowsData = simpleRow(10, "ten") + simpleRow(11, "eleven");
    std::string rowsEvent = Bytes().u48(70).u16(1).packed(2).raw(allSet(2)).raw(mariaCompress(rowsData));
    auto rows = decodeAll(d, makeEvent(166, rowsEvent, {.crc = true}));
    const auto* r = rows.at(0).as<RowsEvent>();
    REQUIRE(r);
    CHECK(r->compressed);
    REQUIRE(r->rows.size() == 2);
    CHECK(r->rows[1].after[0].i == 11);
    CHECK(r->rows[1].after[1].data() == "eleven");
}

TEST_CASE("MariaDB 11.4 log_pos 0 inside a transaction: positions continue from the previous event") {
    EventDecoder d = mariaDecoder();  // FDE at 4..
    std::string gtid =
        makeEvent(162, Bytes().u64(1).u32(0).u8(0).raw(std::string(6, '\0')), {.startPos = 300, .crc = true});
    auto g = decodeAll(d, gtid);
    CHECK(g.at(0).position == 300);
    std::string tm = makeEvent(19, tableMapBody(70, "shop", "items", {{kLong, ""}, {kVarchar, Bytes().u16(40)}}),
                               {.logPos = 0, .crc = true});
    // log_pos 0 and not artificial: position is where the last event ended.
    std::vector<Event> out;
    d.decode(std::string_view(tm), out);
    CHECK(out.at(0).position == g.at(0).nextPosition);
    CHECK(out.at(0).nextPosition == g.at(0).nextPosition + tm.size());
}

TEST_CASE("fake ROTATE before the FDE uses the checksum the reader announced") {
    std::string rotateBody = Bytes().u64(4).raw("mysql-bin.000003");
    SUBCASE("announced NONE") {
        EventDecoder d;
        auto ev = decodeAll(d, makeEvent(4, rotateBody, {.timestamp = 0, .logPos = 0, .flags = 0x20}));
        const auto* rot = ev.at(0).as<Rotate>();
        REQUIRE(rot);
        CHECK(rot->fake);
        CHECK(rot->nextFile == "mysql-bin.000003");
        CHECK(d.file() == "mysql-bin.000003");
    }
    SUBCASE("announced CRC32") {
        EventDecoder d(DecoderOptions{.checksumBeforeFde = ChecksumAlg::Crc32});
        auto ev = decodeAll(d, makeEvent(4, rotateBody, {.timestamp = 0, .logPos = 0, .flags = 0x20, .crc = true}));
        CHECK(ev.at(0).as<Rotate>()->nextFile == "mysql-bin.000003");
        CHECK(ev.at(0).checksum.has_value());
    }
}

TEST_CASE("unknown events: ignorable ones are skipped, others fail with type, file and position") {
    EventDecoder d = mysqlDecoder();
    auto skipped = decodeAll(d, makeEvent(99, "whatever", {.startPos = 1000, .flags = 0x80, .crc = true}));
    CHECK(skipped.at(0).as<Skipped>()->type == 99);
    std::string msg = errorOf([&] { decodeAll(d, makeEvent(99, "whatever", {.startPos = 2000, .crc = true})); });
    CHECK(msg.find("UNKNOWN(99)") != std::string::npos);
    CHECK(msg.find("mysql-bin.000042:2000") != std::string::npos);
    CHECK(msg.find("ignorable") != std::string::npos);
}

TEST_CASE("statement-based DML in a QUERY event is an error naming the event and position") {
    EventDecoder d = mysqlDecoder();
    for (std::string stmt : {"INSERT INTO t VALUES (1)", "update t set a=1", "/* app */ DELETE FROM t",
                             "REPLACE INTO t VALUES (2)", "  \n insert into t select 1"}) {
        std::string msg = errorOf([&] { decodeAll(d, makeEvent(2, queryBody(stmt), {.startPos = 777, .crc = true})); });
        CHECK_MESSAGE(msg.find("QUERY at mysql-bin.000042:777") != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("statement-based") != std::string::npos, msg);
    }
    EventDecoder lenient = mysqlDecoder(DecoderOptions{.rejectStatementDml = false});
    auto dml = decodeAll(lenient, makeEvent(2, queryBody("INSERT INTO t VALUES (1)"), {.crc = true}));
    CHECK(dml.at(0).as<Query>()->kind == QueryKind::StatementDml);
    auto begin = decodeAll(d, makeEvent(2, queryBody("BEGIN"), {.crc = true}));
    CHECK(begin.at(0).as<Query>()->kind == QueryKind::Begin);
    auto ddl = decodeAll(d, makeEvent(2, queryBody("ALTER TABLE t ADD COLUMN insert_at INT"), {.crc = true}));
    CHECK(ddl.at(0).as<Query>()->kind == QueryKind::Other);
    CHECK(ddl.at(0).as<Query>()->schema == "shop");
    auto xa = decodeAll(d, makeEvent(2, queryBody("XA START X'01'"), {.crc = true}));
    CHECK(xa.at(0).as<Query>()->kind == QueryKind::Xa);
    auto sp = decodeAll(d, makeEvent(2, queryBody("ROLLBACK TO SAVEPOINT s1"), {.crc = true}));
    CHECK(sp.at(0).as<Query>()->kind == QueryKind::Savepoint);
}

TEST_CASE("QUERY status variables: sql_mode, charset, time zone, unknown key stops the block") {
    EventDecoder d = mysqlDecoder();
    std::string vars = Bytes()
                           .u8(0)
                           .u32(0x4000)
                           .u8(1)
                           .u64(1436549152)
                           .u8(4)
                           .u16(33)
                           .u16(33)
                           .u16(8)
                           .u8(5)
                           .u8(6)
                           .raw("+00:00")
                           .u8(200)
                           .raw("junk");
    auto q = decodeAll(d, makeEvent(2, queryBody("CREATE DATABASE x", "", vars), {.crc = true}));
    const auto* query = q.at(0).as<Query>();
    REQUIRE(query);
    CHECK(query->flags2 == 0x4000);
    CHECK(query->sqlMode.value() == 1436549152);
    CHECK(query->charsetClient.value() == 33);
    CHECK(query->collationServer.value() == 8);
    CHECK(query->timeZone == "+00:00");
    CHECK(query->statement == "CREATE DATABASE x");
}

TEST_CASE("CRC32 mismatch on a hand-built event") {
    EventDecoder d = mysqlDecoder();
    std::string ev = makeEvent(16, Bytes().u64(1), {.startPos = 900, .crc = true});
    ev[20] = static_cast<char>(ev[20] ^ 0xFF);
    std::string msg = errorOf([&] { decodeAll(d, ev); });
    CHECK(msg.find("XID at mysql-bin.000042:900") != std::string::npos);
    CHECK(msg.find("CRC32 mismatch") != std::string::npos);
}

TEST_CASE("an event whose size disagrees with its packet is rejected") {
    EventDecoder d = mysqlDecoder();
    std::string ev = makeEvent(16, Bytes().u64(1), {.crc = true});
    CHECK_THROWS_AS(decodeAll(d, ev.substr(0, ev.size() - 1)), BinlogError);
    CHECK_THROWS_AS(decodeAll(d, "short"), BinlogError);
}

TEST_CASE("heartbeats v1 and v2 do not move the stream position") {
    EventDecoder d = mysqlDecoder();
    auto hb =
        decodeAll(d, makeEvent(27, "mysql-bin.000042", {.timestamp = 0, .logPos = 5000, .flags = 0x20, .crc = true}));
    CHECK(hb.at(0).as<Heartbeat>()->file == "mysql-bin.000042");
    CHECK(hb.at(0).as<Heartbeat>()->position == 5000);
    std::string v2 = Bytes().packed(1).packedStr("mysql-bin.000042").packed(2).packed(4).packed(70000).packed(0);
    auto hb2 = decodeAll(d, makeEvent(41, v2, {.timestamp = 0, .logPos = 0, .flags = 0x20, .crc = true}));
    CHECK(hb2.at(0).as<Heartbeat>()->file == "mysql-bin.000042");
    CHECK(hb2.at(0).as<Heartbeat>()->position == 70000);
}

TEST_CASE("MySQL 8 GTID with commit timestamps and PREVIOUS_GTIDS") {
    EventDecoder d = mysqlDecoder();
    std::string sid = Bytes().hex("3E11FA47 71CA 11E1 9E33 C80AA9429562");
    std::string body = Bytes()
                           .u8(1)
                           .raw(sid)
                           .u64(23)
                           .u8(2)
                           .u64(5)
                           .u64(6)
                           .le(1700000000123456ULL | (1ULL << 55), 7)
                           .le(1699999999000000ULL, 7)
                           .packed(1234)
                           .u32(80036 | 0x80000000u)
                           .u32(80035);
    auto g = decodeAll(d, makeEvent(33, body, {.crc = true}));
    const auto* gtid = g.at(0).as<MysqlGtid>();
    REQUIRE(gtid);
    CHECK(gtid->text() == "3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
    CHECK(gtid->lastCommitted == 5);
    CHECK(gtid->sequenceNumber == 6);
    CHECK(gtid->immediateCommitTs == 1700000000123456ULL);
    CHECK(gtid->originalCommitTs == 1699999999000000ULL);
    CHECK(gtid->transactionLength == 1234);
    CHECK(gtid->immediateServerVersion == 80036);
    CHECK(gtid->originalServerVersion == 80035);

    std::string prev = Bytes().u64(1).raw(sid).u64(2).u64(1).u64(6).u64(8).u64(9);
    auto p = decodeAll(d, makeEvent(35, prev, {.crc = true}));
    CHECK(p.at(0).as<PreviousGtids>()->text() == "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:8");
}

TEST_CASE("statement-mode leftovers, STOP, INCIDENT and LOAD DATA") {
    EventDecoder d = mysqlDecoder();
    CHECK(decodeAll(d, makeEvent(5, Bytes().u8(2).u64(10), {.crc = true})).at(0).as<StatementContext>()->type ==
          EventType::Intvar);
    CHECK(decodeAll(d, makeEvent(13, Bytes().u64(1).u64(2), {.crc = true})).at(0).as<StatementContext>()->type ==
          EventType::Rand);
    CHECK(decodeAll(d, makeEvent(14, Bytes().u32(1).raw("a").u8(1), {.crc = true})).at(0).as<StatementContext>());
    CHECK(decodeAll(d, makeEvent(3, "", {.crc = true})).at(0).as<Stop>());
    CHECK(errorOf([&] { decodeAll(d, makeEvent(26, Bytes().u16(1).u8(0), {.crc = true})); }).find("INCIDENT") !=
          std::string::npos);
    CHECK(errorOf([&] { decodeAll(d, makeEvent(17, Bytes().u32(1), {.crc = true})); }).find("LOAD DATA") !=
          std::string::npos);
}

TEST_CASE("rows for a table id without TABLE_MAP are an error") {
    EventDecoder d = mysqlDecoder();
    std::string msg = errorOf([&] {
        decodeAll(d, makeEvent(30, rowsBody(2, 71, 1, 2, allSet(2), nullptr, simpleRow(1, "a")), {.crc = true}));
    });
    CHECK(msg.find("WRITE_ROWS_V2") != std::string::npos);
    CHECK(msg.find("table id 71") != std::string::npos);
}

TEST_CASE("the dummy end-of-statement rows event needs no TABLE_MAP and has no rows") {
    EventDecoder d = mysqlDecoder();
    auto ev = decodeAll(d, makeEvent(30, rowsBody(2, 0x00FFFFFF, 1, 1, allSet(1), nullptr, ""), {.crc = true}));
    const auto* r = ev.at(0).as<RowsEvent>();
    REQUIRE(r);
    CHECK(r->table == nullptr);
    CHECK(r->rows.empty());
    CHECK(r->stmtEnd());
}

TEST_CASE("v2 rows extra data carries the partition id") {
    EventDecoder d = mysqlDecoder();
    decodeAll(d, simpleTableMap());
    std::string body = Bytes().u48(70).u16(1).u16(2 + 3).u8(1).u16(4).packed(2).raw(allSet(2)).raw(simpleRow(1, "a"));
    auto ev = decodeAll(d, makeEvent(30, body, {.crc = true}));
    CHECK(ev.at(0).as<RowsEvent>()->partitionId.value() == 4);
    CHECK(ev.at(0).as<RowsEvent>()->rows.size() == 1);
}

TEST_CASE("MINIMAL row image: only present columns are decoded, the null bitmap counts present columns") {
    EventDecoder d = mysqlDecoder();
    decodeAll(
        d,
        makeEvent(19,
                  tableMapBody(80, "shop", "m", {{kLong, ""}, {kVarchar, Bytes().u16(40)}, {kLong, ""}, {kLong, ""}}),
                  {.crc = true}));
    std::string before = bitmap(4, {0});
    std::string after = bitmap(4, {1, 2});
    // BI: [id=7]; AI: name='new', col2 NULL (bit 1 of the 2-column null bitmap).
    std::string rows = Bytes().u8(0).u32(7).u8(0b10).u8(3).raw("new");
    auto ev = decodeAll(d, makeEvent(31, rowsBody(2, 80, 1, 4, before, &after, rows), {.crc = true}));
    const auto& row = ev.at(0).as<RowsEvent>()->rows.at(0);
    CHECK(row.before[0].i == 7);
    CHECK_FALSE(row.before[1].isPresent());
    CHECK_FALSE(row.before[3].isPresent());
    CHECK_FALSE(row.after[0].isPresent());
    CHECK(row.after[1].data() == "new");
    CHECK(row.after[2].isNull());
    CHECK_FALSE(row.after[3].isPresent());
    CHECK_THROWS_AS(sqlLiteral(row.after[0]), std::invalid_argument);
}

TEST_CASE("NOBLOB-style image and DELETE: absent blob, NULL in the middle") {
    EventDecoder d = mysqlDecoder();
    decodeAll(
        d,
        makeEvent(19,
                  tableMapBody(81, "shop", "n", {{kLong, ""}, {kLongBlob, Bytes().u8(2)}, {kLong, ""}, {kLong, ""}}),
                  {.crc = true}));
    std::string present = bitmap(4, {0, 2, 3});
    std::string rows = Bytes().u8(0b010).u32(1).u32(3);  // id=1, col2 NULL, col3=3
    auto ev = decodeAll(d, makeEvent(32, rowsBody(2, 81, 1, 4, present, nullptr, rows), {.crc = true}));
    const auto* r = ev.at(0).as<RowsEvent>();
    CHECK(r->kind == RowsKind::Delete);
    const auto& row = r->rows.at(0);
    CHECK(row.after.empty());
    CHECK(row.before[0].i == 1);
    CHECK_FALSE(row.before[1].isPresent());
    CHECK(row.before[2].isNull());
    CHECK(row.before[3].i == 3);
}

TEST_CASE("a row larger than 16 MiB (LONGBLOB) decodes intact") {
    EventDecoder d = mysqlDecoder();
    decodeAll(d,
              makeEvent(19, tableMapBody(90, "shop", "big", {{kLong, ""}, {kLongBlob, Bytes().u8(4)}}), {.crc = true}));
    std::string blob(17 * 1024 * 1024 + 3, '\0');
    for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7 + (i >> 13));
    std::string rows = Bytes().u8(0).u32(1).u32(blob.size()).raw(blob);
    std::string ev = makeEvent(30, rowsBody(2, 90, 1, 2, allSet(2), nullptr, rows), {.crc = true});
    REQUIRE(ev.size() > (16u << 20));
    std::vector<Event> out;
    d.decode(std::move(ev), out);
    const auto& v = out.at(0).as<RowsEvent>()->rows.at(0).after;
    CHECK(v[1].kind == Value::Kind::String);  // no charset metadata: a string of unknown charset
    CHECK(v[1].data().size() == blob.size());
    CHECK(v[1].data() == blob);
}

TEST_CASE("PARTIAL_UPDATE_ROWS: several JSON diffs in one column, a full JSON value in another") {
    EventDecoder d = mysqlDecoder();
    decodeAll(
        d,
        makeEvent(19, tableMapBody(95, "shop", "docs", {{kLong, ""}, {kJson, Bytes().u8(4)}, {kJson, Bytes().u8(4)}}),
                  {.crc = true}));
    std::string all = allSet(3);
    std::string oldDoc = jsonInt16(1), otherDoc = jsonString("new");
    std::string diffs = Bytes()
                            .u8(0)
                            .packedStr("$.a")
                            .packedStr(jsonInt16(5))  // REPLACE $.a 5
                            .u8(1)
                            .packedStr("$.b")
                            .packedStr(jsonString("x"))  // INSERT $.b "x"
                            .u8(2)
                            .packedStr("$.c");  // REMOVE $.c
    Bytes rows;
    rows.u8(0).u32(1).u32(oldDoc.size()).raw(oldDoc).u32(otherDoc.size()).raw(otherDoc);  // before image
    rows.packed(1)
        .u8(0b01)  // options, partial bits
        .u8(0)
        .u32(1)
        .u32(diffs.size())
        .raw(diffs)
        .u32(otherDoc.size())
        .raw(otherDoc);  // after image
    auto ev = decodeAll(d, makeEvent(39, rowsBody(2, 95, 1, 3, all, &all, rows.str()), {.crc = true}));
    const auto* r = ev.at(0).as<RowsEvent>();
    REQUIRE(r);
    CHECK(r->partial);
    CHECK(r->kind == RowsKind::Update);
    const auto& row = r->rows.at(0);
    CHECK(row.before[1].kind == Value::Kind::Json);
    CHECK(row.before[1].text == "1");
    const Value& diff = row.after[1];
    REQUIRE(diff.kind == Value::Kind::JsonDiff);
    REQUIRE(diff.diffs.size() == 3);
    CHECK(diff.diffs[0].op == JsonDiff::Op::Replace);
    CHECK(diff.diffs[0].path == "$.a");
    CHECK(diff.diffs[0].value == "5");
    CHECK(diff.diffs[1].op == JsonDiff::Op::Insert);
    CHECK(diff.diffs[1].value == "\"x\"");
    CHECK(diff.diffs[2].op == JsonDiff::Op::Remove);
    CHECK(diff.diffs[2].path == "$.c");
    CHECK(row.after[2].kind == Value::Kind::Json);
    CHECK(row.after[2].text == "\"new\"");
    CHECK(jsonDiffExpression("`doc`", diff) ==
          "JSON_REMOVE(JSON_INSERT(JSON_REPLACE(`doc`, _utf8mb4'$.a', CAST(_utf8mb4'5' AS JSON)), "
          "_utf8mb4'$.b', CAST(_utf8mb4'\"x\"' AS JSON)), _utf8mb4'$.c')");
}

namespace {
std::string innerEvents() {
    std::string s;
    s += makeEvent(2, queryBody("BEGIN"), {.logPos = 0});
    s += makeEvent(19, tableMapBody(70, "shop", "items", {{kLong, ""}, {kVarchar, Bytes().u16(40)}}), {.logPos = 0});
    s += makeEvent(30, rowsBody(2, 70, 1, 2, allSet(2), nullptr, simpleRow(5, "five")), {.logPos = 0});
    s += makeEvent(16, Bytes().u64(77), {.logPos = 0});
    return s;
}

// Field order as MySQL writes it: compression type and uncompressed size only when compressed.
std::string payloadBody(uint64_t compression, const std::string& payload, uint64_t uncompressed) {
    Bytes b;
    auto field = [&](uint64_t type, uint64_t value) {
        Bytes v;
        v.packed(value);
        b.packed(type).packed(v.size()).raw(v.str());
    };
    if (compression != 255) {
        field(2, compression);
        field(3, uncompressed);
    }
    field(1, payload.size());
    b.packed(0).raw(payload);
    return b;
}
}  // namespace

TEST_CASE("TRANSACTION_PAYLOAD: zstd and uncompressed payloads expand into their events") {
    std::string inner = innerEvents();
    std::string compressed(ZSTD_compressBound(inner.size()), '\0');
    compressed.resize(ZSTD_compress(compressed.data(), compressed.size(), inner.data(), inner.size(), 3));
    for (const auto& [compression, payload] : {std::pair<uint64_t, std::string>{0, compressed}, {255, inner}}) {
        CAPTURE(compression);
        EventDecoder d = mysqlDecoder();
        std::string ev =
            makeEvent(40, payloadBody(compression, payload, inner.size()), {.startPos = 1000, .crc = true});
        auto out = decodeAll(d, ev, 1000);
        REQUIRE(out.size() == 5);
        CHECK(out[0].as<TransactionPayload>()->innerEvents == 4);
        CHECK(out[1].as<Query>()->kind == QueryKind::Begin);
        CHECK(out[3].as<RowsEvent>()->rows.at(0).after[1].data() == "five");
        CHECK(out[4].as<Xid>()->xid == 77);
        CHECK(out[4].inPayload);
        CHECK(out[4].nextPosition == 1000 + ev.size());
    }
    EventDecoder d = mysqlDecoder();
    std::string bad = makeEvent(40, payloadBody(0, "not zstd at all", 10), {.crc = true});
    CHECK(errorOf([&] { decodeAll(d, bad); }).find("TRANSACTION_PAYLOAD") != std::string::npos);
    // A frame cut short is an error, not a silently shorter transaction.
    EventDecoder d2 = mysqlDecoder();
    std::string cut =
        makeEvent(40, payloadBody(0, compressed.substr(0, compressed.size() - 4), inner.size()), {.crc = true});
    CHECK(errorOf([&] { decodeAll(d2, cut); }).find("zstd") != std::string::npos);
}

TEST_CASE("FDE with checksum alg OFF still ends with the alg byte and 4 checksum bytes") {
    EventDecoder d;
    auto out = decodeAll(d, mysqlFde(false), 4);
    const auto* fde = out.at(0).as<FormatDescription>();
    REQUIRE(fde);
    CHECK(fde->checksum == ChecksumAlg::Off);
    CHECK(fde->postHeaderLengths.size() == 41);
    CHECK(fde->postHeaderLengths[29] == 10);  // WRITE_ROWS_V2
    auto xid = decodeAll(d, makeEvent(16, Bytes().u64(9)));
    CHECK(xid.at(0).as<Xid>()->xid == 9);
    CHECK_FALSE(xid.at(0).checksum.has_value());
}

TEST_CASE("corrupt input that would loop or allocate without bound is rejected") {
    EventDecoder d = mysqlDecoder();
    decodeAll(d, simpleTableMap());
    // No column present: each row would be zero bytes long.
    std::string none = bitmap(2, {});
    std::string msg =
        errorOf([&] { decodeAll(d, makeEvent(30, rowsBody(2, 70, 1, 2, none, nullptr, "\x01\x02"), {.crc = true})); });
    CHECK(msg.find("without any column") != std::string::npos);

    // MariaDB compressed event claiming 4 GiB from a few bytes.
    EventDecoder m = mariaDecoder();
    std::string body = Bytes().u32(7).u32(0).u8(0).u16(0).u16(0).u8(0).u8(0x84).be(0xFFFFFFF0u, 4).raw("xx");
    msg = errorOf([&] { decodeAll(m, makeEvent(165, body, {.crc = true})); });
    CHECK(msg.find("QUERY_COMPRESSED") != std::string::npos);
    CHECK(msg.find("corrupt") != std::string::npos);
}

TEST_CASE("network start past position 4: fake ROTATE, re-sent FDE (log_pos 0), then real positions") {
    EventDecoder d;
    auto rot = decodeAll(
        d, makeEvent(4, Bytes().u64(1000).raw("mysql-bin.000042"), {.timestamp = 0, .logPos = 0, .flags = 0x20}));
    CHECK(rot.at(0).position == 0);
    std::string fde = mysqlFde(true);
    for (int b = 0; b < 4; ++b) fde[13 + b] = 0;  // log_pos = 0 ...
    uint32_t crc =
        static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(fde.data()), static_cast<uInt>(fde.size() - 4)));
    for (int b = 0; b < 4; ++b)
        fde[fde.size() - 4 + b] = static_cast<char>((crc >> (8 * b)) & 0xFF);  // ... and its CRC
    auto f = decodeAll(d, fde);
    CHECK(f.at(0).position == 0);
    CHECK(f.at(0).nextPosition == 1000);
    auto xid = decodeAll(d, makeEvent(16, Bytes().u64(1), {.startPos = 1000, .crc = true}));
    CHECK(xid.at(0).position == 1000);
    CHECK(d.file() == "mysql-bin.000042");
}

TEST_CASE("table maps are forgotten when the statement ends") {
    EventDecoder d = mysqlDecoder();
    decodeAll(d, simpleTableMap());
    auto first =
        decodeAll(d, makeEvent(30, rowsBody(2, 70, 0, 2, allSet(2), nullptr, simpleRow(1, "a")), {.crc = true}));
    auto last =
        decodeAll(d, makeEvent(30, rowsBody(2, 70, 1, 2, allSet(2), nullptr, simpleRow(2, "b")), {.crc = true}));
    CHECK(last.at(0).as<RowsEvent>()->rows.at(0).after[0].i == 2);
    std::string msg = errorOf([&] {
        decodeAll(d, makeEvent(30, rowsBody(2, 70, 1, 2, allSet(2), nullptr, simpleRow(3, "c")), {.crc = true}));
    });
    CHECK(msg.find("without a preceding TABLE_MAP") != std::string::npos);
    // Events already returned keep their table.
    CHECK(first.at(0).as<RowsEvent>()->table->table == "items");
}
