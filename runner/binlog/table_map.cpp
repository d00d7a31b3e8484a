#include "runner/binlog/table_map.h"

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/charsets.h"

namespace tidemark::binlog {

namespace {

enum OptionalMeta : uint8_t {
    kSignedness = 1,
    kDefaultCharset = 2,
    kColumnCharset = 3,
    kColumnName = 4,
    kSetStrValue = 5,
    kEnumStrValue = 6,
    kGeometryType = 7,
    kSimplePrimaryKey = 8,
    kPrimaryKeyWithPrefix = 9,
    kEnumAndSetDefaultCharset = 10,
    kEnumAndSetColumnCharset = 11,
    kColumnVisibility = 12,
};

bool isEnumOrSet(const ColumnDef& c) { return c.realType == ColumnType::Enum || c.realType == ColumnType::Set; }

// Reads the per-column metadata block and fills the length fields.
void readColumnMeta(ByteReader& r, ColumnDef& c) {
    switch (c.type) {
        case ColumnType::Float:
        case ColumnType::Double:
            c.meta = r.u8();
            c.scale = static_cast<uint8_t>(c.meta);
            break;
        case ColumnType::Blob:
        case ColumnType::TinyBlob:
        case ColumnType::MediumBlob:
        case ColumnType::LongBlob:
        case ColumnType::Geometry:
        case ColumnType::Json:
        case ColumnType::MariaBlobCompressed:
        case ColumnType::Vector:
            c.meta = r.u8();
            c.length = c.meta;
            if (c.length < 1 || c.length > 4) throw DecodeError("invalid BLOB pack length " + std::to_string(c.length));
            break;
        case ColumnType::Timestamp2:
        case ColumnType::DateTime2:
        case ColumnType::Time2:
            c.meta = r.u8();
            c.scale = static_cast<uint8_t>(c.meta);
            break;
        case ColumnType::Varchar:
        case ColumnType::VarString:
        case ColumnType::MariaVarcharCompressed:
            c.meta = r.u16();
            c.length = c.meta;
            break;
        case ColumnType::Bit: {
            uint8_t bits = r.u8(), bytes = r.u8();
            c.meta = static_cast<uint16_t>(bits | (bytes << 8));
            c.bits = static_cast<uint16_t>(bytes * 8 + bits);
            break;
        }
        case ColumnType::NewDecimal:
            c.precision = r.u8();
            c.scale = r.u8();
            c.meta = static_cast<uint16_t>((c.precision << 8) | c.scale);
            break;
        case ColumnType::String:
        case ColumnType::Enum:
        case ColumnType::Set: {
            uint8_t b0 = r.u8(), b1 = r.u8();
            c.meta = static_cast<uint16_t>((b0 << 8) | b1);
            // CHAR longer than 255 bytes hides the top length bits in the type byte:
            // real types are all 0xF?, so bits 4-5 clear means "XOR them into the length".
            if ((b0 & 0x30) != 0x30) {
                c.length = b1 | ((((b0 & 0x30) ^ 0x30) << 4));
                c.realType = static_cast<ColumnType>(b0 | 0x30);
            } else {
                c.length = b1;
                c.realType = static_cast<ColumnType>(b0);
            }
            break;
        }
        default: break;  // no metadata bytes
    }
}

std::vector<bool> readBitmapMsbFirst(std::string_view v, size_t bits) {
    std::vector<bool> out(bits);
    for (size_t i = 0; i < bits && i / 8 < v.size(); ++i) out[i] = (static_cast<uint8_t>(v[i / 8]) >> (7 - i % 8)) & 1;
    return out;
}

// Charset blocks: DEFAULT_CHARSET is a default plus (index, collation) exceptions;
// COLUMN_CHARSET lists a collation for every column of the class.
std::vector<uint16_t> readCharsets(ByteReader r, uint8_t type, size_t n) {
    std::vector<uint16_t> out(n);
    if (type == kDefaultCharset || type == kEnumAndSetDefaultCharset) {
        uint16_t def = static_cast<uint16_t>(r.packed());
        std::fill(out.begin(), out.end(), def);
        while (!r.empty()) {
            uint64_t idx = r.packed();
            uint16_t coll = static_cast<uint16_t>(r.packed());
            if (idx < n) out[idx] = coll;
        }
    } else {
        for (size_t i = 0; i < n && !r.empty(); ++i) out[i] = static_cast<uint16_t>(r.packed());
    }
    return out;
}

std::vector<std::vector<std::string>> readStrValues(ByteReader r) {
    std::vector<std::vector<std::string>> out;
    while (!r.empty()) {
        uint64_t count = r.packed();
        std::vector<std::string> values;
        for (uint64_t i = 0; i < count; ++i) values.emplace_back(r.packedBytes());
        out.push_back(std::move(values));
    }
    return out;
}

void applyOptionalMetadata(ByteReader r, TableMap& t, bool mariadb) {
    std::vector<size_t> numeric, character, enumSet, enums, sets, geometry;
    for (size_t i = 0; i < t.columns.size(); ++i) {
        const ColumnDef& c = t.columns[i];
        if (c.isNumeric()) numeric.push_back(i);
        if (c.isCharacter(mariadb)) character.push_back(i);
        if (isEnumOrSet(c)) enumSet.push_back(i);
        if (c.realType == ColumnType::Enum) enums.push_back(i);
        if (c.realType == ColumnType::Set) sets.push_back(i);
        if (c.type == ColumnType::Geometry) geometry.push_back(i);
    }
    while (!r.empty()) {
        uint8_t type = r.u8();
        ByteReader v(r.span(ByteReader::checkedSize(r.packed())));
        switch (type) {
            case kSignedness: {
                auto bits = readBitmapMsbFirst(v.rest(), numeric.size());
                for (size_t k = 0; k < numeric.size(); ++k) {
                    t.columns[numeric[k]].isUnsigned = bits[k];
                    t.columns[numeric[k]].unsignedKnown = true;
                }
                break;
            }
            case kDefaultCharset:
            case kColumnCharset: {
                auto colls = readCharsets(v, type, character.size());
                for (size_t k = 0; k < character.size(); ++k) t.columns[character[k]].collation = colls[k];
                break;
            }
            case kEnumAndSetDefaultCharset:
            case kEnumAndSetColumnCharset: {
                auto colls = readCharsets(v, type, enumSet.size());
                for (size_t k = 0; k < enumSet.size(); ++k) t.columns[enumSet[k]].collation = colls[k];
                break;
            }
            case kColumnName:
                for (size_t i = 0; i < t.columns.size() && !v.empty(); ++i) t.columns[i].name = v.bytes(v.u8());
                break;
            case kSetStrValue: {
                auto values = readStrValues(v);
                for (size_t k = 0; k < sets.size() && k < values.size(); ++k)
                    t.columns[sets[k]].setValues = std::move(values[k]);
                break;
            }
            case kEnumStrValue: {
                auto values = readStrValues(v);
                for (size_t k = 0; k < enums.size() && k < values.size(); ++k)
                    t.columns[enums[k]].enumValues = std::move(values[k]);
                break;
            }
            case kGeometryType:
                for (size_t k = 0; k < geometry.size() && !v.empty(); ++k)
                    t.columns[geometry[k]].geometryType = static_cast<uint32_t>(v.packed());
                break;
            case kSimplePrimaryKey:
                while (!v.empty()) {
                    t.primaryKey.push_back(static_cast<uint32_t>(v.packed()));
                    t.primaryKeyPrefix.push_back(0);
                }
                break;
            case kPrimaryKeyWithPrefix:
                while (!v.empty()) {
                    t.primaryKey.push_back(static_cast<uint32_t>(v.packed()));
                    t.primaryKeyPrefix.push_back(static_cast<uint32_t>(v.packed()));
                }
                break;
            default: break;  // COLUMN_VISIBILITY and future types: not needed to decode rows
        }
    }
}

void applyHints(const TableHint& hint, TableMap& t) {
    for (size_t i = 0; i < t.columns.size() && i < hint.columns.size(); ++i) {
        ColumnDef& c = t.columns[i];
        const ColumnHint& h = hint.columns[i];
        if (c.name.empty()) c.name = h.name;
        if (!c.unsignedKnown && c.isNumeric()) {
            c.isUnsigned = h.isUnsigned;
            c.unsignedKnown = true;
        }
        if (c.collation == 0) c.collation = h.collation != 0 ? h.collation : defaultCollationForCharset(h.charset);
        if (c.enumValues.empty()) c.enumValues = h.enumValues;
        if (c.setValues.empty()) c.setValues = h.setValues;
        c.isJsonText = c.isJsonText || h.isJson;
    }
    if (t.primaryKey.empty()) {
        t.primaryKey = hint.primaryKey;
        t.primaryKeyPrefix.assign(t.primaryKey.size(), 0);
    }
}

}  // namespace

bool ColumnDef::isNumeric() const {
    switch (type) {
        case ColumnType::Tiny:
        case ColumnType::Short:
        case ColumnType::Int24:
        case ColumnType::Long:
        case ColumnType::LongLong:
        case ColumnType::NewDecimal:
        case ColumnType::Float:
        case ColumnType::Double:
        case ColumnType::Year: return true;
        default: return false;
    }
}

bool ColumnDef::isCharacter(bool mariadb) const {
    switch (realType) {
        case ColumnType::Geometry: return mariadb;
        case ColumnType::Vector:  // MySQL 9 lists it (binary, 63) among the charset columns
            return !mariadb;
        case ColumnType::String:
        case ColumnType::VarString:
        case ColumnType::Varchar:
        case ColumnType::Blob:
        case ColumnType::TinyBlob:
        case ColumnType::MediumBlob:
        case ColumnType::LongBlob:
        case ColumnType::MariaBlobCompressed:
        case ColumnType::MariaVarcharCompressed: return true;
        default: return false;
    }
}

std::shared_ptr<const TableMap> parseTableMap(std::span<const uint8_t> body, uint8_t postHeaderLength,
                                              const SchemaHints* hints, bool mariadb) {
    auto t = std::make_shared<TableMap>();
    ByteReader r(body);
    t->tableId = postHeaderLength == 6 ? r.u32() : r.u48();
    t->flags = r.u16();
    t->schema = r.bytes(r.u8());
    r.skip(1);
    t->table = r.bytes(r.u8());
    r.skip(1);
    size_t n = ByteReader::checkedSize(r.packed());
    if (n > 4096) throw DecodeError("TABLE_MAP with " + std::to_string(n) + " columns");
    t->columns.resize(n);
    for (auto& c : t->columns) {
        c.type = static_cast<ColumnType>(r.u8());
        c.realType = c.type;
        if (c.type == ColumnType::Json) ++t->jsonColumnCount;
    }
    ByteReader meta(r.span(ByteReader::checkedSize(r.packed())));
    for (auto& c : t->columns) readColumnMeta(meta, c);
    std::string_view nullBits = r.bytes((n + 7) / 8);
    for (size_t i = 0; i < n; ++i) t->columns[i].nullable = (static_cast<uint8_t>(nullBits[i / 8]) >> (i % 8)) & 1;
    for (auto& c : t->columns) {
        if (c.realType == ColumnType::Enum || c.realType == ColumnType::Set) c.length = c.meta & 0xFF;
        if (c.type == ColumnType::Json || c.type == ColumnType::Geometry || c.type == ColumnType::Vector)
            c.collation = 63;
    }
    if (!r.empty()) {
        t->hasOptionalMetadata = true;
        applyOptionalMetadata(r, *t, mariadb);
    }
    if (hints) {
        if (const TableHint* h = hints->lookup(t->schema, t->table)) applyHints(*h, *t);
    }
    return t;
}

const char* columnTypeName(ColumnType t) {
    switch (t) {
        case ColumnType::Decimal: return "DECIMAL";
        case ColumnType::Tiny: return "TINYINT";
        case ColumnType::Short: return "SMALLINT";
        case ColumnType::Long: return "INT";
        case ColumnType::Float: return "FLOAT";
        case ColumnType::Double: return "DOUBLE";
        case ColumnType::Null: return "NULL";
        case ColumnType::Timestamp: return "TIMESTAMP";
        case ColumnType::LongLong: return "BIGINT";
        case ColumnType::Int24: return "MEDIUMINT";
        case ColumnType::Date: return "DATE";
        case ColumnType::Time: return "TIME";
        case ColumnType::DateTime: return "DATETIME";
        case ColumnType::Year: return "YEAR";
        case ColumnType::NewDate: return "NEWDATE";
        case ColumnType::Varchar: return "VARCHAR";
        case ColumnType::Bit: return "BIT";
        case ColumnType::Timestamp2: return "TIMESTAMP2";
        case ColumnType::DateTime2: return "DATETIME2";
        case ColumnType::Time2: return "TIME2";
        case ColumnType::TypedArray: return "TYPED_ARRAY";
        case ColumnType::MariaBlobCompressed: return "BLOB_COMPRESSED";
        case ColumnType::MariaVarcharCompressed: return "VARCHAR_COMPRESSED";
        case ColumnType::Vector: return "VECTOR";
        case ColumnType::Json: return "JSON";
        case ColumnType::NewDecimal: return "NEWDECIMAL";
        case ColumnType::Enum: return "ENUM";
        case ColumnType::Set: return "SET";
        case ColumnType::TinyBlob: return "TINYBLOB";
        case ColumnType::MediumBlob: return "MEDIUMBLOB";
        case ColumnType::LongBlob: return "LONGBLOB";
        case ColumnType::Blob: return "BLOB";
        case ColumnType::VarString: return "VAR_STRING";
        case ColumnType::String: return "STRING";
        case ColumnType::Geometry: return "GEOMETRY";
    }
    return "UNKNOWN";
}

}  // namespace tidemark::binlog
