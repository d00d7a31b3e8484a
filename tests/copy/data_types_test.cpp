// Every data type round-trips byte for byte, in both modes: integer extremes, DECIMAL(65,30),
// FLOAT/DOUBLE, BIT, temporal types with fractions, zero dates, negative times, TIMESTAMP in
// any session time zone, strings in latin1/utf8mb3/utf8mb4/binary, blobs with every byte,
// ENUM, SET, JSON (SQL NULL and JSON null apart), invisible columns, columns with expression
// defaults (`DEFAULT CURRENT_TIMESTAMP`, which MySQL marks DEFAULT_GENERATED, is copied, not
// regenerated); generated columns are computed by the target, not written. Per flavor: VECTOR
// and utf8mb4_0900 collations (MySQL), INET6 and UUID (MariaDB).
#include <doctest/doctest.h>

#include "tests/copy/copy_support.h"

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

const char* kDb = "types_db";

void createTypes() {
    auto s = source().connectRoot();
    s.execute("DROP DATABASE IF EXISTS types_db");
    s.execute("CREATE DATABASE types_db");
    s.execute("SET SESSION sql_mode = '', time_zone = '+05:30'");
    s.execute(R"(CREATE TABLE types_db.t (
        id INT PRIMARY KEY,
        ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
        i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
        dec65 DECIMAL(65,30), dec10 DECIMAL(10,2),
        f FLOAT, d DOUBLE,
        b1 BIT(1), b13 BIT(13), b64 BIT(64),
        dt DATE, dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL, tm TIME, tm6 TIME(6), y YEAR,
        s_latin1 VARCHAR(50) CHARACTER SET latin1, s_utf8 VARCHAR(50) CHARACTER SET utf8mb3,
        s_utf8mb4 VARCHAR(50) CHARACTER SET utf8mb4, ch CHAR(10), txt TEXT CHARACTER SET utf8mb4,
        s_bin VARCHAR(50) CHARACTER SET binary,
        bn BINARY(8), vb VARBINARY(300), bl BLOB,
        e ENUM('a','b','c'), st SET('x','y','z'),
        j JSON,
        g_virtual BIGINT AS (i + 1) VIRTUAL,
        g_stored VARCHAR(60) AS (CONCAT(s_utf8mb4, '!')) STORED,
        inv VARCHAR(20) INVISIBLE,
        ts_now TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        dtm_now DATETIME(6) NULL DEFAULT CURRENT_TIMESTAMP(6),
        expr_default VARCHAR(40) DEFAULT (CONCAT('made ', 'by default'))
    ) DEFAULT CHARSET=utf8mb4)");
    s.execute(
        R"(INSERT INTO types_db.t (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, dec65, dec10, f, d, b1, b13, b64,
        dt, dtm, dtm6, ts, tm, tm6, y, s_latin1, s_utf8, s_utf8mb4, ch, txt, s_bin, bn, vb, bl, e, st, j) VALUES
      (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
       '-99999999999999999999999999999999999.999999999999999999999999999999', -99999999.99,
       -3.40282e38, -1.7976931348623157e308, b'0', b'0', b'0',
       '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '1970-01-01 05:30:01.000',
       '-838:59:59', '-838:59:59.000000', 0,
       _latin1 X'E9E8275C00', _utf8mb3 X'C3A9E282AC', _utf8mb4 X'F09F9880F09F8E89', 'a', '', X'00FF80',
       X'0000000000000000', X'', X'', 'a', '', '[]'),
      (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
       18446744073709551615,
       '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99,
       3.1415927, 0.30000000000000004, b'1', b'1010101010101', b'1111111111111111111111111111111111111111111111111111111111111111',
       '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 08:44:07.999',
       '838:59:59', '-00:00:00.000001', 2155,
       'plain', 'plain', 'x', 'trail   ', REPEAT('long text ', 100), 'bin',
       X'0102030405060708', X'00FF00FF', REPEAT(X'00FF', 200), 'c', 'x,z', '{"a": [1, 2.5, "\u00fc"], "b": null}'),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (4, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0.000000000000000000000000000001, 0.01,
       1.17549e-38, 2.2250738585072014e-308, b'1', b'0000000000001', b'1000000000000000000000000000000000000000000000000000000000000000',
       '2024-02-29', '2000-01-01 00:00:00', '2000-01-01 00:00:00.000001', '2000-06-30 23:59:59.500',
       '12:34:56', '12:34:56.789012', 1901,
       'quote '' backslash \\ nl \n cr \r tab \t ctrl-z \Z', 'nul \0 end', 'NULL', '', 'the word NULL and \\N', '\\N',
       X'5C4E000A0D090000', X'0A0D095C4E', X'', 'b', 'x,y,z', '{"emoji": "\ud83d\ude00", "n": 1.0e10}'),
      (5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.5, 0.1, 0.1, NULL, b'0', b'11111111', '2020-00-00', '2020-01-00 10:00:00',
       '1000-01-01 00:00:00.100000', '1999-12-31 23:59:59.999', '-12:00:00.5', '00:00:00', 1999,
       'x', 'y', 'z', 'c', 't', 'b', X'FF', X'FF', X'FF', NULL, NULL, NULL))");
    // A blob with every byte value, twice.
    std::string all;
    for (int k = 0; k < 512; ++k) all += static_cast<char>(k & 0xff);
    s.execute("UPDATE types_db.t SET bl = " + db::hexLiteral(all) + ", vb = " + db::hexLiteral(all.substr(0, 256)) +
              " WHERE id = 4");
    s.execute("UPDATE types_db.t SET j = " + s.quote("null") + " WHERE id = 5");  // JSON null, not SQL NULL
    s.execute("UPDATE types_db.t SET j = " +
              s.quote(R"({"big": 18446744073709551615, "neg": -9223372036854775808, "d": 1e308, "tiny": 5e-324, )"
                      R"("s": "nul \u0000 quote \" backslash \\ tab \t", "nested": {"k": [true, false, null, {}]}})") +
              " WHERE id = 1");
    if (source().isMySql()) {
        s.execute(
            "ALTER TABLE types_db.t ADD COLUMN vec VECTOR(3), "
            "ADD COLUMN s_0900_ai VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci, "
            "ADD COLUMN s_0900_as_cs VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_as_cs, "
            "ADD COLUMN s_0900_bin TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin");
        s.execute(
            "UPDATE types_db.t SET vec = STRING_TO_VECTOR('[1.5, -2, 3.4028234e38]'), "
            "s_0900_ai = 'Stra\xC3\x9F"
            "e ', s_0900_as_cs = 'trailing space ', s_0900_bin = X'F09F9880' "
            "WHERE id = 2");
        // A subnormal, -0 and 0.
        const std::string floats(
            "\x01\x00\x00\x00"
            "\x00\x00\x00\x80"
            "\x00\x00\x00\x00",
            12);
        s.execute("UPDATE types_db.t SET vec = " + db::hexLiteral(floats) + " WHERE id = 4");
    } else {
        s.execute("ALTER TABLE types_db.t ADD COLUMN ip INET6, ADD COLUMN u UUID");
        s.execute(
            "UPDATE types_db.t SET ip = '2001:db8::ff00:42:8329', u = '123e4567-e89b-12d3-a456-426614174000' "
            "WHERE id = 2");
        s.execute(
            "UPDATE types_db.t SET ip = '::ffff:192.0.2.1', u = '00000000-0000-0000-0000-000000000000' WHERE id = 4");
    }
    // Last (ON UPDATE CURRENT_TIMESTAMP): columns with defaults hold values of long ago (a copy
    // that let the target fill them in would differ); the invisible column holds values a
    // SELECT * would not show.
    s.execute(
        "UPDATE types_db.t SET ts_now = '2001-02-03 04:05:06', dtm_now = '2001-02-03 04:05:06.123456', "
        "expr_default = CONCAT('row ', id), inv = CONCAT('hidden ', id) WHERE id <> 3");
    s.execute("UPDATE types_db.t SET ts_now = '1999-12-31 23:59:59', dtm_now = NULL, expr_default = NULL WHERE id = 3");
}

void checkSame() {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    auto a = hexRows(s, kDb, "t");
    auto b = hexRows(t, kDb, "t");
    REQUIRE(a.size() == 5);
    REQUIRE(b.size() == a.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
    // FLOAT and DOUBLE exactly, not just their printed forms; TIMESTAMP in another zone.
    for (auto* c : {&s, &t}) c->execute("SET time_zone = '-07:00'");
    auto exact = [](db::Connection& c) {
        return c
            .query(
                "SELECT id, CAST(f AS DOUBLE), d * 1, d = 0.30000000000000004, ts, UNIX_TIMESTAMP(ts), "
                "UNIX_TIMESTAMP(ts_now), j IS NULL FROM types_db.t ORDER BY id")
            .rows;
    };
    auto es = exact(s), et = exact(t);
    REQUIRE(es.size() == et.size());
    for (std::size_t i = 0; i < es.size(); ++i)
        for (std::size_t k = 0; k < es[i].size(); ++k)
            CHECK_MESSAGE(es[i][k] == et[i][k],
                          "row " << i << " column " << k << ": " << es[i][k].value_or("NULL") << " vs "
                                 << et[i][k].value_or("NULL"));
    auto d2 = t.scalar("SELECT d = 0.30000000000000004 FROM types_db.t WHERE id = 2");
    CHECK(d2 == std::optional<std::string>("1"));
    auto f2 = t.scalar("SELECT f = CAST(3.1415927 AS FLOAT) FROM types_db.t WHERE id = 2");
    CHECK(f2 == std::optional<std::string>("1"));
    // Generated columns are the target's own computation.
    CHECK(t.scalar("SELECT g_stored FROM types_db.t WHERE id = 2") == std::optional<std::string>("x!"));
    CHECK(t.scalar("SELECT g_virtual FROM types_db.t WHERE id = 2") == std::optional<std::string>("2147483648"));
    // The columns keep their definitions: invisible, generated, defaults.
    auto columns = [](db::Connection& c) {
        std::vector<std::string> out;
        for (auto& r : c.query("SELECT COLUMN_NAME, COLUMN_TYPE, EXTRA, COLUMN_DEFAULT, COLLATION_NAME FROM "
                               "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'types_db' AND TABLE_NAME = 't' "
                               "ORDER BY ORDINAL_POSITION")
                           .rows) {
            std::string line;
            for (auto& v : r) line += v.value_or("NULL") + "|";
            out.push_back(line);
        }
        return out;
    };
    CHECK(columns(s) == columns(t));
    if (source().isMySql()) {
        CHECK(t.scalar("SELECT VECTOR_TO_STRING(vec) FROM types_db.t WHERE id = 2") ==
              s.scalar("SELECT VECTOR_TO_STRING(vec) FROM types_db.t WHERE id = 2"));
        CHECK(t.scalar("SELECT JSON_TYPE(j) FROM types_db.t WHERE id = 5") == std::optional<std::string>("NULL"));
        CHECK(t.scalar("SELECT JSON_EXTRACT(j, '$.big') = 18446744073709551615 FROM types_db.t WHERE id = 1") ==
              std::optional<std::string>("1"));
    }
}

}  // namespace

TEST_CASE("every data type round-trips byte for byte in logical mode") {
    // A batch of a table's full statement size runs as a prepared statement (values bound as
    // bytes), a shorter one as a plain statement (values escaped inline): both must be exact.
    auto options = testOptions(2);
    SUBCASE("prepared statements") { options.batchBytes = 1; }      // one row per statement: all full
    SUBCASE("plain statements") { options.batchBytes = 1u << 30; }  // 2-row chunks: all shorter
    reset("types-logical", {});
    createTypes();
    target().connectRoot().execute("DROP DATABASE IF EXISTS types_db");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r = copy::runFullCopy(job("types-logical", {kDb}), sourceOptions(), targetOptions(), sink, stop, options);
    CHECK(r.rows == 5);
    checkSame();
    auto v = copy::verify(job("types-logical", {kDb}), sourceOptions(), targetOptions(), sink);
    CHECK(v.identical);
    for (auto& d : v.differences) MESSAGE(d.text());
}

TEST_CASE("every data type round-trips byte for byte in physical mode") {
    reset("types-physical", {});
    createTypes();
    target().connectRoot().execute("DROP DATABASE IF EXISTS types_db");
    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r = copy::runFullCopy(job("types-physical", {kDb}, api::FullMode::Physical), sourceOptions(), targetOptions(),
                               sink, stop, testOptions(2));
    CHECK(r.rows == 5);
    checkSame();
    auto v = copy::verify(job("types-physical", {kDb}), sourceOptions(), targetOptions(), sink);
    CHECK(v.identical);
    for (auto& d : v.differences) MESSAGE(d.text());
}

TEST_CASE("tables chunked on string and typed keys copy every row once, in both modes") {
    // Chunk boundaries are key literals compared the way the index orders them: a NO PAD
    // accent-insensitive collation (trailing spaces count), and per flavor MariaDB's UUID or
    // MySQL's VARBINARY holding every byte.
    const std::string collation = source().isMySql() ? "utf8mb4_0900_ai_ci" : "utf8mb4_uca1400_nopad_ai_ci";
    const std::string typed = source().isMySql() ? "VARBINARY(4)" : "UUID";
    for (auto mode : {api::FullMode::Logical, api::FullMode::Physical}) {
        CAPTURE(api::nameOf(mode));
        reset("string-keys", {"keys_db"});
        auto s = source().connectRoot();
        s.execute("CREATE DATABASE keys_db");
        s.execute("CREATE TABLE keys_db.s (k VARCHAR(20) CHARACTER SET utf8mb4 COLLATE " + collation +
                  " PRIMARY KEY, v INT)");
        int n = 0;
        for (const char* k : {"", " ", "a", "a ", "a  ", "b", "B\xC3\xA4r", "z", "\xC3\xBF", "\xE2\x82\xAC",
                              "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80 ", "zz", "~", "0", "00", "1 0"})
            s.execute("INSERT INTO keys_db.s VALUES (" + db::hexLiteral(k) + ", " + std::to_string(++n) + ")");
        s.execute("CREATE TABLE keys_db.u (k " + typed + " NOT NULL PRIMARY KEY, v INT)");
        for (int i = 0; i < 40; ++i) {
            std::string key;
            if (source().isMySql())
                key = db::hexLiteral(std::string(1, static_cast<char>(i * 6)) + std::string(i % 3, '\0'));
            else key = "UUID()";
            s.execute("INSERT INTO keys_db.u VALUES (" + key + ", " + std::to_string(i) + ")");
        }
        RecordingSink sink;
        std::atomic<bool> stop{false};
        auto r = copy::runFullCopy(job("string-keys", {"keys_db"}, mode), sourceOptions(), targetOptions(), sink, stop,
                                   testOptions(3));
        CHECK(r.rows == 17 + 40);
        auto t = target().connectRoot();
        for (const char* table : {"s", "u"}) {
            CHECK(count(t, std::string("keys_db.") + table) == count(s, std::string("keys_db.") + table));
            CHECK(hexRows(s, "keys_db", table) == hexRows(t, "keys_db", table));
        }
        auto chunks = t.scalar("SELECT COUNT(*) FROM tidemark_meta.copy_chunk WHERE job = 'string-keys' AND tbl = 's'");
        CHECK(std::stoi(chunks.value_or("0")) >= 5);
        CHECK(copy::verify(job("string-keys", {"keys_db"}), sourceOptions(), targetOptions(), sink, testOptions(3))
                  .identical);
    }
}
