#include "runner/binlog/gtid_events.h"

#include <algorithm>
#include <bit>
#include <cctype>

namespace tidemark::binlog {

namespace {

// mysql::serialization's variable-length unsigned integer: the first byte's trailing one bits
// count the extra bytes (0..8), the value follows them, little-endian.
uint64_t readVarlen(ByteReader& r) {
    const uint8_t first = r.u8();
    const int n = std::countr_one(first) + 1;  // bytes in all
    if (n == 1) return first >> 1;
    uint64_t v = n < 8 ? first >> n : 0;
    const uint64_t rest = r.uintLE(static_cast<size_t>(n - 1));
    return v | (rest << (8 - n + ((n + 7) >> 4)));
}

int64_t readVarlenSigned(ByteReader& r) {
    const uint64_t u = readVarlen(r);
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));  // sign in bit 0
}

// A tag as written in GTID_TAGGED and the tagged GTID set format: a varlen length, the bytes.
std::string readTag(ByteReader& r) {
    const uint64_t n = readVarlen(r);
    if (n > 32) throw DecodeError("GTID tag of " + std::to_string(n) + " bytes (at most 32)");
    return std::string(r.bytes(static_cast<size_t>(n)));
}

}  // namespace

MysqlGtid parseMysqlGtid(ByteReader& r, bool anonymous) {
    MysqlGtid g;
    g.anonymous = anonymous;
    g.flags = r.u8();
    std::span<const uint8_t> sid = r.span(16);
    std::copy(sid.begin(), sid.end(), g.sid.begin());
    g.gno = static_cast<int64_t>(r.u64());
    if (r.remaining() >= 17 && r.u8() == 2) {  // logical clock timestamps (5.7+)
        g.lastCommitted = static_cast<int64_t>(r.u64());
        g.sequenceNumber = static_cast<int64_t>(r.u64());
    }
    if (r.remaining() >= 7) {  // 8.0.1+: commit timestamps; bit 55 says an original one follows
        g.immediateCommitTs = r.uintLE(7);
        if (g.immediateCommitTs & (uint64_t{1} << 55)) {
            g.immediateCommitTs &= ~(uint64_t{1} << 55);
            g.originalCommitTs = r.uintLE(7);
        } else {
            g.originalCommitTs = g.immediateCommitTs;
        }
        if (!r.empty()) g.transactionLength = r.packed();
        if (r.remaining() >= 4) {
            g.immediateServerVersion = r.u32();
            if (g.immediateServerVersion & 0x80000000u) {
                g.immediateServerVersion &= 0x7FFFFFFFu;
                g.originalServerVersion = r.u32();
            } else {
                g.originalServerVersion = g.immediateServerVersion;
            }
        }
    }
    return g;
}

MysqlGtid parseMysqlGtidTagged(ByteReader& r) {
    // A message: format version, its size in bytes (counting these header fields), the id of the
    // last field a reader must understand, then (field id, value) pairs in id order; optional
    // fields equal to their default are left out. Field ids are those of MySQL's
    // Gtid_event::define_fields().
    MysqlGtid g;
    const uint8_t* start = r.data();
    readVarlen(r);  // serialization format version
    const uint64_t size = readVarlen(r);
    const uint64_t lastRequired = readVarlen(r);
    constexpr uint64_t kKnownFields = 12;
    if (lastRequired > kKnownFields)
        throw DecodeError("GTID_TAGGED with unknown required field " + std::to_string(lastRequired - 1) +
                          " (written by a newer MySQL)");
    const size_t headerBytes = static_cast<size_t>(r.data() - start);
    if (size < headerBytes || size - headerBytes > r.remaining())
        throw DecodeError("GTID_TAGGED message of " + std::to_string(size) + " bytes does not fit the event");
    ByteReader m(r.span(static_cast<size_t>(size) - headerBytes));
    bool originalTs = false, originalVersion = false;
    while (!m.empty()) {
        const uint64_t id = readVarlen(m);
        switch (id) {
            case 0: g.flags = static_cast<uint8_t>(readVarlen(m)); break;
            case 1:
                for (auto& b : g.sid) b = static_cast<uint8_t>(readVarlen(m));
                break;
            case 2: g.gno = readVarlenSigned(m); break;
            case 3: g.tag = readTag(m); break;
            case 4: g.lastCommitted = readVarlenSigned(m); break;
            case 5: g.sequenceNumber = readVarlenSigned(m); break;
            case 6: g.immediateCommitTs = readVarlen(m); break;
            case 7:
                g.originalCommitTs = readVarlen(m);
                originalTs = true;
                break;
            case 8: g.transactionLength = readVarlen(m); break;
            case 9: g.immediateServerVersion = static_cast<uint32_t>(readVarlen(m)); break;
            case 10:
                g.originalServerVersion = static_cast<uint32_t>(readVarlen(m));
                originalVersion = true;
                break;
            case 11: readVarlen(m); break;  // commit_group_ticket
            default: m = ByteReader();      // a newer, ignorable field: its size is unknown, so stop here
        }
    }
    r.rest();  // anything after the message belongs to no field we know
    if (!originalTs) g.originalCommitTs = g.immediateCommitTs;
    if (!originalVersion) g.originalServerVersion = g.immediateServerVersion;
    for (char& c : g.tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return g;
}

PreviousGtids parsePreviousGtids(ByteReader& r) {
    PreviousGtids p;
    // Untagged: the count. Tagged (8.3+): format 1 in the top byte and in the bottom byte, the
    // count in between.
    const uint64_t word = r.u64();
    const uint8_t format = static_cast<uint8_t>(word >> 56);
    if (format > 1) throw DecodeError("unknown GTID set format " + std::to_string(format));
    const bool tagged = format == 1;
    const uint64_t n = tagged ? (word & 0x00FFFFFFFFFFFF00ULL) >> 8 : word;
    for (uint64_t i = 0; i < n; ++i) {
        PreviousGtids::Sid s;
        std::span<const uint8_t> sid = r.span(16);
        std::copy(sid.begin(), sid.end(), s.sid.begin());
        if (tagged) s.tag = readTag(r);
        uint64_t intervals = r.u64();
        for (uint64_t k = 0; k < intervals; ++k) {
            GtidInterval iv;
            iv.start = static_cast<int64_t>(r.u64());
            iv.end = static_cast<int64_t>(r.u64());
            s.intervals.push_back(iv);
        }
        p.sids.push_back(std::move(s));
    }
    return p;
}

MariaGtid parseMariaGtid(ByteReader& r, uint32_t serverId) {
    MariaGtid g;
    g.seqNo = r.u64();
    g.domainId = r.u32();
    g.serverId = serverId;
    g.flags2 = r.u8();
    const bool xa = g.flags2 & (0x40 | 0x80);  // FL_PREPARED_XA | FL_COMPLETED_XA
    if (g.flags2 & 0x02) {
        g.commitId = r.u64();
    } else if (!xa) {
        r.skip(std::min<size_t>(6, r.remaining()));  // zero padding to the 19-byte post-header
    }
    // The XID follows at once (a server writes no padding before it).
    if (xa) {
        r.u32();  // formatID
        uint8_t gtridLen = r.u8(), bqualLen = r.u8();
        g.xid = r.bytes(static_cast<size_t>(gtridLen) + bqualLen);
    }
    return g;
}

MariaGtidList parseMariaGtidList(ByteReader& r) {
    MariaGtidList list;
    uint32_t count = r.u32() & 0x0FFFFFFF;  // top bits are flags
    for (uint32_t i = 0; i < count; ++i) {
        MariaGtidList::Entry e;
        e.domainId = r.u32();
        e.serverId = r.u32();
        e.seqNo = r.u64();
        list.gtids.push_back(e);
    }
    return list;
}

}  // namespace tidemark::binlog
