#include "runner/binlog/events.h"

#include <cstdio>

namespace tidemark::binlog {

namespace {
std::string uuidText(const std::array<uint8_t, 16>& b) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return buf;
}
}  // namespace

std::string MysqlGtid::sidText() const { return uuidText(sid); }

std::string MysqlGtid::tsidText() const { return tag.empty() ? sidText() : sidText() + ":" + tag; }

std::string MysqlGtid::text() const {
    if (anonymous) return "ANONYMOUS";
    return tsidText() + ":" + std::to_string(gno);
}

std::string PreviousGtids::text() const {
    std::string s;
    const std::array<uint8_t, 16>* last = nullptr;
    for (const Sid& sidEntry : sids) {
        // One entry per uuid, its tags after its untagged intervals: "uuid:1-3:tag:1-5".
        if (!last || *last != sidEntry.sid) {
            if (!s.empty()) s += ",";
            s += uuidText(sidEntry.sid);
            last = &sidEntry.sid;
        }
        if (!sidEntry.tag.empty()) s += ":" + sidEntry.tag;
        for (const GtidInterval& iv : sidEntry.intervals) {
            s += ":" + std::to_string(iv.start);
            if (iv.end - 1 != iv.start) s += "-" + std::to_string(iv.end - 1);
        }
    }
    return s;
}

std::string MariaGtid::text() const {
    return std::to_string(domainId) + "-" + std::to_string(serverId) + "-" + std::to_string(seqNo);
}

}  // namespace tidemark::binlog
