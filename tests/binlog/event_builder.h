// Builds raw binlog events byte by byte for tests that need what the fixtures lack
// (MariaDB events, compression, partial JSON, every column type, broken input).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/binlog/event_decoder.h"

namespace tidemark::binlog::test {

// Little-endian byte string builder.
class Bytes {
public:
    Bytes& u8(uint64_t v) {
        s_ += static_cast<char>(v & 0xFF);
        return *this;
    }
    Bytes& le(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) u8(v >> (8 * i));
        return *this;
    }
    Bytes& be(uint64_t v, int n) {
        for (int i = n - 1; i >= 0; --i) u8(v >> (8 * i));
        return *this;
    }
    Bytes& u16(uint64_t v) { return le(v, 2); }
    Bytes& u24(uint64_t v) { return le(v, 3); }
    Bytes& u32(uint64_t v) { return le(v, 4); }
    Bytes& u48(uint64_t v) { return le(v, 6); }
    Bytes& u64(uint64_t v) { return le(v, 8); }
    Bytes& packed(uint64_t v);
    Bytes& raw(std::string_view b) {
        s_ += b;
        return *this;
    }
    Bytes& packedStr(std::string_view b) {
        packed(b.size());
        return raw(b);
    }
    Bytes& hex(std::string_view hexDigits);  // "81 0D FB" (spaces ignored)
    const std::string& str() const { return s_; }
    operator std::string() const { return s_; }
    operator std::string_view() const { return s_; }
    size_t size() const { return s_.size(); }

private:
    std::string s_;
};

struct EventOptions {
    uint32_t timestamp = 1700000000;
    uint32_t serverId = 1;
    std::optional<uint32_t> logPos = std::nullopt;  // unset: startPos + size
    uint32_t startPos = 4;
    uint16_t flags = 0;
    bool crc = false;
};

// header + body (+ CRC32 when options.crc).
std::string makeEvent(uint8_t type, std::string_view body, EventOptions options = {});

// A FORMAT_DESCRIPTION event of MySQL 8.0 or MariaDB 10.11, with the given checksum alg.
std::string mysqlFde(bool crc);
std::string mariaFde(bool crc);

struct ColumnSpec {
    uint8_t type;
    std::string meta;  // metadata bytes as written in the TABLE_MAP
    bool nullable = true;
};

std::string tableMapBody(uint64_t tableId, std::string_view db, std::string_view table,
                         const std::vector<ColumnSpec>& columns, std::string_view optionalMeta = {});

// Bitmap with bits for `columns` columns, set for the listed indexes (LSB-first).
std::string bitmap(size_t columns, const std::vector<size_t>& set);
std::string allSet(size_t columns);

// ROWS event body (v2 when version == 2): post-header, column count, bitmaps, then `rows`.
std::string rowsBody(int version, uint64_t tableId, uint16_t flags, size_t columns, const std::string& bitmap1,
                     const std::string* bitmap2, std::string_view rows);

// Decodes one event with `d` and returns what it produced.
std::vector<Event> decodeAll(EventDecoder& d, const std::string& raw,
                             uint64_t position = EventDecoder::kUnknownPosition);

// zlib `compress` with MariaDB's event header (0x80|n, BE length).
std::string mariaCompress(std::string_view data);

}  // namespace tidemark::binlog::test
