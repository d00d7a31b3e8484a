// Values a non-strict source holds (written under sql_mode = '' or ALLOW_INVALID_DATES, as on
// many old MySQL 5.x servers) copy exactly, in both modes, with no error: ENUM '' error values,
// zero dates, dates with zero parts, invalid days, zero and out-of-range datetimes and
// timestamps, numbers and strings clipped on insert, NOT NULL columns given NULL, -0, also in
// a chunk key, in DEFAULT clauses, and in the ranges a resumed copy deletes on the target.
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

const char* kDb = "legacy_db";

void createLegacyValues() {
    auto s = source().connectRoot();
    s.execute("DROP DATABASE IF EXISTS legacy_db");
    s.execute("CREATE DATABASE legacy_db");
    s.execute("SET SESSION sql_mode = '', time_zone = '+00:00'");
    s.execute(R"(CREATE TABLE legacy_db.v (
        id INT PRIMARY KEY,
        e ENUM('a','b') NOT NULL DEFAULT 'a', en ENUM('x','y') NULL, st SET('p','q'),
        d DATE NOT NULL DEFAULT '0000-00-00', dn DATE NULL,
        dtm DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00', dtm6 DATETIME(6) NULL,
        ts TIMESTAMP NOT NULL DEFAULT '0000-00-00 00:00:00', ts6 TIMESTAMP(6) NULL DEFAULT NULL,
        y YEAR NULL, tm TIME NULL,
        i TINYINT NOT NULL DEFAULT 0, iu INT UNSIGNED, bi BIGINT, dec52 DECIMAL(5,2), f FLOAT, dbl DOUBLE, b BIT(4),
        s VARCHAR(5) CHARACTER SET utf8mb4, c3 CHAR(3) CHARACTER SET utf8mb3, l VARCHAR(20) CHARACTER SET latin1,
        vb VARBINARY(4), nn VARCHAR(10) NOT NULL,
        KEY by_date (d, dtm)
    ) DEFAULT CHARSET=utf8mb4)");
    // Clipped, truncated and replaced on insert, with warnings, as a non-strict server does. A
    // multi-row INSERT stores a NOT NULL column's implicit default for NULL.
    s.execute(R"(INSERT INTO legacy_db.v VALUES
      (1, 'nope', 'nope', 'p,zzz', '0000-00-00', '2020-00-15', '0000-00-00 00:00:00', '2020-05-00 12:00:00.5',
       '0000-00-00 00:00:00', '1960-01-01 00:00:00', 3000, '900:00:00',
       300, -5, 99999999999999999999, 12345.678, 1e39, -0e0, b'11111',
       'abcdefgh', _utf8mb4 X'F09F9880', _utf8mb4 X'C480', X'0102030405', NULL),
      (2, 0, '', '', '2020-05-00', '0000-01-01', '2020-00-00 00:00:00', '0000-00-00 00:00:00.000000',
       '2021-02-30 00:00:00', '0000-00-00 00:00:00', 0, '-900:00:00',
       -300, 4294967296, -99999999999999999999, -12345.678, -1e39, 'abc', b'0',
       '12abc', 'toolong', 'ok', X'', 'x'),
      (3, 'a', NULL, NULL, '2021-02-30', NULL, '2021-04-31 10:00:00', NULL,
       '2038-01-19 03:14:08', '2000-01-01 00:00:00.1234567', 1901, '12:00:00',
       0, 0, 0, 0, 0, 0, NULL, '', '', '', NULL, '')
    )");
    // ALLOW_INVALID_DATES keeps any day 1-31 in any month: such a server holds February 30th.
    s.execute("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'");
    s.execute(
        "INSERT INTO legacy_db.v (id, d, dn, dtm, dtm6, nn) VALUES "
        "(4, '2021-02-30', '2019-04-31', '2021-02-31 23:59:59', '2020-02-30 00:00:00.000001', 'invalid')");
    s.execute("SET SESSION sql_mode = ''");

    // A chunk key of zero datetimes, datetimes with zero parts, invalid days and ENUM '' values:
    // the copy's key ranges compare with them on the source and (resumed) on the target.
    s.execute(
        "CREATE TABLE legacy_db.k (dtm DATETIME NOT NULL, e ENUM('a','b') NOT NULL, v INT, "
        "PRIMARY KEY (dtm, e), KEY by_v (v))");
    s.execute(
        "INSERT INTO legacy_db.k VALUES ('0000-00-00 00:00:00', 'bad', 1), ('0000-00-00 00:00:00', 'a', 2), "
        "('2020-00-00 00:00:00', 'bad', 3), ('2020-00-00 00:00:00', 'b', 4), ('2020-05-00 10:00:00', 'b', 5), "
        "('2020-05-01 00:00:00', 'bad', 6), ('2024-01-01 00:00:00', 'a', 7)");
    s.execute("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'");
    s.execute("INSERT INTO legacy_db.k VALUES ('2021-02-30 00:00:00', 'a', 8), ('2021-02-31 00:00:00', 'a', 9)");
}

// The source really holds the legacy values (a server that refused or normalized them would
// make the comparisons below prove nothing).
void checkSourceHoldsThem() {
    auto s = source().connectRoot();
    s.execute("SET time_zone = '+00:00'");
    auto row = [&](const std::string& sql) {
        auto r = s.query(sql);
        REQUIRE(r.size() == 1);
        std::string line;
        for (auto& v : r.rows[0]) line += v.value_or("NULL") + "|";
        return line;
    };
    CHECK(row("SELECT e + 0, en + 0, st, d, dn, dtm, dtm6, ts, ts6, y, tm, i, iu, bi, dec52, b + 0, s, c3, l, "
              "HEX(vb), nn FROM legacy_db.v WHERE id = 1") ==
          "0|0|p|0000-00-00|2020-00-15|0000-00-00 00:00:00|2020-05-00 12:00:00.500000|0000-00-00 00:00:00|"
          "0000-00-00 00:00:00.000000|0000|838:59:59|127|0|9223372036854775807|999.99|15|abcde|?|?|01020304||");
    CHECK(row("SELECT e + 0, d, dn, dtm, ts FROM legacy_db.v WHERE id = 2") ==
          "0|2020-05-00|0000-01-01|2020-00-00 00:00:00|0000-00-00 00:00:00|");
    CHECK(row("SELECT d, dn, dtm, dtm6 FROM legacy_db.v WHERE id = 4") ==
          "2021-02-30|2019-04-31|2021-02-31 23:59:59|2020-02-30 00:00:00.000001|");
    CHECK(s.scalar("SELECT COUNT(*) FROM legacy_db.k WHERE e = 0") == std::optional<std::string>("3"));
}

void checkSame(const char* table, std::size_t rows) {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    const auto a = hexRows(s, kDb, table);
    const auto b = hexRows(t, kDb, table);
    REQUIRE(a.size() == rows);
    REQUIRE(b.size() == a.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK_MESSAGE(a[i] == b[i], table << " row " << i);
}

void copyAndCompare(const std::string& jobName, api::FullMode mode, copy::CopyOptions options) {
    reset(jobName, {kDb});
    createLegacyValues();
    checkSourceHoldsThem();
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r = copy::runFullCopy(job(jobName, {kDb}, mode), sourceOptions(), targetOptions(), sink, stop, options);
    CHECK(r.rows == 4 + 9);
    checkSame("v", 4);
    checkSame("k", 9);
    auto t = target().connectRoot();
    // The deferred keys were added to tables holding zero dates, and the DEFAULT clauses kept.
    CHECK(t.scalar("SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                   "'legacy_db' AND INDEX_NAME IN ('by_date', 'by_v')") == std::optional<std::string>("2"));
    const std::string defaults =
        "SELECT GROUP_CONCAT(COLUMN_NAME, '=', COLUMN_DEFAULT ORDER BY COLUMN_NAME) FROM "
        "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'legacy_db' AND TABLE_NAME = 'v'";
    auto s = source().connectRoot();
    CHECK(t.scalar(defaults) == s.scalar(defaults));
    auto v = copy::verify(job(jobName, {kDb}), sourceOptions(), targetOptions(), sink, options);
    CHECK(v.identical);
    for (auto& d : v.differences) MESSAGE(d.text());

    // As a SIGKILL after every chunk started and none finished leaves it: the next run deletes
    // each chunk's key range on the target (comparing with the legacy keys) and copies it again.
    t.execute("UPDATE tidemark_meta.copy_job SET state = 'copying' WHERE job = " + t.quote(jobName));
    t.execute("UPDATE tidemark_meta.copy_table SET state = 1 WHERE job = " + t.quote(jobName));
    t.execute("UPDATE tidemark_meta.copy_chunk SET state = 1 WHERE job = " + t.quote(jobName));
    CHECK(std::stoi(t.scalar("SELECT COUNT(*) FROM tidemark_meta.copy_chunk WHERE job = " + t.quote(jobName) +
                             " AND db = 'legacy_db' AND tbl = 'k'")
                        .value_or("0")) > 1);
    auto again = copy::runFullCopy(job(jobName, {kDb}, mode), sourceOptions(), targetOptions(), sink, stop, options);
    CHECK(again.resumed);
    CHECK(again.rows == 4 + 9);
    checkSame("v", 4);
    checkSame("k", 9);
}

}  // namespace

TEST_CASE("legacy values of a non-strict source copy exactly in logical mode") {
    auto options = testOptions(2);
    SUBCASE("prepared statements") { options.batchBytes = 1; }      // one row per statement: all full
    SUBCASE("plain statements") { options.batchBytes = 1u << 30; }  // 2-row chunks: all shorter
    copyAndCompare("legacy-logical", api::FullMode::Logical, options);
}

TEST_CASE("legacy values of a non-strict source copy exactly in physical mode") {
    copyAndCompare("legacy-physical", api::FullMode::Physical, testOptions(2));
}
