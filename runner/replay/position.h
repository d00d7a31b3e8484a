// Where replay stands in the source's binlog: a file and offset, plus the GTID set executed up
// to there. Positions are always transaction boundaries (the offset after a COMMIT/XID or a
// DDL QUERY), never the middle of a transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::replay {

struct Position {
    std::string file;  // "mysql-bin.000042"; empty = unknown
    uint64_t pos = 0;
    std::string gtidSet;  // MySQL "uuid:1-5,uuid2:1-9" or MariaDB "0-1-100,1-2-7"; may be empty

    bool known() const { return !file.empty(); }
    std::string text() const;  // "mysql-bin.000042:1234"
    bool operator==(const Position& o) const { return file == o.file && pos == o.pos; }
};

// From any {file, pos, gtidSet} struct, e.g. copy::BinlogPosition (FullCopyResult::replayFrom and
// safeUntil), without this library depending on the copy stage.
template <class P>
Position positionFrom(const P& p) {
    return Position{p.file, p.pos, p.gtidSet};
}

// Orders positions by file sequence then offset. Binlog names share a basename and differ in
// their numeric extension, so "x.000010" > "x.000009"; unknown (empty) positions sort first.
int comparePositions(const Position& a, const Position& b);
inline bool before(const Position& a, const Position& b) { return comparePositions(a, b) < 0; }

// A GTID set of either flavor, updated transaction by transaction.
//   MariaDB: the last sequence number per replication domain ("domain-server-seq", one per
//            domain): what @slave_connect_state takes.
//   MySQL:   executed intervals per TSID ("uuid:1-5:7-9"): what COM_BINLOG_DUMP_GTID takes. A
//            TSID is a source uuid, or (MySQL 8.3+) a uuid and a tag: "uuid:tag" in
//            MysqlGtid::tsidText(). Text is MySQL's: one entry per uuid, its untagged intervals
//            first, then each tag's ("uuid:1-3:tag:1-5"); tags are lower case.
// Parsing accepts both; a set is of one flavor (the first GTID decides).
class GtidSet {
public:
    GtidSet() = default;
    // Throws std::invalid_argument on text that is neither flavor.
    static GtidSet parse(std::string_view text);

    void addMaria(uint32_t domain, uint32_t serverId, uint64_t seq);
    // `tsid`: "uuid" or "uuid:tag", either case. Throws std::invalid_argument on a bad one.
    void addMysql(std::string_view tsid, int64_t gno);
    void addMysqlRange(std::string_view tsid, int64_t first, int64_t last);  // inclusive
    bool empty() const { return maria_.empty() && mysql_.empty(); }
    bool isMaria() const { return !maria_.empty(); }
    bool hasTags() const;
    std::string text() const;

    // MySQL's binary encoding (the PREVIOUS_GTIDS body layout) for COM_BINLOG_DUMP_GTID: the
    // tagged format (8.3+) only when the set holds a tag, so older sources get what they know.
    std::string encodeMysql() const;

private:
    struct MariaGtid {
        uint32_t serverId = 0;
        uint64_t seq = 0;
    };
    std::map<uint32_t, MariaGtid> maria_;
    // TSID ("uuid" or "uuid:tag", lower case) -> sorted, disjoint, inclusive [start, end]
    // intervals. The uuid is fixed-width, so the map's order is MySQL's: by uuid, then by tag,
    // the untagged entry first.
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>, std::less<>> mysql_;
};

}  // namespace tidemark::replay
