// Shard key conflicts: rows of two source tables routed into one target table that the target's
// PRIMARY or UNIQUE key would take for one row. Written with REPLACE, the later one silently
// replaces the earlier (PingCAP DM loses rows this way); tidemark looks for them before it
// writes and stops, naming both shards and the key.
//
// Contracts:
//  - Reads only, on the connections given; run on a snapshot connection it answers for that
//    snapshot (the full copy runs it inside its consistent snapshot; precheck on a plain session).
//  - A key that holds a route's extra column whose values differ between two shards cannot
//    conflict between them and is not read. Otherwise each pair of shards is joined on the key's
//    other columns (NULLs never conflict, as in a unique index), stopping at the first match.
//  - Cost: one indexed join per pair of shards per such key; keys only are read and reported.
#pragma once

#include "runner/consolidate/router.h"
#include "runner/db/connection.h"

#include <optional>
#include <string>
#include <vector>

namespace tidemark::consolidate {

struct UniqueKey {
    std::string name;                  // PRIMARY, or the UNIQUE index's name
    std::vector<std::string> columns;  // in index order
};

// The PRIMARY and UNIQUE keys of the target table `route` names, read on `target`; when it does
// not exist yet, the ones the copy will create from the source table `shard` (its keys with the
// route's extra columns first, as runner/copy/target_table.h creates them).
std::vector<UniqueKey> targetUniqueKeys(db::Connection& source, const TableName& shard, db::Connection& target,
                                        const Route& route);

struct ShardConflict {
    TableName first, second;                         // the two source tables
    std::string target;                              // "db.table" both route to
    UniqueKey key;                                   // the target key they collide on
    std::vector<std::optional<std::string>> values;  // the key's value (its columns that were compared)
    std::vector<std::string> valueColumns;           // those columns
    // One line: both shards, the key and its value, and the fix (an extra column in the route).
    std::string text() const;
};

// The first key value two of `shards` (source tables that `router` routes to one target table
// with unique keys `keys`) both hold, in shard order, or nothing.
std::optional<ShardConflict> findShardConflict(db::Connection& source, const Router& router,
                                               const std::vector<TableName>& shards,
                                               const std::vector<UniqueKey>& keys);

// The first key value two shards of any target table that `job` merges both hold (each merged
// group in turn, on `source` as it is now, with the target's keys read on `target`), or nothing.
// Replay asks it when the target refuses a duplicate key, to name both shards.
std::optional<ShardConflict> findAnyShardConflict(db::Connection& source, db::Connection& target,
                                                  const api::MigrationJob& job);

}  // namespace tidemark::consolidate
