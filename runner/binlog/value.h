// One decoded column value of a row image, and how each MySQL type maps onto it.
//
//   binlog type                         Kind        payload
//   TINY/SHORT/INT24/LONG/LONGLONG      Int|UInt    i / u (signedness from TABLE_MAP metadata,
//                                                   else ColumnHint, else signed)
//   FLOAT / DOUBLE                      Float/Double f / d (exact IEEE value)
//   NEWDECIMAL                          Decimal     text: exact digits, scale zeros kept ("-0.50")
//   YEAR                                Year        u (0 or 1901..2155)
//   DATE                                Date        t (zero/partial-zero dates kept as-is)
//   TIME, TIME2                         Time        t (negative, hours up to 838), width = fsp
//   DATETIME, DATETIME2                 DateTime    t, width = fsp
//   TIMESTAMP, TIMESTAMP2               Timestamp   i = seconds since the epoch (UTC),
//                                                   t.micro = fraction, width = fsp; i == 0 is
//                                                   the zero timestamp '0000-00-00 00:00:00'
//   CHAR/VARCHAR/TEXT (non-binary)      String      data() in the column charset, collation id
//                                                   (0 = unknown); CHAR trailing spaces stripped
//                                                   by the server, as MySQL stores them
//   BINARY/VARBINARY/BLOB (collation 63) Bytes      data(); BINARY(n) re-padded with 0x00 to n
//   (binary known from metadata or hint;             (the server strips them before logging)
//   else String with collation 0)
//   ENUM                                Enum        u = 1-based index (0 = '' error value),
//                                                   data() = label when known
//   SET                                 Set         u = bitmask (bit k = k-th member)
//   BIT(n)                              Bit         u, width = n
//   JSON (MySQL binary)                 Json        text = JSON text as MySQL prints it
//   JSON (MariaDB, a LONGTEXT)          String      (MariaDB has no JSON type on the wire)
//   JSON partial update (event 39)      JsonDiff    diffs, applied in order to the old value
//   GEOMETRY                            Geometry    data() = 4-byte SRID LE + WKB, raw
//   VECTOR (MySQL 9)                    Vector      data() = the column's bytes: 4 per dimension,
//                                                   each an IEEE float32, little-endian
//   not in this image (MINIMAL/NOBLOB)  Missing
//   SQL NULL                            Null
//
// Lifetime: data() may alias the event buffer (and enum labels the TableMap); a Value is valid
// while the Event that produced it is alive. Copy with toOwned() to keep it longer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::binlog {

struct Temporal {
    uint16_t year = 0;
    uint8_t month = 0;
    uint8_t day = 0;
    uint16_t hour = 0;  // TIME goes up to 838
    uint8_t minute = 0;
    uint8_t second = 0;
    uint32_t micro = 0;     // always microseconds, whatever the column's fsp
    bool negative = false;  // TIME only

    bool operator==(const Temporal&) const = default;
};

struct JsonDiff {
    enum class Op : uint8_t { Replace = 0, Insert = 1, Remove = 2 };
    Op op = Op::Replace;
    std::string path;   // MySQL JSON path, e.g. "$.a[1]"
    std::string value;  // JSON text; empty for Remove
};

struct Value {
    enum class Kind : uint8_t {
        Missing,
        Null,
        Int,
        UInt,
        Float,
        Double,
        Decimal,
        Year,
        Date,
        Time,
        DateTime,
        Timestamp,
        String,
        Bytes,
        Enum,
        Set,
        Bit,
        Json,
        JsonDiff,
        Geometry,
        Vector,
    };

    Kind kind = Kind::Missing;
    uint16_t width = 0;      // fsp for temporal kinds, bit count for Bit
    uint16_t collation = 0;  // String: column collation id; 0 = unknown
    union {
        int64_t i;
        uint64_t u;
        double d;
        float f;
    };
    Temporal t;
    std::string text;  // Decimal, Json, or owned bytes (see data())
    std::vector<JsonDiff> diffs;

    Value() : i(0) {}

    // Bytes of String/Bytes/Geometry/Vector and the Enum label.
    std::string_view data() const { return owned_ ? std::string_view(text) : view_; }
    void setView(std::string_view v) {
        view_ = v;
        owned_ = false;
    }
    void setOwned(std::string v) {
        text = std::move(v);
        owned_ = true;
    }
    bool isNull() const { return kind == Kind::Null; }
    bool isPresent() const { return kind != Kind::Missing; }
    // A copy that no longer aliases the event buffer.
    Value toOwned() const;

private:
    std::string_view view_;
    bool owned_ = false;
};

const char* kindName(Value::Kind kind);

}  // namespace tidemark::binlog
