// The runner and the server agree on every row. A table of many column types and tricky rows
// (NULLs, negative decimals, trailing spaces, case differences, zero and invalid dates,
// multibyte and latin1 strings) is written on a real MariaDB or MySQL server; its row images
// are read back from the server's binlog through the project's decoder; and for each
// expression, the rows matches() filters are exactly the rows the server's own
// `SELECT id FROM t WHERE <toSql>` returns, while `WHERE <keepCondition>` returns the others.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>

#include "runner/db/session.h"
#include "runner/filter/row_expression.h"
#include "tests/binlog/live_binlog.h"

using namespace tidemark;
using namespace tidemark::filter;
using namespace tidemark::testing;
using namespace tidemark::testing::live;

namespace {

const char* const kTable =
    "CREATE TABLE rf.t (id INT PRIMARY KEY, ti TINYINT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, "
    "de DECIMAL(12,3), f FLOAT, d DOUBLE, bt BIT(8), y YEAR, dt DATE, dtm DATETIME(3), ts TIMESTAMP(2) NULL, "
    "tm TIME(1), c CHAR(6) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, "
    "vc VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, l1 VARCHAR(20) CHARACTER SET latin1, "
    "vb VARBINARY(8), bn BINARY(3), e ENUM('small','Medium','large'), tx TEXT CHARACTER SET utf8mb4, j JSON)";

// Written in a +05:30 session: the TIMESTAMPs below are 5h30 later than their UTC values.
const char* const kRows[] = {
    "(1, -128, 0, -9223372036854775808, 18446744073709551615, -12.300, 1.5, 1.1, b'00000101', 2024, "
    "'2024-02-29', '2024-01-02 03:04:05.123', '2024-01-02 09:04:05.50', '-838:59:59.0', 'ab', 'abc', 'caf\xc3\xa9', "
    "x'00ff', x'61', 'small', 'x', '{\"a\": 1}')",
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL)",
    "(3, 127, 4294967295, 9223372036854775807, 0, -0.500, -2.25, -1e300, b'11111111', 0, '0000-00-00', "
    "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00', '', '', '', x'', x'', 'Medium', '', 'null')",
    "(4, 0, 1, 0, 1, 0.000, 1.1, 0, b'0', 1901, '1000-01-01', '9999-12-31 23:59:59.999', '1970-01-01 05:30:01', "
    "'838:59:59', 'ABC', 'abc ', 'CAF\xc3\x89', 'abc', 'ab', 'large', 'abc%', NULL)",
    "(5, 5, 100, 100, 100, 99.999, 100, 100, b'1100100', 2155, '2021-02-30', '2024-01-02 00:00:00', "
    "'2038-01-19 08:44:07.99', '12:30:00.5', 'Ab', 'ABC', 'na\xc3\xafve', 'x', 'x', '', 'a_b', '[]')",
    "(6, -1, 7, -1, 7, -0.001, 0, -0.5, b'1', 1999, '2024-03-01', '2024-01-02 03:04:05', '2024-01-01 05:30:00', "
    "'-00:00:00.5', '\xe6\x97\xa5\xe6\x9c\xac', '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e', '\xe2\x82\xacuro', "
    "x'5c', x'000000', 'small', '\xe2\x9c\x93 done', '{}')",
    "(7, 1, 1, 1, 1, 1.000, 1, 1, b'00000001', 2000, '2024-02-28', '2024-01-02 03:04:05.124', NULL, '-01:00:00', "
    "'ab  ', 'ab  ', 'it''s', 'ab ', 'a', 'large', 'ab ', '1')",
    "(8, 100, 42, 42, 42, 1.500, -0.5, 0.1, b'00101010', 2024, '2024-02-29', NULL, '2024-01-02 09:04:05.49', "
    "'12:00:00', 'a\\\\b', 'a\\\\b', 'a\\\\b', 'a\\\\b', 'a\\\\b', 'Medium', 'a\\\\b', NULL)",
};

const char* const kExpressions[] = {
    "ti < 0",
    "ti = -128 OR ti = 127",
    "ti < 300 AND ti > -300.5",
    "iu >= 4294967295",
    "bi = -9223372036854775808 OR bi > 9223372036854775806",
    "bu > 9223372036854775807",
    "bu = 18446744073709551615 OR bu = -1",
    "de = -12.3 OR de = 1",
    "de < 0",
    "de BETWEEN -0.5 AND 0",
    "de IN (99.999, 1, -0.001, NULL)",
    "f = 1.5",
    "f > 1.1",
    "d = 1.1 OR d < -1000",
    "d = 0.1",
    "f < d",
    "ti = iu",
    "bt = 5 OR bt > 200",
    "bt BETWEEN 1 AND 42",
    "y = 2024 OR y = 0",
    "y > 2000",
    "dt = '2024-02-29'",
    "dt = '0000-00-00'",
    "dt < '2021-03-01'",
    "dt > '2021-02-28'",
    "dtm > '2024-01-02'",
    "dtm = '2024-01-02 03:04:05.123'",
    "dtm <= '2024-01-02 03:04:05'",
    "dtm < '2024-01-02 03:04:05.1235'",
    "ts = '2024-01-02 03:34:05.500001' OR ts > '2038-01-19 03:14:07.98'",
    "ts = '2024-01-02 03:34:05.5'",
    "ts < '1970-01-01 00:00:02'",
    "ts = '0000-00-00 00:00:00'",
    "ts BETWEEN '2024-01-01' AND '2024-01-02 03:34:05.49'",
    "tm < '00:00:00'",
    "tm BETWEEN '12:00:00' AND '838:59:59'",
    "tm = '-838:59:59'",
    "tm > '-00:00:01' AND tm < '00:00:00.1'",
    "c = 'ab'",
    "c = '\xe6\x97\xa5\xe6\x9c\xac'",
    "c < 'a'",
    "vc = 'abc'",
    "vc = 'ab  '",
    "vc LIKE 'ab%'",
    "vc LIKE '%\\\\\\\\%'",
    "vc LIKE '___' OR c LIKE '______'",
    "l1 = 'caf\xc3\xa9'",
    "l1 LIKE '%\xe2\x82\xac%' OR l1 = 'it\\'s'",
    "l1 > 'caf'",
    "vb = X'00FF' OR vb = '\\\\'",
    "bn = 'ab' OR bn = X'616200'",
    "vb < X'01'",
    "e = 'Medium' OR e = ''",
    "e IN ('small', 'large')",
    "e > 'l'",
    "tx LIKE 'a\\_b'",
    "tx NOT LIKE '%c%'",
    "tx = 'ab ' OR tx = '\xe2\x9c\x93 done'",
    "j IS NULL",
    "NOT (ti > 0 AND de > 0)",
    "ti IS NULL OR vc <> 'abc'",
    "(f IS NOT NULL AND NOT f BETWEEN -1 AND 1) || !(y IS NULL)",
    "NOT (dt = '2024-02-29' OR e = 'small') AND id > 1",
};

// Expressions that are never TRUE on these rows, for the reason SQL gives.
const char* const kNeverTrue[] = {
    "de NOT IN (1.5, NULL)",       // unknown for every value but 1.5
    "vc NOT IN ('abc', NULL)",     // likewise
    "f = 1.1",                     // a FLOAT holds 1.10000002384185791015625
    "ts = '2024-01-02 03:34:05'",  // the row is 03:34:05.50
};

std::vector<ColumnInfo> columnInfo(db::Connection& c) {
    auto result = c.query(
        "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'rf' "
        "AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION");
    std::vector<ColumnInfo> columns;
    for (const auto& r : result.rows) columns.push_back({*r.at(0), *r.at(1), r.at(2).value_or("")});
    return columns;
}

std::vector<int64_t> ids(db::Connection& c, const std::string& where) {
    std::vector<int64_t> out;
    for (const auto& r : c.query("SELECT id FROM rf.t WHERE " + where + " ORDER BY id").rows)
        out.push_back(std::stoll(*r.at(0)));
    return out;
}

}  // namespace

TEST_CASE("matches_agrees_with_the_servers_where_on_every_row") {
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    w.execute("SET time_zone = '+05:30', sql_mode = 'ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION'");
    w.execute("CREATE DATABASE rf");
    w.execute(kTable);
    for (const char* row : kRows) w.execute(std::string("INSERT INTO rf.t VALUES ") + row);

    // The row images as replay sees them, by id.
    const auto events = decodeAllBinlogs(server);
    std::map<int64_t, const std::vector<binlog::Value>*> images;
    for (const auto& change : changesOf(events, "rf", "t")) {
        REQUIRE(change.kind == binlog::RowsKind::Write);
        images[change.row->after.at(0).i] = &change.row->after;
    }
    REQUIRE(images.size() == std::size(kRows));

    // The reading session the full copy uses (copy::prepareReadSession).
    auto r = server.connectRoot();
    r.execute("SET NAMES binary");
    r.execute("SET SESSION time_zone = '+00:00'");
    r.execute(std::string("SET SESSION sql_mode = '") + db::kMigrationSqlMode + "'");
    const auto columns = columnInfo(r);

    // Rows the runner filters, checked against the server's WHERE and its keep condition.
    const auto filteredByBoth = [&](const char* text) {
        const std::string written = text;
        CAPTURE(written);
        const BoundExpression e = bindToColumns(parse(text), columns);
        const std::string sql = toSql(e);
        CAPTURE(sql);
        std::vector<int64_t> filtered, kept;
        for (const auto& [id, image] : images) (matches(e, *image) ? filtered : kept).push_back(id);
        CHECK(ids(r, sql) == filtered);
        CHECK(ids(r, keepCondition(e)) == kept);
        return std::make_pair(filtered.size(), kept.size());
    };
    // Each expression splits the rows, so agreement is never "all" against "all" or "none" against "none".
    for (const char* text : kExpressions) {
        const auto [filtered, kept] = filteredByBoth(text);
        CHECK_MESSAGE(filtered > 0, text);
        CHECK_MESSAGE(kept > 0, text);
    }
    for (const char* text : kNeverTrue) CHECK_MESSAGE(filteredByBoth(text).first == 0, text);
}

TEST_CASE("a_column_missing_from_a_minimal_row_image_is_an_error_not_a_guess") {
    ServerOptions options = sourceOptions();
    options.rowImage = "MINIMAL";
    START_OR_SKIP(server, options);
    auto w = server.connectRoot();
    w.execute("CREATE DATABASE rf");
    w.execute("CREATE TABLE rf.m (id INT PRIMARY KEY, name VARCHAR(10), qty INT)");
    w.execute("INSERT INTO rf.m VALUES (1, 'a', 5)");
    w.execute("UPDATE rf.m SET qty = 6 WHERE id = 1");

    const auto events = decodeAllBinlogs(server);
    const auto changes = changesOf(events, "rf", "m");
    REQUIRE(changes.size() == 2);
    REQUIRE(changes[1].kind == binlog::RowsKind::Update);
    const std::vector<ColumnInfo> columns = {{"id", "int", ""}, {"name", "varchar", "utf8mb4"}, {"qty", "int", ""}};

    // The after image holds the changed column (and, on MySQL, nothing else): what it holds evaluates.
    CHECK(matches(bindToColumns(parse("qty = 6"), columns), changes[1].row->after));
    // The before image of a MINIMAL update holds only the key: `name` is not there to compare.
    const auto& before = changes[1].row->before;
    REQUIRE(before.at(1).kind == binlog::Value::Kind::Missing);
    CHECK(matches(bindToColumns(parse("id = 1"), columns), before));
    CHECK_THROWS_WITH_AS(matches(bindToColumns(parse("id = 2 OR name = 'a'"), columns), before),
                         doctest::Contains("column `name` is not in the row image"), EvaluationError);
}
