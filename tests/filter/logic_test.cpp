// Three-valued logic: a row is filtered only when the whole expression is TRUE; NULL anywhere
// makes a comparison unknown, and unknown is neither TRUE nor FALSE to NOT, AND and OR.
#include <doctest/doctest.h>

#include <optional>

#include "tests/filter/values.h"

using namespace tidemark::filter;
using namespace tidemark::filter::testing;

namespace {
// matches() for a row with i and i2 set (NULL when nullopt).
bool rowMatches(const std::string& text, std::optional<int64_t> i, std::optional<int64_t> i2) {
    auto row = nullRow();
    if (i) row[columnIndex("i")] = intValue(*i);
    if (i2) row[columnIndex("i2")] = intValue(*i2);
    return matches(bound(text), row);
}
}  // namespace

TEST_CASE("comparisons_with_null_are_unknown_and_never_filter") {
    for (const char* text :
         {"i = 1", "i <> 1", "i < 1", "i >= 1", "NOT i = 1", "NOT i <> 1", "i = NULL", "NOT i = NULL", "NULL = NULL",
          "i IN (1, 2)", "i NOT IN (1, 2)", "i BETWEEN 0 AND 9", "i NOT BETWEEN 0 AND 9", "i = i2", "NOT i = i2"})
        CHECK_MESSAGE(!rowMatches(text, std::nullopt, 5), text);
    CHECK(rowMatches("i IS NULL", std::nullopt, 5));
    CHECK(!rowMatches("i IS NOT NULL", std::nullopt, 5));
    CHECK(rowMatches("i IS NOT NULL", 1, 5));
    CHECK(!rowMatches("i = i2", 5, std::nullopt));
}

TEST_CASE("and_or_not_follow_the_sql_truth_tables") {
    // i = 1 is TRUE for 1, FALSE for 2 and unknown for NULL; likewise i2 = 1.
    enum Truth { False, True, Unknown };
    const std::optional<int64_t> values[] = {1, 2, std::nullopt};
    const auto truth = [](std::optional<int64_t> v) { return !v ? Unknown : *v == 1 ? True : False; };
    for (auto a : values)
        for (auto b : values) {
            const Truth x = truth(a), y = truth(b);
            const Truth both = (x == False || y == False) ? False : (x == True && y == True) ? True : Unknown;
            const Truth either = (x == True || y == True) ? True : (x == False && y == False) ? False : Unknown;
            CAPTURE(a.value_or(-1));
            CAPTURE(b.value_or(-1));
            CHECK(rowMatches("i = 1 AND i2 = 1", a, b) == (both == True));
            CHECK(rowMatches("NOT (i = 1 AND i2 = 1)", a, b) == (both == False));
            CHECK(rowMatches("i = 1 OR i2 = 1", a, b) == (either == True));
            CHECK(rowMatches("NOT (i = 1 OR i2 = 1)", a, b) == (either == False));
        }
}

TEST_CASE("in_with_a_null_item_is_true_or_unknown_never_false") {
    CHECK(rowMatches("i IN (1, NULL)", 1, 0));
    CHECK(!rowMatches("i IN (1, NULL)", 2, 0));
    CHECK(!rowMatches("i NOT IN (1, NULL)", 2, 0));  // unknown: 2 <> NULL is unknown
    CHECK(!rowMatches("i NOT IN (1, NULL)", 1, 0));
    CHECK(rowMatches("i NOT IN (1, 3)", 2, 0));
    CHECK(rowMatches("i IN (i2, 7)", 7, 0));
    CHECK(rowMatches("i IN (i2, 7)", 4, 4));
}

TEST_CASE("between_includes_its_bounds_and_a_null_bound_is_unknown") {
    CHECK(rowMatches("i BETWEEN 1 AND 3", 1, 0));
    CHECK(rowMatches("i BETWEEN 1 AND 3", 3, 0));
    CHECK(!rowMatches("i BETWEEN 1 AND 3", 4, 0));
    CHECK(rowMatches("i NOT BETWEEN 1 AND 3", 4, 0));
    CHECK(!rowMatches("i BETWEEN 1 AND NULL", 2, 0));
    CHECK(!rowMatches("i NOT BETWEEN 1 AND NULL", 2, 0));
    CHECK(rowMatches("i NOT BETWEEN 1 AND NULL", 0, 0));  // 0 >= 1 is FALSE, so the range is FALSE
    CHECK(!rowMatches("i BETWEEN 3 AND 1", 2, 0));
}

TEST_CASE("constants_stand_alone") {
    CHECK(rowMatches("TRUE", 0, 0));
    CHECK(!rowMatches("FALSE", 0, 0));
    CHECK(!rowMatches("NULL", 0, 0));
    CHECK(!rowMatches("NOT NULL", 0, 0));
    CHECK(rowMatches("NULL OR TRUE", 0, 0));
    CHECK(!rowMatches("NULL AND TRUE", 0, 0));
    CHECK(rowMatches("NULL IS NULL", 0, 0));
    CHECK(!rowMatches("5 IS NULL", 0, 0));
    CHECK(rowMatches("1 = 1.0", 0, 0));
    CHECK(rowMatches("'a' < 'b'", 0, 0));
    CHECK(rowMatches("i = TRUE", 1, 0));
    CHECK(rowMatches("i = FALSE", 0, 0));
}

TEST_CASE("a_value_missing_from_the_image_is_an_error_naming_the_column") {
    auto row = nullRow();
    row[columnIndex("i")] = missing();
    CHECK_THROWS_WITH_AS(matches(bound("i2 = 1 OR i = 1"), row),
                         doctest::Contains("column `i` is not in the row image"), EvaluationError);
    CHECK_THROWS_AS(matches(bound("i IS NULL"), row), EvaluationError);
    // A column the expression does not read may be missing.
    CHECK(!matches(bound("i2 = 1"), row));
    CHECK(bound("i2 = 1 OR i IN (1, 2) OR i2 IS NULL").columnsUsed() == std::vector<size_t>{0, 21});
}

TEST_CASE("a_value_of_another_type_than_bound_is_an_error") {
    auto row = nullRow();
    row[columnIndex("i")] = bytesValue("5");
    CHECK_THROWS_WITH_AS(matches(bound("i = 5"), row), doctest::Contains("column `i` holds a"), EvaluationError);
    CHECK_THROWS_AS(matches(bound("i = 5"), std::vector<Value>{}), EvaluationError);
}
