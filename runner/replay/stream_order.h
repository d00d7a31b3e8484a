// Ordering points of the binlog stream when they may come from different servers.
//
// File positions order the stream of one server only: after a failover to a replica, the same
// transaction sits at another file and offset. A MySQL GTID set (gtid_mode=ON) names what was
// executed wherever it was logged, so two points that both carry one are ordered by set
// inclusion, on one server or across a source and its replicas. MariaDB's GTID state (the last
// sequence number per domain) and positions without a set fall back to file order.
#pragma once

#include <optional>
#include <string_view>

#include "runner/replay/position.h"

namespace tidemark::replay {

// True for a non-empty MySQL-style GTID set ("uuid:1-5,..."), the kind COM_BINLOG_DUMP_GTID takes.
bool isMysqlGtidSet(std::string_view text);

// By MySQL GTID set: 0 when equal, -1 when a's is a proper subset of b's, 1 when a proper superset;
// nothing when either lacks a MySQL set or neither contains the other.
std::optional<int> compareGtidSets(const Position& a, const Position& b);

// compareGtidSets() when it decides; equal sets fall back to file order within one binlog
// sequence (a rotation moves the position, not the set) and count as equal across servers.
// Otherwise comparePositions().
int compareStreamPositions(const Position& a, const Position& b);

// Where to reconnect to resume at `p`: only its GTID set when it has a MySQL one (the source
// then finds the files itself, so a replica with other file names serves it too), else `p`.
Position resumePoint(const Position& p);

}  // namespace tidemark::replay
