// toSql() and keepCondition(): the exact SQL each domain renders (the live test holds the
// server to the same truth table).
#include <doctest/doctest.h>

#include "tests/filter/values.h"

using namespace tidemark::filter;
using namespace tidemark::filter::testing;

namespace {
std::string sql(const std::string& text) { return toSql(bound(text)); }
}  // namespace

TEST_CASE("numbers_render_in_their_domain") {
    CHECK(sql("i = -7.50") == "(`i` = -7.5)");
    CHECK(sql("i <> TRUE") == "(`i` <> 1)");
    CHECK(sql("f >= 1.1") == "(`f` >= 1.1e0)");
    CHECK(sql("d < i") == "(`d` < `i`)");
    CHECK(sql("bt = 5") == "((`bt` + 0) = 5)");
    CHECK(sql("y IN (0, 2024, NULL)") == "(`y` IN (0, 2024, NULL))");
}

TEST_CASE("strings_render_as_binary_comparisons_of_hex_bytes") {
    CHECK(sql("s = 'it''s'") == "(CAST(`s` AS BINARY) = X'69742773')");
    CHECK(sql("l1 <> 'caf\xc3\xa9'") == "(CAST(`l1` AS BINARY) <> X'636166E9')");
    CHECK(sql("e NOT IN ('a', '')") == "(CAST(`e` AS BINARY) NOT IN (X'61', X''))");
    CHECK(sql("s LIKE '5!\\%_%'") == "(CAST(`s` AS BINARY) LIKE X'35212121255F25' ESCAPE '!')");
    CHECK(sql("vb NOT LIKE '%'") == "(CAST(`vb` AS BINARY) NOT LIKE X'25' ESCAPE '!')");
}

TEST_CASE("temporal_literals_render_in_full") {
    CHECK(sql("dt = '2024-02-29'") == "(`dt` = '2024-02-29')");
    CHECK(sql("dtm > '2024-02-29'") == "(`dtm` > '2024-02-29 00:00:00.000000')");
    CHECK(sql("ts BETWEEN '2024-01-01' AND '2024-01-01 12:00:00.5'") ==
          "((`ts` >= '2024-01-01 00:00:00.000000') AND (`ts` <= '2024-01-01 12:00:00.500000'))");
    CHECK(sql("tm NOT BETWEEN '-1:00:00' AND '100:00:00'") ==
          "(NOT ((`tm` >= '-01:00:00.000000') AND (`tm` <= '100:00:00.000000')))");
}

TEST_CASE("logic_renders_fully_parenthesized") {
    CHECK(sql("i = 1 OR i2 = 2 AND NOT j IS NULL") == "((`i` = 1) OR ((`i2` = 2) AND (NOT (`j` IS NULL))))");
    CHECK(sql("i IS NOT NULL && TRUE || NULL") == "(((`i` IS NOT NULL) AND TRUE) OR NULL)");
    CHECK(sql("NULL IS NULL") == "TRUE");
    CHECK(sql("'x' IS NULL") == "FALSE");
}

TEST_CASE("keep_condition_keeps_false_and_unknown_rows") {
    CHECK(keepCondition(bound("i = 1")) == "((`i` = 1) IS NOT TRUE)");
}

TEST_CASE("identifiers_are_quoted_by_the_callers_quoter") {
    CHECK(backQuoted("a`b") == "`a``b`");
    const auto qualified = [](std::string_view name) { return "t." + backQuoted(name); };
    CHECK(toSql(bound("`Mixed Case` = 1"), qualified) == "(t.`Mixed Case` = 1)");
}
