// The parser: what it understands (as canonical text) and how it says what it does not.
#include <doctest/doctest.h>

#include "runner/filter/row_expression.h"

using namespace tidemark::filter;

namespace {
std::string canonical(const std::string& text) { return parse(text).canonical(); }

std::string parseError(const std::string& text) {
    try {
        parse(text);
    } catch (const ExpressionError& e) {
        return e.what();
    }
    return "(parsed)";
}
}  // namespace

TEST_CASE("precedence_is_or_then_and_then_not") {
    CHECK(canonical("a = 1 OR b = 2 AND NOT c = 3") == "(`a` = 1 OR (`b` = 2 AND (NOT `c` = 3)))");
    CHECK(canonical("(a = 1 OR b = 2) AND c = 3") == "((`a` = 1 OR `b` = 2) AND `c` = 3)");
    CHECK(canonical("a = 1 and b = 2 and c = 3 or d = 4") == "((`a` = 1 AND `b` = 2 AND `c` = 3) OR `d` = 4)");
    CHECK(canonical("NOT NOT a = 1") == "(NOT (NOT `a` = 1))");
}

TEST_CASE("symbols_spell_and_or_not") {
    CHECK(canonical("a = 1 && b <> 2 || !c != 3") == "((`a` = 1 AND `b` <> 2) OR (NOT `c` <> 3))");
}

TEST_CASE("every_predicate_form_parses") {
    CHECK(canonical("x IS NULL") == "`x` IS NULL");
    CHECK(canonical("x is not null") == "`x` IS NOT NULL");
    CHECK(canonical("x IN (1, -2.50, 'a', NULL)") == "`x` IN (1, -2.5, 'a', NULL)");
    CHECK(canonical("x NOT IN (X'00ff')") == "`x` NOT IN (X'00FF')");
    CHECK(canonical("x BETWEEN 1 AND 2 AND y = 3") == "(`x` BETWEEN 1 AND 2 AND `y` = 3)");
    CHECK(canonical("x NOT BETWEEN '2024-01-01' AND '2024-12-31'") == "`x` NOT BETWEEN '2024-01-01' AND '2024-12-31'");
    CHECK(canonical("x NOT LIKE 'a\\_%'") == "`x` NOT LIKE 'a\\\\_%'");
    for (const char* op : {"=", "<>", "<", "<=", ">", ">="})
        CHECK(canonical(std::string("x ") + op + " y") == std::string("`x` ") + op + " `y`");
    CHECK(canonical("TRUE") == "TRUE");
    CHECK(canonical("false OR NULL") == "(FALSE OR NULL)");
    CHECK(canonical("x = TRUE") == "`x` = TRUE");
}

TEST_CASE("names_and_literals_are_read_as_sql_writes_them") {
    CHECK(canonical("`select` = 1") == "`select` = 1");
    CHECK(canonical("`a``b` = `c d`") == "`a``b` = `c d`");
    CHECK(canonical("_x$1 = 1") == "`_x$1` = 1");
    CHECK(canonical("x = -007.50") == "`x` = -7.5");
    CHECK(canonical("x = + .5") == "`x` = 0.5");
    CHECK(canonical("x = -0") == "`x` = 0");
    CHECK(canonical("x = 5.") == "`x` = 5");
    CHECK(canonical("x = 'it''s'") == "`x` = 'it''s'");
    CHECK(canonical("x = 'it\\'s\\n'") == "`x` = 'it''s\\n'");
    CHECK(canonical("x = ''") == "`x` = ''");
    CHECK(canonical("x = x''") == "`x` = X''");
    CHECK(parse(" x=1 ").text() == " x=1 ");
}

TEST_CASE("parse_errors_name_the_offset_and_the_problem") {
    CHECK(parseError("") == "at 0: the expression is empty");
    CHECK(parseError("   ") == "at 0: the expression is empty");
    CHECK(parseError("a = ") == "at 4: expected a column, a value, NOT or '(', found the end of the expression");
    CHECK(parseError("(a = 1") == "at 6: expected ')' to close the '(' at 0, found the end of the expression");
    CHECK(parseError("a = 1)") == "at 5: this ')' closes no '('");
    CHECK(parseError("a = 1 b = 2") == "at 6: expected AND, OR or the end of the expression, found 'b'");
    CHECK(parseError("price") ==
          "at 5: expected a comparison (=, <>, <, <=, >, >=, IS, IN, BETWEEN or LIKE) after price, found the end "
          "of the expression");
    CHECK(parseError("a + 1 = 2") ==
          "at 2: expected a comparison (=, <>, <, <=, >, >=, IS, IN, BETWEEN or LIKE) after a, found '+'");
    CHECK(parseError("a = 'x") == "at 4: this string has no closing '");
    CHECK(parseError("`a = 1") == "at 0: this back-quoted name has no closing `");
    CHECK(parseError("a = \"x\"") ==
          "at 4: \"...\" is not allowed: write strings in 'single quotes' and column names in `back-quotes`");
    CHECK(parseError("a IN 1") == "at 5: expected '(' after IN, found '1'");
    CHECK(parseError("a IN (1, 2") ==
          "at 10: expected ',' or ')' in the IN list opened at 5, found the end of the "
          "expression");
    CHECK(parseError("a BETWEEN 1 OR 2") == "at 12: expected AND in BETWEEN ... AND ..., found 'OR'");
    CHECK(parseError("a LIKE 5") == "at 7: expected a 'string' pattern after LIKE, found '5'");
    CHECK(parseError("a IS 5") == "at 5: expected NULL after IS, found '5'");
    CHECK(parseError("a IS NOT TRUE") == "at 9: expected NULL after IS NOT, found 'TRUE'");
    CHECK(parseError("a NOT 5") == "at 6: expected IN, BETWEEN or LIKE after NOT, found '5'");
    CHECK(parseError("a = 1e5") == "at 4: exponent notation is not supported: write the number out in full");
    CHECK(parseError("a = 12ab") ==
          "at 4: a number runs into a name here: back-quote a column whose name starts with a digit");
    CHECK(parseError("AND = 1") ==
          "at 0: expected a column or a value, found 'AND' (back-quote a column of that name)");
    CHECK(parseError("a = X'1'") == "at 4: X'...' needs an even number of hex digits");
    CHECK(parseError("a = X'zz'") == "at 6: X'...' holds a character that is not a hex digit");
    CHECK(parseError("a <=> 1") == "at 2: <=> is not supported: use = with IS NULL");
    CHECK(parseError("a = 1 * 2") == "at 6: arithmetic ('*') is not supported");
    CHECK(parseError("a = - b") == "at 4: a sign must come right before a number: arithmetic is not supported");
    CHECK(parseError("a = 1 ; drop") == "at 6: unexpected character ';'");
    CHECK(parseError("`` = 1") == "at 0: `` is not a column name");
}

TEST_CASE("limits_are_enforced") {
    const std::string deep = std::string(kMaxNesting + 1, '(') + "a = 1" + std::string(kMaxNesting + 1, ')');
    CHECK(parseError(deep) == "at 64: the expression nests deeper than 64 levels");
    const std::string fits = std::string(kMaxNesting, '(') + "a = 1" + std::string(kMaxNesting, ')');
    CHECK(parse(fits).canonical() == "`a` = 1");
    std::string nots;
    for (size_t i = 0; i <= kMaxNesting; ++i) nots += "NOT ";
    CHECK(parseError(nots + "a = 1") == "at 256: the expression nests deeper than 64 levels");

    CHECK(parseError("a = '" + std::string(kMaxExpressionLength, 'x') + "'") ==
          "at 8192: the expression is longer than 8192 bytes");

    std::string list = "a IN (0";
    for (size_t i = 1; i < kMaxListItems; ++i) list += "," + std::to_string(i % 10);
    CHECK_NOTHROW(parse(list + ")"));
    CHECK(parseError(list + ",1)") ==
          "at " + std::to_string(list.size() + 1) + ": an IN list holds at most 1000 items");

    CHECK_NOTHROW(parse("a = " + std::string(65, '9')));
    CHECK(parseError("a = " + std::string(66, '9')) ==
          "at 4: numbers have at most 65 digits, 30 of them after the point");
    CHECK(parseError("a = 0." + std::string(31, '1')) ==
          "at 4: numbers have at most 65 digits, 30 of them after the point");
}

TEST_CASE("expression_error_carries_its_offset") {
    try {
        parse("a = = 1");
        FAIL("parsed");
    } catch (const ExpressionError& e) {
        CHECK(e.offset() == 4);
    }
}
