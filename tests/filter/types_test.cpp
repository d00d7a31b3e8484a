// Each column family compared with its literals: exact numbers, doubles, bytes in the column's
// charset, ENUM labels, dates and times; and the types and comparisons bindToColumns() refuses.
#include <doctest/doctest.h>

#include <cfloat>

#include "tests/filter/values.h"

using namespace tidemark::filter;
using namespace tidemark::filter::testing;
using tidemark::binlog::Temporal;

namespace {
std::string bindError(const std::string& text) {
    try {
        bound(text);
    } catch (const ExpressionError& e) {
        return e.what();
    }
    return "(bound)";
}
}  // namespace

TEST_CASE("integers_compare_exactly_with_integer_and_decimal_literals") {
    CHECK(matchesWith("i = 1.0", "i", intValue(1)));
    CHECK(!matchesWith("i = 1.5", "i", intValue(1)));
    CHECK(matchesWith("i < 1.5", "i", intValue(1)));
    CHECK(matchesWith("i > -1.5", "i", intValue(-1)));
    CHECK(matchesWith("i = -9223372036854775808", "i", intValue(INT64_MIN)));
    CHECK(!matchesWith("i < -9223372036854775808", "i", intValue(INT64_MIN)));
    CHECK(matchesWith("u = 18446744073709551615", "u", unsignedValue(UINT64_MAX)));
    CHECK(!matchesWith("u = 18446744073709551614", "u", unsignedValue(UINT64_MAX)));
    CHECK(matchesWith("u > -1", "u", unsignedValue(0)));
    CHECK(matchesWith("u < 99999999999999999999999", "u", unsignedValue(UINT64_MAX)));
}

TEST_CASE("decimals_compare_exactly_whatever_their_scale") {
    CHECK(matchesWith("de = -0.5", "de", decimalValue("-0.50")));
    CHECK(matchesWith("de = 0", "de", decimalValue("-0.000")));
    CHECK(matchesWith("de < -12.29", "de", decimalValue("-12.300")));
    CHECK(!matchesWith("de > -12.3", "de", decimalValue("-12.300")));
    CHECK(matchesWith("de = 12345678901234567890.123456", "de", decimalValue("12345678901234567890.123456")));
    CHECK(!matchesWith("de = 12345678901234567890.123457", "de", decimalValue("12345678901234567890.123456")));
    CHECK(matchesWith("de BETWEEN 0.1 AND 0.2", "de", decimalValue("0.10")));
}

TEST_CASE("floats_and_doubles_compare_as_doubles") {
    CHECK(matchesWith("f = 1.5", "f", floatValue(1.5f)));
    CHECK(!matchesWith("f = 1.1", "f", floatValue(1.1f)));  // 1.1f is 1.10000002384185791015625
    CHECK(matchesWith("f > 1.1", "f", floatValue(1.1f)));
    CHECK(matchesWith("d = 1.1", "d", doubleValue(1.1)));
    CHECK(matchesWith("d < -2.2", "d", doubleValue(-2.25)));
    CHECK(matchesWith("d > 1", "d", doubleValue(DBL_MAX)));
    CHECK(matchesWith("d = i", "d", doubleValue(0)) == false);  // i is NULL
    auto row = nullRow();
    row[columnIndex("d")] = doubleValue(3);
    row[columnIndex("i")] = intValue(3);
    CHECK(matches(bound("d = i"), row));
    CHECK(matches(bound("i >= d AND f IS NULL"), row));
}

TEST_CASE("bit_and_year_are_numbers") {
    CHECK(matchesWith("bt = 5", "bt", unsignedValue(5, Value::Kind::Bit)));
    CHECK(matchesWith("bt > 4.5", "bt", unsignedValue(5, Value::Kind::Bit)));
    CHECK(matchesWith("y = 2024", "y", unsignedValue(2024, Value::Kind::Year)));
    CHECK(matchesWith("y = 0", "y", unsignedValue(0, Value::Kind::Year)));
    CHECK(matchesWith("y BETWEEN 1901 AND 2155", "y", unsignedValue(1901, Value::Kind::Year)));
    CHECK(bindError("y = 24") == "at 4: a YEAR compares with 0 or a year from 1901 to 2155");
    CHECK(bindError("y > 1900") == "at 4: a YEAR compares with 0 or a year from 1901 to 2155");
    CHECK(bindError("y = 2024.5") == "at 4: a YEAR compares with 0 or a year from 1901 to 2155");
}

TEST_CASE("strings_compare_byte_for_byte") {
    CHECK(matchesWith("s = 'abc'", "s", bytesValue("abc")));
    CHECK(!matchesWith("s = 'ABC'", "s", bytesValue("abc")));   // no collation: case counts
    CHECK(!matchesWith("s = 'abc'", "s", bytesValue("abc ")));  // trailing spaces count
    CHECK(matchesWith("s < 'abd'", "s", bytesValue("abc")));
    CHECK(matchesWith("s < 'abca'", "s", bytesValue("abc")));
    CHECK(matchesWith("s > 'abc'", "s", bytesValue("\xc3\xa9")));  // bytes are unsigned
    CHECK(matchesWith("s = 'caf\xc3\xa9 \xe2\x9c\x93'", "s", bytesValue("caf\xc3\xa9 \xe2\x9c\x93")));
    CHECK(matchesWith("s = ''", "s", bytesValue("")));
    CHECK(matchesWith("s = X'00ff'", "s", bytesValue(std::string("\0\xff", 2))));
    CHECK(matchesWith("vb = 'it''s'", "vb", bytesValue("it's", Value::Kind::Bytes)));
    CHECK(matchesWith("vb = X'000102'", "vb", bytesValue(std::string("\0\1\2", 3), Value::Kind::Bytes)));
}

TEST_CASE("string_literals_take_the_column_charset") {
    CHECK(matchesWith("l1 = 'caf\xc3\xa9'", "l1", bytesValue("caf\xe9")));
    CHECK(matchesWith("l1 = '\xe2\x82\xac'", "l1", bytesValue("\x80")));  // the euro sign is 0x80 in latin1
    CHECK(!matchesWith("l1 = 'caf\xc3\xa9'", "l1", bytesValue("caf\xc3\xa9")));
    CHECK(bindError("l1 = '\xe2\x9c\x93'") ==
          "at 5: this string cannot be compared with the column: the literal holds a character that latin1 cannot "
          "store");
    CHECK(matchesWith("a = 'plain'", "a", bytesValue("plain")));
    CHECK(bindError("a = 'caf\xc3\xa9'") ==
          "at 4: this string cannot be compared with the column: its charset is ascii, so only ASCII text literals "
          "compare with it; write other bytes as X'...'");
    CHECK(bindError("u16 = 'a'") ==
          "at 6: this string cannot be compared with the column: its charset is utf16, "
          "whose bytes no text literal has; write the bytes as X'...'");
    CHECK(matchesWith("u16 = X'0061'", "u16", bytesValue(std::string("\0a", 2))));
}

TEST_CASE("like_matches_bytes_with_percent_underscore_and_escapes") {
    CHECK(matchesWith("s LIKE 'ab%'", "s", bytesValue("abc")));
    CHECK(matchesWith("s LIKE '%'", "s", bytesValue("")));
    CHECK(matchesWith("s LIKE 'a_c'", "s", bytesValue("abc")));
    CHECK(!matchesWith("s LIKE 'a_c'", "s", bytesValue("ac")));
    CHECK(!matchesWith("s LIKE 'A%'", "s", bytesValue("abc")));
    CHECK(matchesWith("s LIKE '%b%b%'", "s", bytesValue("abxbyb")));
    CHECK(!matchesWith("s LIKE '%b%c'", "s", bytesValue("abxbyb")));
    CHECK(matchesWith("s LIKE '50\\%'", "s", bytesValue("50%")));
    CHECK(!matchesWith("s LIKE '50\\%'", "s", bytesValue("500")));
    // As in MySQL, the literal undoes one level of backslashes and LIKE another.
    CHECK(matchesWith("s LIKE 'a\\\\b'", "s", bytesValue("ab")));
    CHECK(matchesWith("s LIKE 'a\\\\\\\\b'", "s", bytesValue("a\\b")));
    CHECK(matchesWith("s LIKE 'x\\_y'", "s", bytesValue("x_y")));
    CHECK(!matchesWith("s LIKE 'x\\_y'", "s", bytesValue("xzy")));
    CHECK(matchesWith("s LIKE 'trailing\\\\'", "s", bytesValue("trailing\\")));
    CHECK(!matchesWith("s LIKE '_'", "s", bytesValue("\xc3\xa9")));  // one character, two bytes
    CHECK(matchesWith("s LIKE '__'", "s", bytesValue("\xc3\xa9")));
    CHECK(matchesWith("l1 LIKE 'caf\xc3\xa9%'", "l1", bytesValue("caf\xe9s")));
    CHECK(matchesWith("s NOT LIKE 'x%'", "s", bytesValue("abc")));
    CHECK(!matchesWith("s NOT LIKE 'x%'", "s", nullValue()));
    CHECK(matchesWith("e LIKE 'me%'", "e", enumValue(2, "medium")));
    CHECK(bindError("i LIKE '1%'") == "at 0: LIKE compares strings, and column `i` is int");
}

TEST_CASE("enums_compare_by_label") {
    CHECK(matchesWith("e = 'medium'", "e", enumValue(2, "medium")));
    CHECK(!matchesWith("e = 'Medium'", "e", enumValue(2, "medium")));
    CHECK(matchesWith("e IN ('small', 'medium')", "e", enumValue(2, "medium")));
    CHECK(matchesWith("e = ''", "e", enumValue(0, "")));  // the '' error value
    CHECK(bindError("e = 2") == "at 4: a string is compared here: write a 'string', not a number");
}

TEST_CASE("dates_and_datetimes_compare_with_their_literals") {
    const Value day = temporalValue(Value::Kind::Date, Temporal{.year = 2024, .month = 2, .day = 29});
    CHECK(matchesWith("dt = '2024-02-29'", "dt", day));
    CHECK(matchesWith("dt > '2024-02-28'", "dt", day));
    CHECK(matchesWith("dt BETWEEN '2024-01-01' AND '2024-12-31'", "dt", day));
    CHECK(matchesWith("dt > '0000-00-00'", "dt", day));
    CHECK(matchesWith("dt = '0000-00-00'", "dt", temporalValue(Value::Kind::Date, Temporal{})));
    // What a non-strict source holds still orders as MySQL orders it.
    CHECK(matchesWith("dt < '2021-03-01'", "dt",
                      temporalValue(Value::Kind::Date, Temporal{.year = 2021, .month = 2, .day = 30})));

    const Value moment = temporalValue(
        Value::Kind::DateTime,
        Temporal{.year = 2024, .month = 1, .day = 2, .hour = 3, .minute = 4, .second = 5, .micro = 123000});
    CHECK(matchesWith("dtm = '2024-01-02 03:04:05.123'", "dtm", moment));
    CHECK(matchesWith("dtm = '2024-01-02 03:04:05.123000'", "dtm", moment));
    CHECK(!matchesWith("dtm = '2024-01-02 03:04:05'", "dtm", moment));
    CHECK(matchesWith("dtm > '2024-01-02'", "dtm", moment));
    CHECK(matchesWith("dtm < '2024-01-03'", "dtm", moment));

    CHECK(bindError("dt = '2024-02-30'") ==
          "at 5: a date is compared here: write it as 'YYYY-MM-DD', a real date or 0000-00-00");
    CHECK(bindError("dt = '2024-02-28 10:00:00'") ==
          "at 5: a date is compared here: write it as 'YYYY-MM-DD', a real date or 0000-00-00");
    CHECK(bindError("dtm = '2024-1-2'") ==
          "at 6: a date is compared here: write it as "
          "'YYYY-MM-DD[ hh:mm:ss[.ffffff]]', a real date or 0000-00-00");
    CHECK(bindError("dtm = 20240102") ==
          "at 6: a date is compared here: write it as "
          "'YYYY-MM-DD[ hh:mm:ss[.ffffff]]'");
    CHECK(bindError("dtm = '2024-01-02 24:00:00'").find("at 6: a date") == 0);
    CHECK(bindError("dtm = '2024-01-02 10:00:00.1234567'").find("at 6: a date") == 0);
}

TEST_CASE("timestamps_compare_as_utc_wall_clock_time") {
    CHECK(matchesWith("ts = '2024-01-02 03:04:05'", "ts", timestampValue(1704164645)));
    CHECK(matchesWith("ts = '2024-01-02 03:04:05.5'", "ts", timestampValue(1704164645, 500000)));
    CHECK(matchesWith("ts = '1970-01-02 00:00:01'", "ts", timestampValue(86401)));
    CHECK(matchesWith("ts = '2038-01-19 03:14:07'", "ts", timestampValue(2147483647)));
    CHECK(matchesWith("ts = '0000-00-00 00:00:00'", "ts", timestampValue(0)));
    CHECK(matchesWith("ts < '1970-01-01 00:00:01'", "ts", timestampValue(0)));
    CHECK(matchesWith("ts >= '2024-01-02'", "ts", timestampValue(1704164645)));
}

TEST_CASE("times_compare_as_signed_lengths") {
    const Value negative =
        temporalValue(Value::Kind::Time, Temporal{.hour = 838, .minute = 59, .second = 59, .negative = true});
    CHECK(matchesWith("tm = '-838:59:59'", "tm", negative));
    CHECK(matchesWith("tm < '-01:00:00'", "tm", negative));
    CHECK(matchesWith("tm < '00:00:00'", "tm", negative));
    const Value later = temporalValue(Value::Kind::Time, Temporal{.hour = 100, .minute = 0, .second = 0, .micro = 5});
    CHECK(matchesWith("tm > '99:59:59.999999'", "tm", later));
    CHECK(matchesWith("tm = '100:00:00.000005'", "tm", later));
    CHECK(bindError("tm = '839:00:00'") == "at 5: a time is compared here: write it as '[-]hh:mm:ss[.ffffff]'");
    CHECK(bindError("tm = '10:60:00'") == "at 5: a time is compared here: write it as '[-]hh:mm:ss[.ffffff]'");
}

TEST_CASE("bind_refuses_what_it_cannot_compare_exactly") {
    CHECK(bindError("nope = 1") == "at 0: no column `nope` in this table");
    CHECK(bindError("i = 1 OR `I 2` = 1") == "at 9: no column `I 2` in this table");
    CHECK(bindError("j = '{}'") ==
          "at 0: column `j` is json: row filters compare numbers, strings, ENUMs, dates "
          "and times only (IS NULL works on any column)");
    CHECK(bindError("st = 'a'").find("at 0: column `st` is set:") == 0);
    CHECK(bindError("g = X'00'").find("at 0: column `g` is geometry:") == 0);
    CHECK(bindError("v = X'00'").find("at 0: column `v` is vector:") == 0);
    CHECK(bindError("i = 'x'") == "at 4: a number is compared here: write a number, not a string");
    CHECK(bindError("s = 5") == "at 4: a string is compared here: write a 'string', not a number");
    CHECK(bindError("s = i") == "at 4: column `i` (int) cannot be compared with column `s` (varchar)");
    CHECK(bindError("dt = dtm") == "at 5: column `dtm` (datetime) cannot be compared with column `dt` (date)");
    CHECK(bindError("tm = '2024-01-01'") == "at 5: a time is compared here: write it as '[-]hh:mm:ss[.ffffff]'");
    CHECK(bindError("'a' = 5") == "at 6: a string is compared here: write a 'string', not a number");
    // IS NULL reads no value, so it works on every column.
    CHECK(matchesWith("j IS NULL", "j", nullValue()));
    CHECK(!matchesWith("g IS NULL", "g", bytesValue("x", Value::Kind::Geometry)));
}

TEST_CASE("columns_match_by_exact_name_then_ignoring_case") {
    CHECK(matchesWith("`mixed case` = 3", "Mixed Case", intValue(3)));
    CHECK(matchesWith("I = 3", "i", intValue(3)));
    CHECK(bound("`MIXED CASE` = 1").columnsUsed() == std::vector<size_t>{columnIndex("Mixed Case")});
}
