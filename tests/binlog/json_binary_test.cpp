// MySQL binary JSON documents built by hand (layout: binlog-protocol-notes §3.3).
#include <doctest/doctest.h>

#include "runner/binlog/errors.h"
#include "runner/binlog/json_binary.h"
#include "event_builder.h"

using namespace tidemark::binlog;
using namespace tidemark::binlog::test;

TEST_CASE("JSON scalars") {
    CHECK(jsonBinaryToText(Bytes().u8(4).u8(0)) == "null");
    CHECK(jsonBinaryToText(Bytes().u8(4).u8(1)) == "true");
    CHECK(jsonBinaryToText(Bytes().u8(4).u8(2)) == "false");
    CHECK(jsonBinaryToText(Bytes().u8(5).u16(0xFFFF)) == "-1");
    CHECK(jsonBinaryToText(Bytes().u8(6).u16(0xFFFF)) == "65535");
    CHECK(jsonBinaryToText(Bytes().u8(7).u32(0x80000000)) == "-2147483648");
    CHECK(jsonBinaryToText(Bytes().u8(8).u32(0xFFFFFFFF)) == "4294967295");
    CHECK(jsonBinaryToText(Bytes().u8(9).u64(0x8000000000000000ULL)) == "-9223372036854775808");
    CHECK(jsonBinaryToText(Bytes().u8(10).u64(~0ULL)) == "18446744073709551615");
    CHECK(jsonBinaryToText(Bytes().u8(11).hex("000000000000F83F")) == "1.5");
    CHECK(jsonBinaryToText(Bytes().u8(11).hex("0000000000000040")) == "2.0");
    CHECK(jsonBinaryToText(Bytes().u8(12).u8(5).raw("h\"i\n\x01")) == "\"h\\\"i\\n\\u0001\"");
    CHECK(jsonBinaryToText(Bytes().u8(12).u8(4).raw("\xE2\x82\xAC!")) == "\"\xE2\x82\xAC!\"");
    CHECK(jsonBinaryToText("") == "null");
}

TEST_CASE("JSON string with a multi-byte varint length") {
    std::string s(200, 'x');
    CHECK(jsonBinaryToText(Bytes().u8(12).u8(0x80 | (200 & 0x7F)).u8(200 >> 7).raw(s)) == "\"" + s + "\"");
}

TEST_CASE("JSON small object with nested array, string and inline values") {
    // {"a": [1, true, "x"], "bb": null}
    // array (offset from array start): count 3, size, 3 value entries (3 bytes each), then "x".
    std::string array = Bytes().u16(3).u16(4 + 9 + 2).u8(5).u16(1).u8(4).u16(1).u8(12).u16(13).u8(1).raw("x");
    // object: count 2, size, key entries (4 bytes each) at 4, value entries (3 bytes) at 12,
    // keys at 18 ("a", "bb"), array at 21.
    size_t keysAt = 4 + 2 * 4 + 2 * 3, arrayAt = keysAt + 3;
    std::string obj = Bytes()
                          .u16(2)
                          .u16(arrayAt + array.size())
                          .u16(keysAt)
                          .u16(1)
                          .u16(keysAt + 1)
                          .u16(2)
                          .u8(2)
                          .u16(arrayAt)
                          .u8(4)
                          .u16(0)
                          .raw("abb")
                          .raw(array);
    CHECK(jsonBinaryToText(Bytes().u8(0).raw(obj)) == "{\"a\": [1, true, \"x\"], \"bb\": null}");
}

TEST_CASE("JSON large array: 4-byte offsets, int32 inline") {
    std::string arr = Bytes().u32(2).u32(8 + 10).u8(7).u32(0xFFFFFFFE).u8(4).u32(2);
    CHECK(jsonBinaryToText(Bytes().u8(3).raw(arr)) == "[-2, false]");
}

TEST_CASE("JSON opaque values: DECIMAL, DATETIME, TIME, DATE and others as base64") {
    // DECIMAL(4,2) 12.34 → precision, scale, binary decimal 0x8C 0x22.
    CHECK(jsonBinaryToText(Bytes().u8(15).u8(246).u8(4).u8(4).u8(2).hex("8C22")) == "12.34");
    // DATETIME 2024-01-02 03:04:05.000006: packed (ymdhms << 24) | 6.
    uint64_t ymd = ((2024ULL * 13 + 1) << 5) | 2, hms = (3 << 12) | (4 << 6) | 5;
    uint64_t packed = (((ymd << 17) | hms) << 24) | 6;
    CHECK(jsonBinaryToText(Bytes().u8(15).u8(12).u8(8).u64(packed)) == "\"2024-01-02 03:04:05.000006\"");
    CHECK(jsonBinaryToText(Bytes().u8(15).u8(10).u8(8).u64(packed)) == "\"2024-01-02\"");
    int64_t time = -static_cast<int64_t>((((1ULL << 12) | (2 << 6) | 3) << 24));
    CHECK(jsonBinaryToText(Bytes().u8(15).u8(11).u8(8).u64(static_cast<uint64_t>(time))) == "\"-01:02:03.000000\"");
    CHECK(jsonBinaryToText(Bytes().u8(15).u8(252).u8(3).raw("abc")) == "\"base64:type252:YWJj\"");
}

TEST_CASE("malformed JSON is a DecodeError, not a crash") {
    CHECK_THROWS_AS(jsonBinaryToText(Bytes().u8(0).u16(5).u16(100)), DecodeError);
    CHECK_THROWS_AS(jsonBinaryToText(Bytes().u8(12).u8(10).raw("abc")), DecodeError);
    CHECK_THROWS_AS(jsonBinaryToText(Bytes().u8(99)), DecodeError);
    CHECK_THROWS_AS(jsonBinaryToText(Bytes().u8(4).u8(7)), DecodeError);
}
