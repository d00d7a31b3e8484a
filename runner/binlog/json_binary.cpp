#include "runner/binlog/json_binary.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/decimal.h"
#include "runner/binlog/errors.h"
#include "runner/binlog/table_map.h"
#include "runner/binlog/temporal.h"

namespace tidemark::binlog {

namespace {

enum JsonType : uint8_t {
    kSmallObject = 0,
    kLargeObject = 1,
    kSmallArray = 2,
    kLargeArray = 3,
    kLiteral = 4,
    kInt16 = 5,
    kUint16 = 6,
    kInt32 = 7,
    kUint32 = 8,
    kInt64 = 9,
    kUint64 = 10,
    kDouble = 11,
    kString = 12,
    kOpaque = 15,
};

// Nesting limit: MySQL itself refuses documents deeper than 100.
constexpr int kMaxDepth = 150;

class JsonWriter {
public:
    explicit JsonWriter(std::string_view doc) : doc_(doc) {}

    void value(uint8_t type, size_t offset, size_t end, std::string& out, int depth) {
        if (depth > kMaxDepth) throw DecodeError("JSON document nested too deep");
        switch (type) {
            case kSmallObject:
            case kLargeObject: container(offset, end, type == kLargeObject, true, out, depth); return;
            case kSmallArray:
            case kLargeArray: container(offset, end, type == kLargeArray, false, out, depth); return;
            case kLiteral: literal(at(offset, 1)[0], out); return;
            case kInt16: out += std::to_string(static_cast<int16_t>(le(offset, 2))); return;
            case kUint16: out += std::to_string(le(offset, 2)); return;
            case kInt32: out += std::to_string(static_cast<int32_t>(le(offset, 4))); return;
            case kUint32: out += std::to_string(le(offset, 4)); return;
            case kInt64: out += std::to_string(static_cast<int64_t>(le(offset, 8))); return;
            case kUint64: out += std::to_string(le(offset, 8)); return;
            case kDouble: {
                uint64_t bits = le(offset, 8);
                double d;
                std::memcpy(&d, &bits, 8);
                appendDouble(out, d);
                return;
            }
            case kString: {
                size_t pos = offset;
                size_t len = varLength(pos);
                appendJsonString(out, bytes(pos, len));
                return;
            }
            case kOpaque: opaque(offset, out); return;
            default: throw DecodeError("unknown JSON value type " + std::to_string(type));
        }
    }

private:
    const uint8_t* at(size_t offset, size_t n) const {
        if (offset > doc_.size() || doc_.size() - offset < n) throw DecodeError("JSON value out of bounds");
        return reinterpret_cast<const uint8_t*>(doc_.data()) + offset;
    }
    uint64_t le(size_t offset, size_t n) const {
        const uint8_t* p = at(offset, n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
        return v;
    }
    std::string_view bytes(size_t offset, size_t n) const {
        at(offset, n);
        return doc_.substr(offset, n);
    }
    // 7-bit little-endian varint, at most 5 bytes.
    size_t varLength(size_t& pos) const {
        uint64_t len = 0;
        for (int i = 0; i < 5; ++i) {
            uint8_t b = at(pos++, 1)[0];
            len |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return static_cast<size_t>(len);
        }
        throw DecodeError("JSON string length varint too long");
    }

    static void literal(uint8_t v, std::string& out) {
        switch (v) {
            case 0: out += "null"; return;
            case 1: out += "true"; return;
            case 2: out += "false"; return;
            default: throw DecodeError("unknown JSON literal " + std::to_string(v));
        }
    }

    static bool isInline(uint8_t type, bool large) {
        switch (type) {
            case kLiteral:
            case kInt16:
            case kUint16: return true;
            case kInt32:
            case kUint32: return large;
            default: return false;
        }
    }

    // Object/array layout: count, size, [key entries], value entries, then keys and values,
    // with offsets relative to the container's first byte.
    void container(size_t base, size_t end, bool large, bool isObject, std::string& out, int depth) {
        const size_t w = large ? 4 : 2;
        const size_t count = static_cast<size_t>(le(base, w));
        const size_t size = static_cast<size_t>(le(base + w, w));
        if (size > end - base) throw DecodeError("JSON container larger than its document");
        const size_t cend = base + size;
        const size_t keyEntries = base + 2 * w;
        const size_t valueEntries = keyEntries + (isObject ? count * (w + 2) : 0);
        if (valueEntries + count * (1 + w) > cend) throw DecodeError("JSON container header out of bounds");
        out += isObject ? '{' : '[';
        for (size_t i = 0; i < count; ++i) {
            if (i) out += ", ";
            if (isObject) {
                size_t ke = keyEntries + i * (w + 2);
                size_t koff = static_cast<size_t>(le(ke, w));
                size_t klen = static_cast<size_t>(le(ke + w, 2));
                if (koff + klen > size) throw DecodeError("JSON key out of bounds");
                appendJsonString(out, bytes(base + koff, klen));
                out += ": ";
            }
            size_t ve = valueEntries + i * (1 + w);
            uint8_t type = at(ve, 1)[0];
            if (isInline(type, large)) {
                value(type, ve + 1, cend, out, depth + 1);
            } else {
                size_t voff = static_cast<size_t>(le(ve + 1, w));
                if (voff >= size) throw DecodeError("JSON value offset out of bounds");
                value(type, base + voff, cend, out, depth + 1);
            }
        }
        out += isObject ? '}' : ']';
    }

    void opaque(size_t pos, std::string& out) {
        uint8_t fieldType = at(pos++, 1)[0];
        size_t len = varLength(pos);
        std::string_view data = bytes(pos, len);
        auto packed = [&] {
            if (data.size() < 8) throw DecodeError("JSON temporal opaque value too short");
            int64_t v = 0;
            std::memcpy(&v, data.data(), 8);  // little-endian hosts only (x86-64, arm64)
            return v;
        };
        switch (static_cast<ColumnType>(fieldType)) {
            case ColumnType::NewDecimal: {
                if (data.size() < 2) throw DecodeError("JSON decimal opaque value too short");
                ByteReader r(reinterpret_cast<const uint8_t*>(data.data()) + 2, data.size() - 2);
                out += readDecimal(r, static_cast<uint8_t>(data[0]), static_cast<uint8_t>(data[1]));
                return;
            }
            case ColumnType::Date: out += '"' + formatDate(unpackDateTime(packed())) + '"'; return;
            case ColumnType::Time: out += '"' + formatTime(unpackTime(packed()), 6) + '"'; return;
            case ColumnType::DateTime:
            case ColumnType::Timestamp:
            case ColumnType::DateTime2:
            case ColumnType::Timestamp2: out += '"' + formatDateTime(unpackDateTime(packed()), 6) + '"'; return;
            default: {
                // What MySQL prints for other opaque values (BIT, BLOB, GEOMETRY, YEAR...).
                out += "\"base64:type" + std::to_string(fieldType) + ":" + base64(data) + "\"";
                return;
            }
        }
    }

    static std::string base64(std::string_view in) {
        static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string s;
        size_t i = 0;
        for (; i + 2 < in.size(); i += 3) {
            uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
            s += tbl[v >> 18];
            s += tbl[(v >> 12) & 63];
            s += tbl[(v >> 6) & 63];
            s += tbl[v & 63];
        }
        if (i + 1 == in.size()) {
            uint32_t v = uint8_t(in[i]) << 16;
            s += tbl[v >> 18];
            s += tbl[(v >> 12) & 63];
            s += "==";
        } else if (i + 2 == in.size()) {
            uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
            s += tbl[v >> 18];
            s += tbl[(v >> 12) & 63];
            s += tbl[(v >> 6) & 63];
            s += '=';
        }
        return s;
    }

    static void appendDouble(std::string& out, double d) {
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, d);
        std::string s(buf, res.ptr);
        // MySQL writes 1e300 / 1e-7, and keeps a ".0" on integral doubles so they stay doubles.
        if (auto e = s.find("e+"); e != std::string::npos) s.erase(e + 1, 1);
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        out += s;
    }

    std::string_view doc_;
};

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string jsonBinaryToText(std::string_view doc) {
    if (doc.empty()) return "null";
    std::string out;
    out.reserve(doc.size() * 2);
    JsonWriter w(doc);
    w.value(static_cast<uint8_t>(doc[0]), 1, doc.size(), out, 0);
    return out;
}

}  // namespace tidemark::binlog
