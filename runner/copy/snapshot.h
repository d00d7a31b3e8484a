// A consistent snapshot of the source shared by every reader, with the binlog position it
// corresponds to, using only SELECT, LOCK TABLES and REPLICATION CLIENT.
//
//  - MariaDB: every reader opens START TRANSACTION WITH CONSISTENT SNAPSHOT (sent to all at
//    once) and reads binlog_snapshot_file/position; equal positions mean identical snapshots,
//    so no lock is taken. If they keep differing (a busy source), LOCK TABLES ... READ is held
//    while the readers open theirs.
//  - MySQL: FLUSH TABLES WITH READ LOCK when granted, else LOCK TABLES ... READ on the
//    selected tables, while the readers open their snapshots; SHOW MASTER STATUS; unlock.
//  - Neither lock granted: the position before and after the readers opened theirs
//    (`from` and `until`): replaying idempotently between them makes the copy consistent.
#pragma once

#include "runner/copy/full_copy.h"

#include <string>
#include <utility>
#include <vector>

namespace tidemark::copy {

struct Snapshot {
    std::vector<db::Connection> readers;   // each inside its consistent-snapshot transaction
    BinlogPosition from, until;            // equal when all readers share one snapshot position
    double lockSeconds = 0;
    std::string method;                    // how it was taken, for the status notes
};

// Sets a reading session up: bytes as stored (SET NAMES binary), UTC, long network timeouts.
void prepareReadSession(db::Connection& c);

Snapshot openSnapshot(const db::ConnectOptions& source, int readers,
                      const std::vector<std::pair<std::string, std::string>>& tables, SnapshotMethod method);

// Orders binlog positions (file name, then offset).
bool positionLess(const BinlogPosition& a, const BinlogPosition& b);

}  // namespace tidemark::copy
