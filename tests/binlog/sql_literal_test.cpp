// SQL literal rendering of every value kind.
#include <doctest/doctest.h>

#include <stdexcept>

#include "runner/binlog/sql_literal.h"

using namespace tidemark::binlog;

namespace {
Value make(Value::Kind k) {
    Value v;
    v.kind = k;
    return v;
}
}  // namespace

TEST_CASE("numbers, NULL and decimals") {
    CHECK(sqlLiteral(make(Value::Kind::Null)) == "NULL");
    Value i = make(Value::Kind::Int);
    i.i = INT64_MIN;
    CHECK(sqlLiteral(i) == "-9223372036854775808");
    Value d = make(Value::Kind::Double);
    d.d = 1e300;
    CHECK(std::stod(sqlLiteral(d)) == 1e300);
    d.d = 0.30000000000000004;
    CHECK(std::stod(sqlLiteral(d)) == 0.30000000000000004);
    Value f = make(Value::Kind::Float);
    f.f = 0.1f;
    CHECK(sqlLiteral(f) == "0.10000000149011612");  // widened: a FLOAT column compares as DOUBLE
    d.d = -0.0;
    CHECK(sqlLiteral(d) == "-0e0");
    f.f = -0.0f;
    CHECK(sqlLiteral(f) == "-0e0");
    Value dec = make(Value::Kind::Decimal);
    dec.text = "-0.50";
    CHECK(sqlLiteral(dec) == "-0.50");
}

TEST_CASE("temporal literals") {
    Value t = make(Value::Kind::Time);
    t.t.negative = true;
    t.t.hour = 838;
    t.t.minute = 59;
    t.t.second = 59;
    t.width = 6;
    CHECK(sqlLiteral(t) == "'-838:59:59.000000'");
    Value ts = make(Value::Kind::Timestamp);
    ts.i = 0;
    CHECK(sqlLiteral(ts) == "'0000-00-00 00:00:00'");
    ts.i = 2147483647;
    ts.width = 3;
    ts.t.micro = 999000;
    CHECK(sqlLiteral(ts) == "'2038-01-19 03:14:07.999'");
    CHECK(temporalText(ts) == "2038-01-19 03:14:07.999");
    Value date = make(Value::Kind::Date);
    CHECK(sqlLiteral(date) == "'0000-00-00'");
}

TEST_CASE("strings are quoted bytes with the charset introducer, unknown charset and binary are _binary") {
    Value s = make(Value::Kind::String);
    std::string text = std::string("it's \\ \"q\" \n\r\x1a\0 \xE2\x82\xAC", 19);
    s.setView(text);
    s.collation = 255;
    CHECK(sqlLiteral(s) == std::string("_utf8mb4'it\\'s \\\\ \"q\" \\n\\r\\Z\\0 \xE2\x82\xAC'"));
    s.collation = 0;
    CHECK(sqlLiteral(s) == std::string("_binary'it\\'s \\\\ \"q\" \\n\\r\\Z\\0 \xE2\x82\xAC'"));
    // GBK's second byte may be 0x5C: escaped like any other, as the session's client charset
    // (utf8mb4) never reads it as part of a character.
    std::string gbk = "\x95\x5C";
    s.setView(gbk);
    s.collation = 28;
    CHECK(sqlLiteral(s) == "_gbk'\x95\\\\'");
    Value b = make(Value::Kind::Bytes);
    b.setOwned(std::string("\0\xff", 2));
    CHECK(sqlLiteral(b) == "_binary'\\0\xff'");
    CHECK(sqlLiteral(make(Value::Kind::Bytes)) == "_binary''");
}

TEST_CASE("enum, set, bit, json and errors") {
    Value e = make(Value::Kind::Enum);
    e.u = 3;
    CHECK(sqlLiteral(e) == "3");
    Value j = make(Value::Kind::Json);
    j.text = "[1]";
    CHECK(sqlLiteral(j) == "CAST(_utf8mb4'[1]' AS JSON)");
    CHECK_THROWS_AS(sqlLiteral(make(Value::Kind::Missing)), std::invalid_argument);
    CHECK_THROWS_AS(sqlLiteral(make(Value::Kind::JsonDiff)), std::invalid_argument);
}
