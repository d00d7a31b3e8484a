#include "event_builder.h"

#include <cctype>
#include <stdexcept>
#include <zlib.h>

namespace tidemark::binlog::test {

Bytes& Bytes::packed(uint64_t v) {
    if (v < 251) return u8(v);
    if (v < 0x10000) return u8(0xFC).le(v, 2);
    if (v < 0x1000000) return u8(0xFD).le(v, 3);
    return u8(0xFE).le(v, 8);
}

Bytes& Bytes::hex(std::string_view digits) {
    std::string clean;
    for (char c : digits)
        if (std::isxdigit(static_cast<unsigned char>(c))) clean += c;
    if (clean.size() % 2) throw std::invalid_argument("odd hex string");
    for (size_t i = 0; i < clean.size(); i += 2) u8(std::stoul(clean.substr(i, 2), nullptr, 16));
    return *this;
}

std::string makeEvent(uint8_t type, std::string_view body, EventOptions o) {
    uint32_t size = static_cast<uint32_t>(19 + body.size() + (o.crc ? 4 : 0));
    Bytes b;
    b.u32(o.timestamp).u8(type).u32(o.serverId).u32(size).u32(o.logPos ? *o.logPos : o.startPos + size).u16(o.flags);
    b.raw(body);
    std::string s = b;
    if (o.crc) {
        uint32_t c =
            static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
        s = Bytes().raw(s).u32(c);
    }
    return s;
}

namespace {
std::string fde(std::string_view version, const std::vector<uint8_t>& postHeaders, bool crc) {
    Bytes b;
    b.u16(4);
    std::string v(version);
    v.resize(50, '\0');
    b.raw(v).u32(1700000000).u8(19);
    for (uint8_t p : postHeaders) b.u8(p);
    b.u8(crc ? 1 : 0);
    std::string body = b;
    if (crc) return makeEvent(15, body, {.crc = true});
    // Checksum-aware servers still write 4 (unused) checksum bytes after alg = OFF.
    return makeEvent(15, Bytes().raw(body).u32(0).str(), {});
}
}  // namespace

std::string mysqlFde(bool crc) {
    // As written by MySQL 8.0.28 (copied from the mysql-bin.compressed fixture).
    std::vector<uint8_t> ph = {0, 13, 0, 8, 0, 0, 0, 0, 4,  0,  4,  0,  0,  0, 98, 0,  4, 26, 8,  0, 0,
                               0, 8,  8, 8, 2, 0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0};
    return fde("8.0.36", ph, crc);
}

std::string mariaFde(bool crc) {
    std::vector<uint8_t> ph(171, 0);
    auto set = [&](int type, uint8_t len) { ph[static_cast<size_t>(type - 1)] = len; };
    set(2, 13);
    set(4, 8);
    set(15, 84);
    set(19, 8);
    set(23, 8);
    set(24, 8);
    set(25, 8);
    set(160, 0);
    set(161, 4);
    set(162, 19);
    set(163, 4);
    set(165, 13);
    set(166, 8);
    set(167, 8);
    set(168, 8);
    set(169, 10);
    set(170, 10);
    set(171, 10);
    return fde("10.11.6-MariaDB-log", ph, crc);
}

std::string tableMapBody(uint64_t tableId, std::string_view db, std::string_view table,
                         const std::vector<ColumnSpec>& columns, std::string_view optionalMeta) {
    Bytes b;
    b.u48(tableId).u16(1);
    b.u8(db.size()).raw(db).u8(0);
    b.u8(table.size()).raw(table).u8(0);
    b.packed(columns.size());
    std::string meta;
    for (const auto& c : columns) {
        b.u8(c.type);
        meta += c.meta;
    }
    b.packedStr(meta);
    std::vector<size_t> nullable;
    for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i].nullable) nullable.push_back(i);
    b.raw(bitmap(columns.size(), nullable));
    b.raw(optionalMeta);
    return b;
}

std::string bitmap(size_t columns, const std::vector<size_t>& set) {
    std::string s((columns + 7) / 8, '\0');
    for (size_t i : set) s[i / 8] = static_cast<char>(s[i / 8] | (1 << (i % 8)));
    return s;
}

std::string allSet(size_t columns) {
    std::vector<size_t> all;
    for (size_t i = 0; i < columns; ++i) all.push_back(i);
    return bitmap(columns, all);
}

std::string rowsBody(int version, uint64_t tableId, uint16_t flags, size_t columns, const std::string& bitmap1,
                     const std::string* bitmap2, std::string_view rows) {
    Bytes b;
    b.u48(tableId).u16(flags);
    if (version == 2) b.u16(2);
    b.packed(columns).raw(bitmap1);
    if (bitmap2) b.raw(*bitmap2);
    b.raw(rows);
    return b;
}

std::vector<Event> decodeAll(EventDecoder& d, const std::string& raw, uint64_t position) {
    std::vector<Event> out;
    d.decode(std::string_view(raw), out, position);
    return out;
}

std::string mariaCompress(std::string_view data) {
    uLongf len = compressBound(static_cast<uLong>(data.size()));
    std::string z(len, '\0');
    if (compress(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(data.data()),
                 static_cast<uLong>(data.size())) != Z_OK)
        throw std::runtime_error("compress failed");
    z.resize(len);
    Bytes b;
    b.u8(0x80 | 4).be(data.size(), 4).raw(z);
    return b;
}

}  // namespace tidemark::binlog::test
