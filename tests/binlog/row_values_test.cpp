// Every column type through TABLE_MAP + WRITE_ROWS, with byte layouts computed by hand from
// the MySQL encodings (see binlog-protocol-notes §3.1).
#include <doctest/doctest.h>

#include <zlib.h>

#include "runner/binlog/sql_literal.h"
#include "event_builder.h"

using namespace tidemark::binlog;
using namespace tidemark::binlog::test;

namespace {

// Optional TABLE_MAP metadata block: u8 type, packed length, value.
std::string meta(uint8_t type, std::string_view value) { return Bytes().u8(type).packedStr(value); }

struct Decoded {
    std::vector<Event> events;  // keeps the buffers the value aliases alive
    const Value& value(size_t column = 0) const { return events.at(0).as<RowsEvent>()->rows.at(0).after.at(column); }
    const TableMap& table() const { return *events.at(0).as<RowsEvent>()->table; }
};

// One row of a table with the given columns, all non-NULL, `values` = their encodings.
Decoded decodeRow(const std::vector<ColumnSpec>& columns, std::string_view values, std::string_view optionalMeta = {},
                  const SchemaHints* hints = nullptr) {
    EventDecoder d(DecoderOptions{.hints = hints});
    decodeAll(d, mysqlFde(false), 4);
    decodeAll(d, makeEvent(19, tableMapBody(5, "db", "t", columns, optionalMeta)));
    std::string rows = Bytes().raw(std::string((columns.size() + 7) / 8, '\0')).raw(values);
    Decoded out;
    out.events = decodeAll(d, makeEvent(30, rowsBody(2, 5, 1, columns.size(), allSet(columns.size()), nullptr, rows)));
    return out;
}

Decoded one(uint8_t type, std::string_view metaBytes, std::string_view value, std::string_view optionalMeta = {}) {
    return decodeRow({{type, std::string(metaBytes)}}, value, optionalMeta);
}

constexpr uint8_t kTiny = 1, kShort = 2, kLong = 3, kFloat = 4, kDouble = 5, kTimestamp = 7, kLongLong = 8, kInt24 = 9,
                  kDate = 10, kTime = 11, kDateTime = 12, kYear = 13, kVarchar = 15, kBit = 16, kTimestamp2 = 17,
                  kDateTime2 = 18, kTime2 = 19, kJson = 245, kNewDecimal = 246, kBlob = 252, kString = 254,
                  kGeometry = 255, kVarcharCompressed = 141;

std::string hex(std::string_view h) { return Bytes().hex(h); }

}  // namespace

TEST_CASE("integers: signed by default, unsigned from SIGNEDNESS metadata (MSB-first over numeric columns)") {
    std::vector<ColumnSpec> cols = {{kTiny, ""}, {kShort, ""},    {kInt24, ""},
                                    {kLong, ""}, {kLongLong, ""}, {kVarchar, Bytes().u16(10)},
                                    {kYear, ""}};
    std::string values = Bytes().u8(0xFF).u16(0x8000).u24(0xFFFFFF).u32(0x80000000).u64(~0ULL).u8(1).raw("x").u8(124);
    auto s = decodeRow(cols, values);
    CHECK(s.value(0).kind == Value::Kind::Int);
    CHECK(s.value(0).i == -1);
    CHECK(s.value(1).i == -32768);
    CHECK(s.value(2).i == -1);
    CHECK(s.value(3).i == -2147483648LL);
    CHECK(s.value(4).i == -1);
    CHECK(s.value(6).u == 2024);

    // Numeric columns: tiny, short, int24, long, longlong, year → bits 0..5; mark tiny, int24,
    // longlong unsigned: 1010 1000.
    auto u = decodeRow(cols, values, meta(1, "\xA8"));
    CHECK(u.table().hasOptionalMetadata);
    CHECK(u.value(0).kind == Value::Kind::UInt);
    CHECK(u.value(0).u == 255);
    CHECK(u.value(1).kind == Value::Kind::Int);
    CHECK(u.value(2).u == 16777215);
    CHECK(u.value(4).u == 18446744073709551615ULL);
    CHECK(sqlLiteral(u.value(4)) == "18446744073709551615");
    CHECK(sqlLiteral(s.value(3)) == "-2147483648");
}

namespace {
struct Hints : SchemaHints {
    TableHint t;
    const TableHint* lookup(std::string_view db, std::string_view table) const override {
        return db == "db" && table == "t" ? &t : nullptr;
    }
};
}  // namespace

TEST_CASE("schema hints fill signedness, charset and enum labels when the TABLE_MAP has no metadata") {
    Hints h;
    h.t.columns.resize(3);
    h.t.columns[0].isUnsigned = true;
    h.t.columns[0].name = "id";
    h.t.columns[1].charset = "latin1";
    h.t.columns[2].enumValues = {"small", "large"};
    std::vector<ColumnSpec> cols = {{kLong, ""}, {kVarchar, Bytes().u16(20)}, {kString, hex("F7 01")}};
    auto d = decodeRow(cols, Bytes().u32(0xFFFFFFFF).u8(2).raw("\xE9t").u8(2), {}, &h);
    CHECK(d.value(0).u == 4294967295u);
    CHECK(d.table().columns[0].name == "id");
    CHECK(d.value(1).collation == 8);
    CHECK(sqlLiteral(d.value(1)) == "_latin1'\xE9t'");
    CHECK(d.value(2).data() == "large");

    // Metadata wins over a contradicting hint.
    auto m = decodeRow(cols, Bytes().u32(0xFFFFFFFF).u8(2).raw("\xE9t").u8(2),
                       meta(1, std::string(1, '\0')) + meta(3, "\x2D"), &h);
    CHECK(m.value(0).kind == Value::Kind::Int);
    CHECK(m.value(1).collation == 45);
}

TEST_CASE("FLOAT and DOUBLE keep the exact IEEE value") {
    auto f = one(kFloat, "\x04", hex("0000c03f"));
    CHECK(f.value().kind == Value::Kind::Float);
    CHECK(f.value().f == 1.5f);
    CHECK(sqlLiteral(f.value()) == "1.5");
    auto d = one(kDouble, "\x08", hex("9a9999999999b93f"));
    CHECK(d.value().d == 0.1);
    CHECK(sqlLiteral(d.value()) == "0.1");
}

TEST_CASE("NEWDECIMAL: exact digits, sign, leading/trailing groups") {
    auto dec = [](uint8_t p, uint8_t s, std::string_view bytes) {
        return one(kNewDecimal, Bytes().u8(p).u8(s), hex(bytes)).value().text;
    };
    // MySQL manual example: DECIMAL(14,4) 1234567890.1234.
    CHECK(dec(14, 4, "81 0D FB 38 D2 04 D2") == "1234567890.1234");
    CHECK(dec(14, 4, "7E F2 04 C7 2D FB 2D") == "-1234567890.1234");
    CHECK(dec(5, 2, "80 14 63") == "20.99");
    CHECK(dec(4, 2, "7F 9C") == "-0.99");
    CHECK(dec(10, 0, "80 00 00 00 00") == "0");
    CHECK(dec(20, 10, "80 00 00 00 01 1D CD 65 00 00") == "1.5000000000");
    CHECK(dec(4, 2, "80 05") == "0.05");
    auto v = one(kNewDecimal, Bytes().u8(5).u8(2), hex("80 14 63"));
    CHECK(v.value().kind == Value::Kind::Decimal);
    CHECK(sqlLiteral(v.value()) == "20.99");
}

TEST_CASE("YEAR, DATE (incl. zero and partial-zero dates), old TIME and DATETIME") {
    CHECK(one(kYear, "", std::string(1, '\0')).value().u == 0);
    CHECK(sqlLiteral(one(kYear, "", "\x7A").value()) == "2022");
    auto date = one(kDate, "", hex("22d00f"));
    CHECK(date.value().kind == Value::Kind::Date);
    CHECK(sqlLiteral(date.value()) == "'2024-01-02'");
    CHECK(sqlLiteral(one(kDate, "", hex("000000")).value()) == "'0000-00-00'");
    CHECK(sqlLiteral(one(kDate, "", Bytes().u24(2024u << 9)).value()) == "'2024-00-00'");
    CHECK(sqlLiteral(one(kTime, "", hex("c01dfe")).value()) == "'-12:34:56'");
    CHECK(sqlLiteral(one(kDateTime, "", hex("457c178468120000")).value()) == "'2024-01-02 03:04:05'");
    CHECK(sqlLiteral(one(kTimestamp, "", Bytes().u32(1700000000)).value()) == "'2023-11-14 22:13:20'");
}

TEST_CASE("TIME2: range limits, negative values and negative fractions") {
    CHECK(sqlLiteral(one(kTime2, std::string(1, '\0'), hex("b46efb")).value()) == "'838:59:59'");
    auto neg = one(kTime2, std::string(1, '\0'), hex("4b9105"));
    CHECK(neg.value().t.negative);
    CHECK(sqlLiteral(neg.value()) == "'-838:59:59'");
    CHECK(sqlLiteral(one(kTime2, "\x06", hex("7ffffef85ee0")).value()) == "'-00:00:01.500000'");
    // fsp 2: int part -2 and fraction byte 0xCE (-50) mean -1.50 s.
    CHECK(sqlLiteral(one(kTime2, "\x02", hex("7ffffe ce")).value()) == "'-00:00:01.50'");
    // fsp 4: 00:00:01.2345 → int 1, fraction 2345 (BE u16).
    CHECK(sqlLiteral(one(kTime2, "\x04", hex("800001 0929")).value()) == "'00:00:01.2345'");
}

TEST_CASE("DATETIME2 with fractions and zero datetime, TIMESTAMP2 as epoch seconds, rendered in UTC") {
    auto dt = one(kDateTime2, std::string(1, '\0'), hex("99b2443105"));
    CHECK(dt.value().kind == Value::Kind::DateTime);
    CHECK(sqlLiteral(dt.value()) == "'2024-01-02 03:04:05'");
    CHECK(sqlLiteral(one(kDateTime2, "\x03", hex("99b2443105 04ce")).value()) == "'2024-01-02 03:04:05.123'");
    CHECK(sqlLiteral(one(kDateTime2, "\x01", hex("99b2443105 0a")).value()) == "'2024-01-02 03:04:05.1'");
    CHECK(sqlLiteral(one(kDateTime2, "\x06", hex("fef3ff7efb 0f423f")).value()) == "'9999-12-31 23:59:59.999999'");
    CHECK(sqlLiteral(one(kDateTime2, std::string(1, '\0'), hex("8000000000")).value()) == "'0000-00-00 00:00:00'");
    CHECK(sqlLiteral(one(kDateTime2, std::string(1, '\0'), hex("99b2000000")).value()) == "'2024-00-00 00:00:00'");

    auto ts = one(kTimestamp2, "\x06", hex("6553f100 01e240"));
    CHECK(ts.value().kind == Value::Kind::Timestamp);
    CHECK(ts.value().i == 1700000000);
    CHECK(ts.value().t.micro == 123456);
    CHECK(sqlLiteral(ts.value()) == "'2023-11-14 22:13:20.123456'");
    CHECK(sqlLiteral(one(kTimestamp2, std::string(1, '\0'), hex("00000000")).value()) == "'0000-00-00 00:00:00'");
    CHECK(sqlLiteral(one(kTimestamp2, "\x02", hex("00000000 00")).value()) == "'0000-00-00 00:00:00.00'");
}

TEST_CASE("VARCHAR with 1- and 2-byte length prefixes, CHAR over 255 bytes (type bits in metadata)") {
    std::string longText(300, 'q');
    auto v = one(kVarchar, Bytes().u16(1200), Bytes().u16(longText.size()).raw(longText));
    CHECK(v.value().data() == longText);
    // CHAR(255) utf8mb4 = 1020 bytes: real type 0xFE, length 0x3FC → meta bytes CE FC.
    std::string chars(700, 'c');
    auto c = one(kString, hex("CE FC"), Bytes().u16(chars.size()).raw(chars), meta(3, "\x2D"));
    CHECK(c.table().columns[0].realType == ColumnType::String);
    CHECK(c.table().columns[0].length == 1020);
    CHECK(c.value().data() == chars);
    CHECK(c.value().collation == 45);
    CHECK(sqlLiteral(one(kString, hex("FE 0C"), Bytes().u8(2).raw("hi"), meta(3, "\x2D")).value()) == "_utf8mb4'hi'");
}

TEST_CASE("BINARY(n) gets its trailing zero bytes back, VARBINARY and BLOB stay as stored") {
    auto b = one(kString, hex("FE 04"), Bytes().u8(2).raw("ab"), meta(3, "\x3F"));
    CHECK(b.value().kind == Value::Kind::Bytes);
    CHECK(b.value().data() == std::string("ab\0\0", 4));
    CHECK(sqlLiteral(b.value()) == "_binary'ab\\0\\0'");
    auto vb = one(kVarchar, Bytes().u16(4), Bytes().u8(2).raw(std::string("a\0", 2)), meta(3, "\x3F"));
    CHECK(vb.value().data() == std::string("a\0", 2));
    auto blob = one(kBlob, "\x02", Bytes().u16(3).raw("\x01\x02\x03"), meta(3, "\x3F"));
    CHECK(blob.value().kind == Value::Kind::Bytes);
    CHECK(sqlLiteral(blob.value()) == "_binary'\x01\x02\x03'");
    auto tiny = one(kBlob, "\x01", Bytes().u8(1).raw("z"));
    CHECK(tiny.value().data() == "z");
    auto medium = one(kBlob, "\x03", Bytes().u24(4).raw("text"), meta(3, "\x21"));
    CHECK(medium.value().kind == Value::Kind::String);
    CHECK(sqlLiteral(medium.value()) == "_utf8'text'");  // utf8mb3: TiDB's introducer is _utf8
}

TEST_CASE("ENUM and SET of every storage size, labels from ENUM_STR_VALUE metadata") {
    std::string labels = Bytes().packed(3).packedStr("red").packedStr("green").packedStr("blue");
    auto e = one(kString, hex("F7 01"), "\x02", meta(6, labels));
    CHECK(e.value().kind == Value::Kind::Enum);
    CHECK(e.value().u == 2);
    CHECK(e.value().data() == "green");
    CHECK(sqlLiteral(e.value()) == "2");
    auto e2 = one(kString, hex("F7 02"), Bytes().u16(300));
    CHECK(e2.value().u == 300);
    CHECK(one(kString, hex("F7 01"), std::string(1, '\0')).value().u == 0);  // the '' error value
    auto s8 = one(kString, hex("F8 08"), Bytes().u64(0x8000000000000001ULL));
    CHECK(s8.value().kind == Value::Kind::Set);
    CHECK(s8.value().u == 0x8000000000000001ULL);
    CHECK(one(kString, hex("F8 03"), Bytes().u24(0x050001)).value().u == 0x050001);
}

TEST_CASE("BIT(n) is big-endian over (n+7)/8 bytes") {
    auto b10 = one(kBit, hex("02 01"), hex("03 FF"));
    CHECK(b10.value().kind == Value::Kind::Bit);
    CHECK(b10.value().width == 10);
    CHECK(b10.value().u == 1023);
    auto b64 = one(kBit, hex("00 08"), hex("80 00 00 00 00 00 00 01"));
    CHECK(b64.value().u == 0x8000000000000001ULL);
    CHECK(sqlLiteral(b64.value()) == "9223372036854775809");
    CHECK(one(kBit, hex("01 00"), hex("01")).value().u == 1);
}

TEST_CASE("JSON column: binary → text, empty value is JSON null") {
    // {"a": 1} small object: count 1, size 12, key entry (off 11, len 1), value entry int16 inline.
    std::string doc = Bytes().u8(0).u16(1).u16(12).u16(11).u16(1).u8(5).u16(1).raw("a");
    auto j = one(kJson, "\x04", Bytes().u32(doc.size()).raw(doc));
    CHECK(j.value().kind == Value::Kind::Json);
    CHECK(j.value().text == "{\"a\": 1}");
    CHECK(sqlLiteral(j.value()) == "CAST(_utf8mb4'{\"a\": 1}' AS JSON)");
    CHECK(one(kJson, "\x04", Bytes().u32(0)).value().text == "null");
}

TEST_CASE("GEOMETRY stays raw (SRID + WKB)") {
    std::string wkb = Bytes().u32(4326).u8(1).u32(1).raw(std::string(16, '\x01'));
    auto g = one(kGeometry, "\x04", Bytes().u32(wkb.size()).raw(wkb));
    CHECK(g.value().kind == Value::Kind::Geometry);
    CHECK(g.value().data() == wkb);
}

TEST_CASE("MariaDB compressed VARCHAR column (COMPRESSED attribute)") {
    std::string text(500, 'm');
    uLongf len = compressBound(static_cast<uLong>(text.size()));
    std::string z(len, '\0');
    compress(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(text.data()),
             static_cast<uLong>(text.size()));
    z.resize(len);
    std::string stored = Bytes().u8(0x80 | 2).be(text.size(), 2).raw(z);
    auto c = one(kVarcharCompressed, Bytes().u16(1000), Bytes().u16(stored.size()).raw(stored));
    CHECK(c.value().data() == text);
    auto raw = one(kVarcharCompressed, Bytes().u16(1000), Bytes().u16(4).u8(0).raw("abc"));
    CHECK(raw.value().data() == "abc");

    // MariaDB's default (column_compression_zlib_wrap=OFF): raw deflate, header bit 0x08.
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string deflated(1024, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(text.data());
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(deflated.data());
    zs.avail_out = static_cast<uInt>(deflated.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    deflated.resize(zs.total_out);
    deflateEnd(&zs);
    std::string rawStored = Bytes().u8(0x80 | 0x08 | 2).be(text.size(), 2).raw(deflated);
    auto blob = one(141 - 1, "\x04", Bytes().u32(rawStored.size()).raw(rawStored));  // BLOB_COMPRESSED, pack 4
    CHECK(blob.value().data() == text);
}

TEST_CASE("COLUMN_NAME, SIMPLE_PRIMARY_KEY and DEFAULT_CHARSET metadata") {
    std::vector<ColumnSpec> cols = {{kLong, ""}, {kVarchar, Bytes().u16(10)}, {kBlob, "\x02"}};
    std::string names = Bytes().u8(2).raw("id").u8(4).raw("name").u8(4).raw("body");
    // default collation 45, exception: 2nd character column (index 1) is binary.
    std::string charset = Bytes().packed(45).packed(1).packed(63);
    auto d = decodeRow(cols, Bytes().u32(1).u8(1).raw("n").u16(2).raw(std::string("\xff\0", 2)),
                       meta(4, names) + meta(8, Bytes().packed(0)) + meta(2, charset));
    CHECK(d.table().columns[1].name == "name");
    CHECK(d.table().primaryKey == std::vector<uint32_t>{0});
    CHECK(d.value(1).kind == Value::Kind::String);
    CHECK(d.value(1).collation == 45);
    CHECK(d.value(2).kind == Value::Kind::Bytes);
}

TEST_CASE("toOwned() survives the event buffer") {
    Value copy;
    {
        auto d = one(kVarchar, Bytes().u16(10), Bytes().u8(5).raw("hello"));
        copy = d.value().toOwned();
    }
    CHECK(copy.data() == "hello");
}
