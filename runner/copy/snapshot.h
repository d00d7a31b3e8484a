// A consistent snapshot of the source shared by every reader, with the binlog position it
// corresponds to, using only SELECT, LOCK TABLES (or RELOAD) and REPLICATION CLIENT.
//
//  - MariaDB: every reader opens START TRANSACTION WITH CONSISTENT SNAPSHOT (sent to all at
//    once) and reads binlog_snapshot_file/position; equal positions mean identical snapshots,
//    so no lock is taken. If they keep differing (a busy source), LOCK TABLES ... READ is held
//    while the readers open theirs; when that is not granted either, the position before and
//    after the readers opened theirs (`from` and `until`): replaying idempotently between them
//    makes the copy consistent.
//  - MySQL has no snapshot position, only a lock makes one: LOCK TABLES ... READ on the selected
//    tables, else FLUSH TABLES WITH READ LOCK, is held while the readers open their snapshots
//    and SHOW BINARY LOG STATUS is read; then unlocked. LOCK TABLES comes first: it waits only
//    for transactions writing the selected tables, while FTWRL waits for every running
//    statement and, when it gives up, leaves those statements' tables flushed, so that every
//    new statement on them waits until the long one ends. FTWRL is therefore not tried while
//    another session (that the user may see) has a statement running for a second or more.
//    Every lock statement runs with a short lock_wait_timeout and is tried again a few times;
//    neither granted is an error (CopyError naming the privileges), never a silent
//    inconsistent copy; locks that keep timing out are a retryable db::DbError.
#pragma once

#include "runner/copy/full_copy.h"

#include <string>
#include <utility>
#include <vector>

namespace tidemark::copy {

struct Snapshot {
    std::vector<db::Connection> readers;  // each inside its consistent-snapshot transaction
    BinlogPosition from, until;           // equal when all readers share one snapshot position
    double lockSeconds = 0;
    std::string method;  // how it was taken, for the status notes
};

// How long a snapshot lock may wait, and how often it is tried.
struct LockPolicy {
    int waitSeconds = 10;  // the locking session's lock_wait_timeout
    int attempts = 3;      // rounds of lock statements (a pause of `round` seconds between them)
};

// Sets a reading session up: bytes as stored (SET NAMES binary), UTC, db::kMigrationSqlMode, long
// network timeouts.
void prepareReadSession(db::Connection& c);

// Opens `readers` connections inside one snapshot of the source, locking `tables` (db, table)
// when a lock is needed. Throws CopyError when no lock is granted on MySQL (naming the
// privileges), db::DbError (retryable) when the locks keep waiting in vain.
Snapshot openSnapshot(const db::ConnectOptions& source, int readers,
                      const std::vector<std::pair<std::string, std::string>>& tables, SnapshotMethod method,
                      const LockPolicy& lock = {});

// Orders binlog positions (file name, then offset).
bool positionLess(const BinlogPosition& a, const BinlogPosition& b);

}  // namespace tidemark::copy
