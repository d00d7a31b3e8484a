#include "runner/replay/stream_order.h"

#include <stdexcept>
#include <string>

namespace tidemark::replay {

namespace {

std::optional<GtidSet> mysqlSet(std::string_view text) {
    // MariaDB's "domain-server-seq" has no colon: no parse for it on the per-transaction path.
    if (text.find(':') == std::string_view::npos) return std::nullopt;
    try {
        GtidSet set = GtidSet::parse(text);
        if (set.empty() || set.isMaria()) return std::nullopt;
        return set;
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

// Whether `a` holds every GTID of `b`: adding b's intervals to a changes nothing.
bool contains(const GtidSet& a, std::string_view b) {
    return GtidSet::parse(a.text() + "," + std::string(b)).text() == a.text();
}

std::string_view baseName(std::string_view file) { return file.substr(0, file.rfind('.')); }

}  // namespace

bool isMysqlGtidSet(std::string_view text) { return mysqlSet(text).has_value(); }

std::optional<int> compareGtidSets(const Position& a, const Position& b) {
    auto sa = mysqlSet(a.gtidSet), sb = mysqlSet(b.gtidSet);
    if (!sa || !sb) return std::nullopt;
    const bool aHasB = contains(*sa, b.gtidSet), bHasA = contains(*sb, a.gtidSet);
    if (aHasB && bHasA) return 0;
    if (aHasB) return 1;
    if (bHasA) return -1;
    return std::nullopt;
}

int compareStreamPositions(const Position& a, const Position& b) {
    auto byGtid = compareGtidSets(a, b);
    if (!byGtid) return comparePositions(a, b);
    if (*byGtid != 0) return *byGtid;
    if (a.known() && b.known() && baseName(a.file) == baseName(b.file)) return comparePositions(a, b);
    return 0;
}

Position resumePoint(const Position& p) {
    if (isMysqlGtidSet(p.gtidSet)) return Position{"", 0, p.gtidSet};
    return p;
}

}  // namespace tidemark::replay
