#include "runner/binlog/row_decoder.h"

#include <bit>
#include <cstring>

#include "runner/binlog/compression.h"
#include "runner/binlog/decimal.h"
#include "runner/binlog/json_binary.h"
#include "runner/binlog/temporal.h"

namespace tidemark::binlog {

namespace {

constexpr uint64_t kPartialJsonUpdates = 1;  // binlog_row_value_options bit

void readInteger(ByteReader& r, const ColumnDef& c, size_t bytes, Value& v) {
    if (c.isUnsigned) {
        v.kind = Value::Kind::UInt;
        v.u = r.uintLE(bytes);
    } else {
        v.kind = Value::Kind::Int;
        v.i = r.intLE(bytes);
    }
}

size_t readLength(ByteReader& r, uint32_t prefixBytes) { return ByteReader::checkedSize(r.uintLE(prefixBytes)); }

void setStringValue(const ColumnDef& c, std::string_view bytes, Value& v) {
    v.kind = c.isBinary() ? Value::Kind::Bytes : Value::Kind::String;
    v.collation = c.collation;
    v.setView(bytes);
}

// Partial JSON: u32 length, then diffs `op | lenenc path | [lenenc value]` until the end —
// MySQL writes every diff of the column, not just the first.
void readJsonDiffs(ByteReader& r, Value& v) {
    ByteReader d(r.span(r.u32()));
    v.kind = Value::Kind::JsonDiff;
    while (!d.empty()) {
        JsonDiff diff;
        uint8_t op = d.u8();
        if (op > 2) throw DecodeError("unknown JSON diff operation " + std::to_string(op));
        diff.op = static_cast<JsonDiff::Op>(op);
        diff.path = d.packedBytes();
        if (diff.op != JsonDiff::Op::Remove) diff.value = jsonBinaryToText(d.packedBytes());
        v.diffs.push_back(std::move(diff));
    }
}

void decodeImage(ByteReader& r, const TableMap& table, const ColumnBitmap& present, bool partialAfterImage,
                 std::vector<Value>& out) {
    const size_t n = table.columns.size();
    out.clear();
    out.resize(n);
    std::string_view partialBits;
    if (partialAfterImage) {
        uint64_t options = r.packed();
        if (options & kPartialJsonUpdates) partialBits = r.bytes((table.jsonColumnCount + 7) / 8);
    }
    std::string_view nullBits = r.bytes((present.count() + 7) / 8);
    size_t presentIndex = 0, jsonIndex = 0;
    for (size_t i = 0; i < n; ++i) {
        const ColumnDef& c = table.columns[i];
        // The partial bitmap has a bit for every JSON column, present in this image or not.
        bool partial = false;
        if (c.type == ColumnType::Json && !partialBits.empty()) {
            partial = (static_cast<uint8_t>(partialBits[jsonIndex / 8]) >> (jsonIndex % 8)) & 1;
            ++jsonIndex;
        }
        if (!present.test(i)) continue;
        size_t k = presentIndex++;
        if ((static_cast<uint8_t>(nullBits[k / 8]) >> (k % 8)) & 1) {
            out[i].kind = Value::Kind::Null;
            continue;
        }
        if (partial) readJsonDiffs(r, out[i]);
        else readColumnValue(r, c, out[i]);
    }
}

}  // namespace

size_t ColumnBitmap::count() const {
    size_t total = 0;
    for (size_t i = 0; i < bits.size(); ++i) {
        uint8_t b = static_cast<uint8_t>(bits[i]);
        if (i == bits.size() - 1 && columns % 8) b &= static_cast<uint8_t>((1u << (columns % 8)) - 1);
        total += static_cast<size_t>(std::popcount(b));
    }
    return total;
}

void readColumnValue(ByteReader& r, const ColumnDef& c, Value& v) {
    switch (c.realType) {
        case ColumnType::Tiny: readInteger(r, c, 1, v); return;
        case ColumnType::Short: readInteger(r, c, 2, v); return;
        case ColumnType::Int24: readInteger(r, c, 3, v); return;
        case ColumnType::Long: readInteger(r, c, 4, v); return;
        case ColumnType::LongLong: readInteger(r, c, 8, v); return;
        case ColumnType::Float:
            v.kind = Value::Kind::Float;
            v.f = r.f32();
            return;
        case ColumnType::Double:
            v.kind = Value::Kind::Double;
            v.d = r.f64();
            return;
        case ColumnType::NewDecimal:
            v.kind = Value::Kind::Decimal;
            v.text = readDecimal(r, c.precision, c.scale);
            return;
        case ColumnType::Year: {
            uint8_t y = r.u8();
            v.kind = Value::Kind::Year;
            v.u = y == 0 ? 0 : 1900u + y;
            return;
        }
        case ColumnType::Date:
        case ColumnType::NewDate:
            v.kind = Value::Kind::Date;
            v.t = readDate(r);
            return;
        case ColumnType::Time:
            v.kind = Value::Kind::Time;
            v.t = readTimeOld(r);
            return;
        case ColumnType::Time2:
            v.kind = Value::Kind::Time;
            v.width = c.scale;
            v.t = readTime2(r, c.scale);
            return;
        case ColumnType::DateTime:
            v.kind = Value::Kind::DateTime;
            v.t = readDateTimeOld(r);
            return;
        case ColumnType::DateTime2:
            v.kind = Value::Kind::DateTime;
            v.width = c.scale;
            v.t = readDateTime2(r, c.scale);
            return;
        case ColumnType::Timestamp:
            v.kind = Value::Kind::Timestamp;
            v.i = r.u32();
            return;
        case ColumnType::Timestamp2: {
            v.kind = Value::Kind::Timestamp;
            v.width = c.scale;
            uint32_t micro = 0;
            v.i = readTimestamp2(r, c.scale, micro);
            v.t.micro = micro;
            return;
        }
        case ColumnType::Varchar:
        case ColumnType::VarString: setStringValue(c, r.bytes(readLength(r, c.length < 256 ? 1 : 2)), v); return;
        case ColumnType::String: {
            setStringValue(c, r.bytes(readLength(r, c.length < 256 ? 1 : 2)), v);
            // MySQL strips BINARY(n)'s trailing 0x00 before logging; the column value has them.
            if (c.isBinary() && v.data().size() < c.length) {
                std::string padded(v.data());
                padded.resize(c.length, '\0');
                v.setOwned(std::move(padded));
            }
            return;
        }
        case ColumnType::Enum: {
            if (c.length != 1 && c.length != 2) throw DecodeError("ENUM with storage size " + std::to_string(c.length));
            v.kind = Value::Kind::Enum;
            v.u = r.uintLE(c.length);
            if (v.u >= 1 && v.u <= c.enumValues.size()) v.setView(c.enumValues[v.u - 1]);
            return;
        }
        case ColumnType::Set:
            if (c.length < 1 || c.length > 8) throw DecodeError("SET with storage size " + std::to_string(c.length));
            v.kind = Value::Kind::Set;
            v.u = r.uintLE(c.length);
            return;
        case ColumnType::Bit:
            v.kind = Value::Kind::Bit;
            v.width = c.bits;
            v.u = r.uintBE((c.bits + 7) / 8);
            return;
        case ColumnType::Blob:
        case ColumnType::TinyBlob:
        case ColumnType::MediumBlob:
        case ColumnType::LongBlob: setStringValue(c, r.bytes(readLength(r, c.length)), v); return;
        case ColumnType::Json:
            v.kind = Value::Kind::Json;
            v.text = jsonBinaryToText(r.bytes(readLength(r, c.length)));
            return;
        case ColumnType::Geometry:
            v.kind = Value::Kind::Geometry;
            v.setView(r.bytes(readLength(r, c.length)));
            return;
        case ColumnType::Vector:
            v.kind = Value::Kind::Vector;
            v.setView(r.bytes(readLength(r, c.length)));
            return;
        case ColumnType::MariaBlobCompressed:
            setStringValue(c, {}, v);
            v.setOwned(inflateMariaColumn(r.bytes(readLength(r, c.length))));
            return;
        case ColumnType::MariaVarcharCompressed:
            setStringValue(c, {}, v);
            v.setOwned(inflateMariaColumn(r.bytes(readLength(r, c.length < 256 ? 1 : 2))));
            return;
        default:
            throw DecodeError(std::string("unsupported column type ") + columnTypeName(c.realType) + " (" +
                              std::to_string(static_cast<int>(c.realType)) + ")" +
                              (c.name.empty() ? "" : " in column `" + c.name + "`"));
    }
}

void decodeRowImages(ByteReader rows, const TableMap& table, RowsEvent& ev, const ColumnBitmap& first,
                     const ColumnBitmap& second) {
    while (!rows.empty()) {
        const size_t before = rows.remaining();
        Row& row = ev.rows.emplace_back();
        switch (ev.kind) {
            case RowsKind::Write: decodeImage(rows, table, first, false, row.after); break;
            case RowsKind::Delete: decodeImage(rows, table, first, false, row.before); break;
            case RowsKind::Update:
                decodeImage(rows, table, first, false, row.before);
                decodeImage(rows, table, second, ev.partial, row.after);
                break;
        }
        // A row with no present columns occupies no bytes, so the row count would be
        // unknowable; only a corrupt bitmap produces it.
        if (rows.remaining() == before) throw DecodeError("row image without any column");
    }
}

}  // namespace tidemark::binlog
