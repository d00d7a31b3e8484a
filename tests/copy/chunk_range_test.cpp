// Chunk ranges as data, with no server: the stored form round-trips any bytes and names no
// collation, refuses what is not a stored range, and renders for the source with its own
// collations, for a TiDB target with the one mapping, and for a MySQL/MariaDB target with the
// source's; values that do not fit their column never reach SQL.
#include <doctest/doctest.h>

#include "runner/copy/chunk_range.h"
#include "runner/copy/full_copy.h"
#include "runner/db/dialect/collations.h"

#include <stdexcept>

using namespace tidemark;
using namespace tidemark::copy;

namespace {

Column text(const std::string& name, const std::string& charset, const std::string& collation) {
    return {name, "varchar", "varchar(20)", charset, collation, ValueKind::Text, false, false};
}

Column typed(const std::string& name, const std::string& dataType, ValueKind kind) {
    return {name, dataType, dataType, "", "", kind, false, false};
}

TableInfo table(std::vector<Column> columns, std::vector<std::size_t> key) {
    TableInfo t;
    t.db = "d";
    t.name = "t";
    t.columns = std::move(columns);
    t.key = std::move(key);
    t.keyName = "PRIMARY";
    return t;
}

const std::string kOdd("\0\xff'\\\"`\n \xe9", 10);  // NUL, 0xFF, quotes, backslash, newline, space, latin1 e-acute

}  // namespace

TEST_CASE("chunk ranges round-trip through their stored form, any bytes included") {
    const std::vector<ChunkRange> ranges = {
        {},
        {KeyValues{"5"}, std::nullopt},
        {std::nullopt, KeyValues{kOdd}},
        {KeyValues{""}, KeyValues{"\xf0\x9f\x98\x80"}},  // empty string and a 4-byte UTF-8 character
        {KeyValues{"-12.5e3", kOdd, "2024-02-29 23:59:59.999999"}, KeyValues{"7", "A", "2025-01-01"}},
    };
    for (auto& r : ranges) {
        const std::string stored = encodeRange(r);
        CHECK(decodeRange(stored) == r);
        // Only printable ASCII, and nothing of SQL: no collation, no introducer, no quote.
        for (unsigned char ch : stored) CHECK((ch >= 0x20 && ch < 0x7f));
        CHECK(stored.find("COLLATE") == std::string::npos);
        CHECK(stored.find("_latin1") == std::string::npos);
        CHECK(stored.find('\'') == std::string::npos);
    }
}

TEST_CASE("the stored form of a range is JSON with one hex string per key column and open ends left out") {
    CHECK(encodeRange({}) == "{}");
    CHECK(encodeRange({KeyValues{"ab"}, KeyValues{std::string("c\xff", 2)}}) ==
          R"({"after":["6162"],"through":["63ff"]})");
    CHECK(encodeRange({std::nullopt, KeyValues{"1", ""}}) == R"({"through":["31",""]})");
    CHECK(decodeRange(R"({"through":["6A6B"]})") == ChunkRange{std::nullopt, KeyValues{"jk"}});
}

TEST_CASE("text that is not a stored range is refused") {
    for (const char* bad : {"`id` > 5 AND `id` <= 10",  // a range as an earlier tidemark stored it
                            "", "[]", "null", R"({"after":["6"]})", R"({"after":["zz"]})", R"({"after":[]})",
                            R"({"after":[1]})", R"({"after":"61"})", R"({"from":["61"]})"})
        CHECK_THROWS_AS(decodeRange(bad), std::invalid_argument);
}

TEST_CASE("a range renders for the source with the source column's charset and collation") {
    auto t = table({text("k", "latin1", "latin1_swedish_ci")}, {0});
    const ChunkRange r{KeyValues{"a\xe9"}, KeyValues{"z"}};
    CHECK(renderRange(t, r, sourceKeySide(t)) ==
          "`k` > _latin1 X'61E9' COLLATE latin1_swedish_ci AND `k` <= _latin1 X'7A' COLLATE latin1_swedish_ci");
    CHECK(renderRange(t, {KeyValues{""}, std::nullopt}, sourceKeySide(t)) ==
          "`k` > _latin1 '' COLLATE latin1_swedish_ci");
    CHECK(renderRange(t, {}, sourceKeySide(t)).empty());
}

TEST_CASE("a range renders for a TiDB target with the one collation mapping, never the source's refused one") {
    auto t = table({text("k", "latin1", "latin1_swedish_ci")}, {0});
    const KeySide side = expectedTargetKeySide(t, true);
    const std::string mapped = db::dialect::tidbCollation("latin1_swedish_ci");
    REQUIRE(side.columns.size() == 1);
    CHECK(side.columns[0].collation == mapped);
    CHECK(side.columns[0].charset == db::dialect::tidbCharset("latin1"));
    CHECK(db::dialect::tidbHasCollation(mapped));
    const std::string where = renderRange(t, {KeyValues{"a\xe9"}, KeyValues{"z"}}, side);
    CHECK(where == "`k` > _latin1 X'61E9' COLLATE " + mapped + " AND `k` <= _latin1 X'7A' COLLATE " + mapped);
    CHECK(where.find("latin1_swedish_ci") == std::string::npos);
    // The mapped collation orders otherwise (case-sensitively): no range is trusted there.
    CHECK_FALSE(sameOrder(t, side));

    SUBCASE("utf8mb3 is spelled as TiDB spells it") {
        auto u = table({text("k", "utf8mb3", "utf8mb3_general_ci")}, {0});
        const KeySide s = expectedTargetKeySide(u, true);
        CHECK(s.columns[0].charset == db::dialect::tidbCharset("utf8mb3"));
        CHECK(s.columns[0].collation == db::dialect::tidbCollation("utf8mb3_general_ci"));
        CHECK(renderRange(u, {std::nullopt, KeyValues{"q"}}, s) ==
              "`k` <= _" + s.columns[0].charset + " X'71' COLLATE " + s.columns[0].collation);
    }
    SUBCASE("a MariaDB collation TiDB lacks goes through the mapping") {
        auto u = table({text("k", "utf8mb4", "utf8mb4_uca1400_ai_ci")}, {0});
        const KeySide s = expectedTargetKeySide(u, true);
        CHECK(s.columns[0].collation == db::dialect::tidbCollation("utf8mb4_uca1400_ai_ci"));
        CHECK(s.columns[0].collation != "utf8mb4_uca1400_ai_ci");
        CHECK_FALSE(sameOrder(u, s));
    }
    SUBCASE("a collation TiDB has keeps ranges") {
        for (const char* c : {"utf8mb4_bin", "utf8mb4_general_ci"}) {
            auto u = table({text("k", "utf8mb4", c)}, {0});
            const KeySide s = expectedTargetKeySide(u, true);
            CHECK(s.columns[0].collation == c);
            CHECK(sameOrder(u, s));
            CHECK(renderRange(u, {KeyValues{"a"}, std::nullopt}, s) ==
                  renderRange(u, {KeyValues{"a"}, std::nullopt}, sourceKeySide(u)));
        }
    }
}

TEST_CASE("a range renders for a MySQL or MariaDB target with the source's own collation") {
    auto t = table({text("k", "latin1", "latin1_swedish_ci"), typed("n", "int", ValueKind::Number)}, {0, 1});
    const KeySide side = expectedTargetKeySide(t, false);
    CHECK(side.columns[0].collation == "latin1_swedish_ci");
    CHECK(sameOrder(t, side));
    const ChunkRange r{KeyValues{kOdd, "3"}, KeyValues{"m", "-4"}};
    CHECK(renderRange(t, r, side) == renderRange(t, r, sourceKeySide(t)));
}

TEST_CASE("composite keys render lexicographically, each column with its side's collation") {
    auto t = table({typed("a", "int", ValueKind::Number), text("b`x", "latin1", "latin1_swedish_ci")}, {0, 1});
    const ChunkRange r{KeyValues{"5", "q"}, KeyValues{"9", "r"}};
    CHECK(renderRange(t, r, sourceKeySide(t)) ==
          "((`a` > 5) OR (`a` = 5 AND `b``x` > _latin1 X'71' COLLATE latin1_swedish_ci)) AND "
          "((`a` < 9) OR (`a` = 9 AND `b``x` <= _latin1 X'72' COLLATE latin1_swedish_ci))");
    const std::string mapped = db::dialect::tidbCollation("latin1_swedish_ci");
    CHECK(renderRange(t, r, expectedTargetKeySide(t, true)) ==
          "((`a` > 5) OR (`a` = 5 AND `b``x` > _latin1 X'71' COLLATE " + mapped +
              ")) AND ((`a` < 9) OR (`a` = 9 AND `b``x` <= _latin1 X'72' COLLATE " + mapped + "))");
}

TEST_CASE("numbers, temporal values, binary strings, BIT and ENUM keys render alike on every side") {
    auto t = table({typed("i", "bigint", ValueKind::Number), typed("d", "decimal", ValueKind::Number),
                    typed("f", "double", ValueKind::Number), typed("ts", "datetime", ValueKind::Temporal),
                    typed("bin", "varbinary", ValueKind::Binary), typed("b", "bit", ValueKind::Bit),
                    typed("e", "enum", ValueKind::EnumSet)},
                   {0, 1, 2, 3, 4, 5, 6});
    const ChunkRange r{std::nullopt,
                       KeyValues{"-9223372036854775808", "3.25", "-1.5e-7", "2024-01-02 03:04:05.5",
                                 std::string("\0\xff", 2), "5", "3"}};
    const std::string where = renderRange(t, r, sourceKeySide(t));
    CHECK(where.find("`i` < -9223372036854775808") != std::string::npos);
    CHECK(where.find("`d` = 3.25") != std::string::npos);
    CHECK(where.find("`f` = -1.5e-7") != std::string::npos);
    CHECK(where.find("`ts` = CAST(X'323032342D30312D30322030333A30343A30352E35' AS CHAR CHARACTER SET latin1)") !=
          std::string::npos);
    CHECK(where.find("`bin` = X'00FF'") != std::string::npos);
    CHECK(where.find("(`b` + 0) = 5") != std::string::npos);
    CHECK(where.find("(`e` + 0) <= 3") != std::string::npos);
    for (bool tidb : {true, false}) {
        CHECK(sameOrder(t, expectedTargetKeySide(t, tidb)));
        CHECK(renderRange(t, r, expectedTargetKeySide(t, tidb)) == where);
    }
    auto u = table({typed("u", "varbinary", ValueKind::Binary)}, {0});
    CHECK(renderRange(u, {KeyValues{""}, std::nullopt}, sourceKeySide(u)) == "`u` > ''");
}

TEST_CASE("a stored value that does not fit its column is refused, never written into SQL") {
    auto t = table({typed("n", "int", ValueKind::Number)}, {0});
    for (const char* bad : {"1; DROP TABLE x", "1 OR 1", "", "0x10", "1e", "--1"}) {
        CHECK_THROWS_AS(renderRange(t, {KeyValues{bad}, std::nullopt}, sourceKeySide(t)), CopyError);
    }
    auto b = table({typed("b", "bit", ValueKind::Bit)}, {0});
    CHECK_THROWS_AS(renderRange(b, {KeyValues{"-1"}, std::nullopt}, sourceKeySide(b)), CopyError);
    // A range with another number of values than the key has columns (the key changed).
    try {
        renderRange(t, {KeyValues{"1", "2"}, std::nullopt}, sourceKeySide(t));
        FAIL("a two-value range was rendered for a one-column key");
    } catch (const CopyError& e) {
        CHECK(std::string(e.what()).find("`d`.`t`") != std::string::npos);
        CHECK(std::string(e.what()).find("copy this table again") != std::string::npos);
    }
}

TEST_CASE("a target column in another charset gets the source's bytes converted") {
    auto t = table({text("k", "latin1", "latin1_swedish_ci")}, {0});
    KeySide side{{{"utf8mb4", "utf8mb4_bin", "varchar"}}};
    CHECK(renderRange(t, {KeyValues{"\xe9"}, std::nullopt}, side) ==
          "`k` > CONVERT(_latin1 X'E9' USING utf8mb4) COLLATE utf8mb4_bin");
    CHECK_FALSE(sameOrder(t, side));
}

TEST_CASE("sameOrder holds only when every key column compares alike on the target") {
    auto t = table({text("k", "utf8mb3", "utf8mb3_general_ci"), typed("n", "int", ValueKind::Number)}, {0, 1});
    CHECK(sameOrder(t, KeySide{{{"utf8", "utf8_general_ci", "varchar"}, {"", "", "int"}}}));
    CHECK(sameOrder(t, KeySide{{{"UTF8MB3", "UTF8MB3_GENERAL_CI", "varchar"}, {"", "", "bigint"}}}));
    CHECK_FALSE(sameOrder(t, KeySide{{{"utf8", "utf8_bin", "varchar"}, {"", "", "int"}}}));
    CHECK_FALSE(sameOrder(t, KeySide{{{"utf8mb4", "utf8mb4_general_ci", "varchar"}, {"", "", "int"}}}));
    CHECK_FALSE(sameOrder(t, KeySide{{{"utf8", "utf8_general_ci", "varchar"}}}));  // another key
    // MariaDB's UUID orders by its own rule; stored as text elsewhere, it orders otherwise.
    auto u = table({typed("u", "uuid", ValueKind::TextForm)}, {0});
    CHECK(sameOrder(u, KeySide{{{"", "", "uuid"}}}));
    CHECK_FALSE(sameOrder(u, KeySide{{{"ascii", "ascii_bin", "char"}}}));
    CHECK_FALSE(sameOrder(u, expectedTargetKeySide(u, true)));
}

TEST_CASE("exact keys render as an IN list on the target's collation") {
    auto t = table({text("k", "latin1", "latin1_swedish_ci")}, {0});
    KeySide bin{{{"latin1", "latin1_bin", "varchar"}}};
    CHECK(renderKeyIn(t, {KeyValues{"a"}, KeyValues{"B"}}, bin) ==
          "`k` IN (_latin1 X'61' COLLATE latin1_bin, _latin1 X'42' COLLATE latin1_bin)");
    auto c = table({typed("a", "int", ValueKind::Number), text("b", "latin1", "latin1_swedish_ci")}, {0, 1});
    KeySide cside{{{"", "", "int"}, {"latin1", "latin1_bin", "varchar"}}};
    CHECK(renderKeyIn(c, {KeyValues{"1", "x"}, KeyValues{"2", ""}}, cside) ==
          "(`a`, `b`) IN ((1, _latin1 X'78' COLLATE latin1_bin), (2, _latin1 '' COLLATE latin1_bin))");
    CHECK(renderKeyIn(c, {}, cside) == "FALSE");
}
