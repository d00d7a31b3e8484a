#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/binlog/byte_reader.h"
#include "event_builder.h"

using namespace tidemark::binlog;
using namespace tidemark::binlog::test;

namespace {
ByteReader reader(const std::string& s) { return ByteReader(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST_CASE("little- and big-endian integers, sign extension") {
    std::string s = Bytes().u16(0x1234).u24(0xFFFFFE).u32(0x89ABCDEF).u48(0x0000123456789AULL).hex("0102");
    ByteReader r = reader(s);
    CHECK(r.u16() == 0x1234);
    CHECK(r.intLE(3) == -2);
    CHECK(r.u32() == 0x89ABCDEF);
    CHECK(r.u48() == 0x123456789AULL);
    CHECK(r.uintBE(2) == 0x0102);
    CHECK(r.empty());
}

TEST_CASE("length-encoded integers at every width") {
    std::string s = Bytes().packed(250).packed(251).packed(0xFFFF).packed(0x10000).packed(0x1000000).packed(~0ULL);
    ByteReader r = reader(s);
    CHECK(r.packed() == 250);
    CHECK(r.packed() == 251);
    CHECK(r.packed() == 0xFFFF);
    CHECK(r.packed() == 0x10000);
    CHECK(r.packed() == 0x1000000);
    CHECK(r.packed() == ~0ULL);
    std::string bad = "\xFF";
    ByteReader b = reader(bad);
    CHECK_THROWS_AS(b.packed(), DecodeError);
}

TEST_CASE("reads past the end throw instead of overrunning") {
    std::string s = "abc";
    ByteReader r = reader(s);
    CHECK_THROWS_AS(r.u32(), DecodeError);
    CHECK(r.remaining() == 3);  // a failed read consumes nothing
    CHECK(r.bytes(3) == "abc");
    CHECK_THROWS_AS(r.u8(), DecodeError);
    std::string p = Bytes().packed(10).raw("short");
    ByteReader q = reader(p);
    CHECK_THROWS_AS(q.packedBytes(), DecodeError);
}
