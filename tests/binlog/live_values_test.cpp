// Row values the live server logs, decoded from its binlog files: every column type (MySQL's
// JSON and VECTOR, invisible columns), partial JSON updates and compressed transactions. Each
// test holds the decoder to what was written: the decoded changes, rendered as SQL literals
// and applied to an empty copy of the table, leave the copy equal to the original, row for
// row; and the values that matter most are also checked directly.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/binlog/sql_literal.h"
#include "tests/binlog/live_binlog.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace tidemark::testing::live;
using binlog::Value;

namespace {

// Every type both flavors have, plus an invisible column; MySQL adds VECTOR (and JSON is a real
// type there, a LONGTEXT alias on MariaDB). VECTOR comes before the character columns: it
// counts among them in the charset metadata.
std::string typesTable(bool mysql) {
    return std::string("CREATE TABLE lv.t (id INT PRIMARY KEY, ") + (mysql ? "v VECTOR(3), " : "") +
        "ti TINYINT, su SMALLINT UNSIGNED, mi MEDIUMINT, i INT, bu BIGINT UNSIGNED, b BIGINT, de DECIMAL(20,6), "
        "f FLOAT, d DOUBLE, bt BIT(10), dt DATE, tm TIME(3), dtm DATETIME(6), ts TIMESTAMP(2) NULL, y YEAR, "
        "c CHAR(5), vc VARCHAR(300), l1 VARCHAR(20) CHARACTER SET latin1, bin BINARY(4), vb VARBINARY(10), "
        "bl BLOB, tx TEXT, mt MEDIUMTEXT, e ENUM('a','b','c'), s SET('x','y','z'), j JSON, g GEOMETRY, "
        "inv INT INVISIBLE DEFAULT 42)";
}

std::string typesRows(bool mysql) {
    const auto v = [mysql](const char* text) { return mysql ? std::string(text) + ", " : std::string(); };
    return "(1, " + v("STRING_TO_VECTOR('[1.5,2,-3]')") +
        "-128, 65535, -8388608, 2147483647, 18446744073709551615, -9223372036854775808, -12345.678901, 1.5, "
        "1e300, b'1010101010', '2024-02-29', '-838:59:59.000', '2024-01-02 03:04:05.123456', "
        "'2038-01-19 03:14:07.99', 2024, 'ab', '€uro ünïcode ✓', 'café', x'0102', x'00ff27', "
        "x'00275c0a0d1a', 'it''s \"quoted\" \\\\ back', REPEAT('x', 70000), 'b', 'x,z', "
        "'{\"a\": [1, 2.5, \"x\"], \"b\": null, \"c\": {\"d\": true}}', ST_GeomFromText('POINT(1 2)'), 7), "
        "(2, " +
        v("NULL") +
        "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "(3, " +
        v("STRING_TO_VECTOR('[0,0,0]')") +
        "0, 0, 0, 0, 0, 0, 0, -2.25, -0.5, b'0', '1000-01-01', '00:00:00', '1000-01-01 00:00:00', "
        "'1970-01-02 00:00:01', 1901, '', '', '', x'', x'', x'', '', '', 'a', '', '[]', "
        "ST_GeomFromText('LINESTRING(0 0,1 1,2 3)'), 0)";
}

std::string columnList(const std::vector<std::string>& columns) {
    std::string list;
    for (const auto& c : columns) list += (list.empty() ? "" : ", ") + db::quoteIdent(c);
    return list;
}

// A session in which decoded literals mean what they say (sql_literal.h).
db::Connection literalSession(DbServer& server) {
    auto c = server.connectRoot();
    c.execute("SET time_zone = '+00:00', sql_mode = ''");
    return c;
}

size_t columnIndex(const binlog::TableMap& t, const std::string& name) {
    for (size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return i;
    FAIL("no column " << name << " in the TABLE_MAP of " << t.table);
    return 0;
}

}  // namespace

TEST_CASE("every_column_type_decodes_to_the_value_written") {
    START_OR_SKIP(server, sourceOptions());
    const bool mysql = server.isMySql();
    auto w = server.connectRoot();
    // A session zone other than UTC: TIMESTAMP values are logged in UTC whatever the writer's zone.
    w.execute("SET time_zone = '+05:30'");
    w.execute("CREATE DATABASE lv");
    w.execute(typesTable(mysql));
    w.execute("CREATE TABLE lv.copy LIKE lv.t");
    const auto columns = columnsOf(w, "lv", "t");
    w.execute("INSERT INTO lv.t (" + columnList(columns) + ") VALUES " + typesRows(mysql));
    w.execute("UPDATE lv.t SET vc = 'changed', j = '{\"k\": [true, false]}', inv = inv + 1, bu = 1 WHERE id = 1");
    w.execute("UPDATE lv.t SET ti = 5, e = 'c', s = 'x,y,z', y = 2155 WHERE id = 2");
    w.execute("DELETE FROM lv.t WHERE id = 3");
    w.execute("INSERT INTO lv.t (id, vc) VALUES (4, 'defaults')");

    const auto events = decodeAllBinlogs(server);
    const auto changes = changesOf(events, "lv", "t");
    REQUIRE(changes.size() == 7);

    // The table map carries every column's name (invisible ones too), the key and the types.
    const binlog::TableMap& map = *changes.front().table;
    CHECK(map.hasOptionalMetadata);
    REQUIRE(map.columns.size() == columns.size());
    for (size_t i = 0; i < columns.size(); ++i) CHECK(map.columns[i].name == columns[i]);
    CHECK(map.primaryKey == std::vector<uint32_t>{0});

    // What the server holds, checked directly against the first INSERT's after image.
    const auto& first = changes.front().row->after;
    const size_t inv = columnIndex(map, "inv"), j = columnIndex(map, "j");
    CHECK(first[inv].kind == Value::Kind::Int);
    CHECK(first[inv].i == 7);
    if (mysql) {
        CHECK(first[j].kind == Value::Kind::Json);
        CHECK(first[j].text == R"({"a": [1, 2.5, "x"], "b": null, "c": {"d": true}})");
        const size_t v = columnIndex(map, "v");
        CHECK(map.columns[v].type == binlog::ColumnType::Vector);
        CHECK(first[v].kind == Value::Kind::Vector);
        CHECK(first[v].data() == *w.scalar("SELECT v FROM lv.t WHERE id = 1"));
        CHECK(binlog::sqlLiteral(first[v]).rfind("_binary'", 0) == 0);
    } else {
        CHECK(first[j].kind == Value::Kind::String);  // MariaDB's JSON is a LONGTEXT
        CHECK(first[j].data() == R"({"a": [1, 2.5, "x"], "b": null, "c": {"d": true}})");
    }
    CHECK(first[columnIndex(map, "mt")].data().size() == 70000);
    CHECK(first[columnIndex(map, "vc")].data() == "€uro ünïcode ✓");
    CHECK(first[columnIndex(map, "l1")].data() == "caf\xe9");  // latin1 bytes, latin1 literal
    CHECK(binlog::sqlLiteral(first[columnIndex(map, "l1")]) == "_latin1'caf\xe9'");

    // The whole history, replayed from decoded values into the copy, rebuilds the table.
    auto c = literalSession(server);
    for (const auto& change : changes) applyDecoded(c, "lv", "copy", columns, change);
    CHECK(rowsOf(c, "lv", "copy") == rowsOf(c, "lv", "t"));
    CHECK(rowsOf(c, "lv", "t").size() == 3);
}

TEST_CASE("partial_json_updates_decode_to_diffs_that_rebuild_the_new_value") {
    MYSQL_ONLY("no partial JSON in MariaDB's binlog (binlog_row_value_options is MySQL's)");
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    w.execute("CREATE DATABASE lv");
    w.execute("CREATE TABLE lv.j (id INT PRIMARY KEY, doc JSON, other JSON, n INT INVISIBLE DEFAULT 1)");
    w.execute("CREATE TABLE lv.copy LIKE lv.j");
    w.execute(R"(INSERT INTO lv.j (id, doc, other) VALUES (1, '{"a": 1, "b": [1, 2, 3], "s": "hello"}', '[1]'),
                 (2, '{"deep": {"x": [10, 20]}}', NULL))");
    w.execute("SET SESSION binlog_row_value_options = 'PARTIAL_JSON'");
    // JSON_SET / JSON_REPLACE / JSON_REMOVE of one column are logged as diffs, under FULL and
    // under MINIMAL row images; other JSON functions as whole values.
    w.execute(R"(UPDATE lv.j SET doc = JSON_SET(doc, '$.a', 5, '$.s', 'hi'), other = JSON_ARRAY_APPEND(other, '$', 2)
                 WHERE id = 1)");
    w.execute(R"(UPDATE lv.j SET doc = JSON_REMOVE(doc, '$.b[1]') WHERE id = 1)");
    w.execute(R"(UPDATE lv.j SET doc = JSON_SET(doc, '$.deep.x[1]', 'twenty', '$.deep.y', JSON_OBJECT('z', 1.5))
                 WHERE id = 2)");
    w.execute("SET SESSION binlog_row_image = 'MINIMAL'");
    w.execute(R"(UPDATE lv.j SET doc = JSON_REPLACE(doc, '$.a', 6), n = 2 WHERE id = 1)");

    const auto events = decodeAllBinlogs(server);
    const auto changes = changesOf(events, "lv", "j");
    REQUIRE(changes.size() == 6);
    size_t diffs = 0;
    for (const auto& ch : changes) {
        if (ch.kind != binlog::RowsKind::Update) continue;
        const auto& doc = ch.row->after.at(1);
        CHECK(doc.kind == Value::Kind::JsonDiff);
        diffs += doc.diffs.size();
    }
    CHECK(diffs == 6);  // $.a, $.s; $.b[1]; $.deep.x[1], $.deep.y; $.a
    const auto& removal = changes[3].row->after.at(1);
    REQUIRE(removal.diffs.size() == 1);
    CHECK(removal.diffs[0].op == binlog::JsonDiff::Op::Remove);
    CHECK(removal.diffs[0].path == "$.b[1]");
    CHECK(changes[5].row->before.at(1).kind == Value::Kind::Missing);  // MINIMAL: key only

    auto c = literalSession(server);
    const auto columns = columnsOf(c, "lv", "j");
    for (const auto& change : changes) applyDecoded(c, "lv", "copy", columns, change);
    CHECK(rowsOf(c, "lv", "copy") == rowsOf(c, "lv", "j"));
}

TEST_CASE("compressed_transactions_decode_like_plain_ones") {
    auto options = sourceOptions();
    const bool mysql = options.flavor == Flavor::MySQL;
    // MySQL compresses whole transactions (zstd TRANSACTION_PAYLOAD); MariaDB compresses each
    // rows and query event (zlib) longer than log_bin_compress_min_len.
    if (!mysql) options.extraArgs = {"--log-bin-compress=ON", "--log-bin-compress-min-len=10"};
    START_OR_SKIP(server, options);
    auto w = server.connectRoot();
    if (mysql) w.execute("SET SESSION binlog_transaction_compression = ON");
    w.execute("CREATE DATABASE lv");
    w.execute("CREATE TABLE lv.t (id INT PRIMARY KEY, note VARCHAR(200), body TEXT, inv INT INVISIBLE DEFAULT 3)");
    w.execute("CREATE TABLE lv.copy LIKE lv.t");
    w.execute("START TRANSACTION");
    for (int i = 1; i <= 20; ++i) {
        const std::string n = std::to_string(i);
        w.execute("INSERT INTO lv.t (id, note, body, inv) VALUES (" + n + ", 'row " + n +
                  "', REPEAT('compressible ', " + std::to_string(i * 10) + "), " + n + ")");
    }
    w.execute("UPDATE lv.t SET note = CONCAT(note, ' updated') WHERE id % 3 = 0");
    w.execute("DELETE FROM lv.t WHERE id % 5 = 0");
    w.execute("COMMIT");

    const auto events = decodeAllBinlogs(server);
    size_t compressed = 0;
    for (const auto& ev : events) {
        if (const auto* p = ev.as<binlog::TransactionPayload>(); p && p->compression == 0) ++compressed;
        if (const auto* r = ev.as<binlog::RowsEvent>(); r && r->compressed) ++compressed;
    }
    CHECK(compressed > 0);
    const auto changes = changesOf(events, "lv", "t");
    CHECK(changes.size() == 20 + 6 + 4);
    if (mysql)
        for (const auto& ev : events)
            if (ev.as<binlog::RowsEvent>()) CHECK(ev.inPayload);

    auto c = literalSession(server);
    const auto columns = columnsOf(c, "lv", "t");
    for (const auto& change : changes) applyDecoded(c, "lv", "copy", columns, change);
    CHECK(rowsOf(c, "lv", "copy") == rowsOf(c, "lv", "t"));
    CHECK(rowsOf(c, "lv", "t").size() == 16);
}
