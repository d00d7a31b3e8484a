// TABLE_MAP_EVENT: the column layout that the following ROWS events refer to by table id.
//
// Per-column facts are resolved once here (binlog type, real type of STRING columns, lengths,
// signedness, collation, names, enum/set labels) from the event's metadata, falling back to the
// caller's SchemaHints, so row decoding is a tight loop over ColumnDef.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runner/binlog/column_hint.h"

namespace tidemark::binlog {

// MySQL column type ids as they appear in TABLE_MAP (enum_field_types).
enum class ColumnType : uint8_t {
    Decimal = 0,
    Tiny = 1,
    Short = 2,
    Long = 3,
    Float = 4,
    Double = 5,
    Null = 6,
    Timestamp = 7,
    LongLong = 8,
    Int24 = 9,
    Date = 10,
    Time = 11,
    DateTime = 12,
    Year = 13,
    NewDate = 14,
    Varchar = 15,
    Bit = 16,
    Timestamp2 = 17,
    DateTime2 = 18,
    Time2 = 19,
    TypedArray = 20,
    MariaBlobCompressed = 140,
    MariaVarcharCompressed = 141,
    Vector = 242,
    Json = 245,
    NewDecimal = 246,
    Enum = 247,
    Set = 248,
    TinyBlob = 249,
    MediumBlob = 250,
    LongBlob = 251,
    Blob = 252,
    VarString = 253,
    String = 254,
    Geometry = 255,
};

const char* columnTypeName(ColumnType t);

struct ColumnDef {
    ColumnType type = ColumnType::Null;      // as written in the event
    ColumnType realType = ColumnType::Null;  // STRING's real type (String/Enum/Set), else = type
    uint16_t meta = 0;                       // raw metadata as MySQL's tools show it (STRING: b0<<8|b1)
    uint32_t length = 0;                     // VARCHAR/CHAR max bytes, BLOB/JSON/GEOMETRY pack length, ENUM/SET bytes
    uint8_t precision = 0;                   // NEWDECIMAL
    uint8_t scale = 0;                       // NEWDECIMAL scale, temporal fsp, FLOAT/DOUBLE byte size
    uint16_t bits = 0;                       // BIT(n)
    bool nullable = false;
    bool isUnsigned = false;
    bool unsignedKnown = false;  // from metadata or hint
    uint16_t collation = 0;      // 0 = unknown; 63 = binary
    bool isJsonText = false;     // MariaDB JSON (LONGTEXT)
    std::string name;            // empty if unknown
    std::vector<std::string> enumValues;
    std::vector<std::string> setValues;
    uint32_t geometryType = 0;

    bool isBinary() const { return collation == 63; }
    // The columns the charset metadata blocks count: CHAR/VARCHAR/TEXT/BLOB, plus GEOMETRY on
    // MariaDB and VECTOR on MySQL.
    bool isCharacter(bool mariadb = false) const;
    bool isNumeric() const;  // the columns MySQL's signedness metadata counts
};

struct TableMap {
    uint64_t tableId = 0;
    uint16_t flags = 0;
    std::string schema;
    std::string table;
    std::vector<ColumnDef> columns;
    std::vector<uint32_t> primaryKey;        // column indexes, from metadata or hint; empty if unknown
    std::vector<uint32_t> primaryKeyPrefix;  // per primaryKey entry: prefix length, 0 = whole column
    bool hasOptionalMetadata = false;
    uint32_t jsonColumnCount = 0;  // for PARTIAL_UPDATE_ROWS' partial bitmap
};

// Decodes a TABLE_MAP body (after the common header, checksum removed). postHeaderLength is the
// FDE's value (8, or 6 for 4-byte table ids); mariadb selects MariaDB's reading of the
// optional metadata. hints may be null. Throws DecodeError.
std::shared_ptr<const TableMap> parseTableMap(std::span<const uint8_t> body, uint8_t postHeaderLength,
                                              const SchemaHints* hints, bool mariadb = false);

}  // namespace tidemark::binlog
