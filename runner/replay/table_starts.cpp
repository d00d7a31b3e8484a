#include "runner/replay/table_starts.h"

#include "runner/replay/stream_order.h"

namespace tidemark::replay {

TableStarts::TableStarts(const std::vector<TableStart>& starts) {
    for (const auto& s : starts)
        if (s.position.known() || !s.position.gtidSet.empty()) starts_[{s.database, s.table}] = s.position;
}

const Position* TableStarts::find(const std::string& db, const std::string& table) const {
    auto it = starts_.find({db, table});
    return it == starts_.end() ? nullptr : &it->second;
}

bool TableStarts::skip(const std::string& db, const std::string& table, const Position& eventEnd) const {
    const Position* start = find(db, table);
    return start && (eventEnd.known() || !eventEnd.gtidSet.empty()) && compareStreamPositions(eventEnd, *start) <= 0;
}

bool TableStarts::skipStartingAt(const std::string& db, const std::string& table, const Position& txnStart) const {
    const Position* start = find(db, table);
    return start && (txnStart.known() || !txnStart.gtidSet.empty()) && compareStreamPositions(txnStart, *start) < 0;
}

}  // namespace tidemark::replay
