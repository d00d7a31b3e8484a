#include "runner/binlog/gtid_events.h"

#include <algorithm>

namespace tidemark::binlog {

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

PreviousGtids parsePreviousGtids(ByteReader& r) {
    PreviousGtids p;
    uint64_t n = r.u64();
    if (n >> 56) throw DecodeError("tagged GTID set format (MySQL 8.3+) is not supported");
    for (uint64_t i = 0; i < n; ++i) {
        PreviousGtids::Sid s;
        std::span<const uint8_t> sid = r.span(16);
        std::copy(sid.begin(), sid.end(), s.sid.begin());
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
