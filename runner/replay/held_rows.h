// Held rows (spec.shardDdl.mode Pessimistic, shard_ddl_locks.h): the row changes of a shard that
// issued a change its merged table has not taken yet. They cannot go to the merged table (their
// shape is the shard's new one), so replay writes the statements it would have run, built against
// the shard's new definition, into tidemark_meta.ddl_held_rows, and runs them once the step they
// wait for is applied.
//
//   ddl_held_rows (job, merged_db, merged_table, instance, batch, share, piece, k, step, source_db,
//                  source_table, stmt)
//
// Contracts:
//  - Exactly once: a held statement is inserted inside the applier's transaction that moves its
//    share's checkpoint (checkpoint.h), and run and deleted in one transaction, under the merged
//    table's coordination lock: the one that applies its step (with that step's DDL checkpoint),
//    or, for many held rows, one of the transactions before it (after the step's DDL ran). Rows
//    held meanwhile by other runners wait for the last of them, which marks the step applied.
//  - Order: (instance, batch, share, piece, k) orders one shard's statements as replay produced
//    them (a shard is read by one instance; changes of one key share a share, in order).
#pragma once

#include <cstdint>
#include <string>

#include "runner/consolidate/router.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

// Where a held statement stands in its instance's stream of statements.
struct HeldOrder {
    uint64_t batch = 0;
    int share = 0;
    uint64_t piece = 0;  // the piece's first change in its share
    uint64_t k = 0;      // the statement's index in the piece's held statements
};

// Creates tidemark_meta.ddl_held_rows when missing (outside any transaction).
void ensureHeldRowsTable(db::Connection& target);

// The statement that holds `sql` (one statement for the merged table) of `shard` at `step`.
std::string holdStatement(const std::string& jobKey, const std::string& instanceKey,
                          const consolidate::TableName& merged, const consolidate::TableName& shard, uint64_t step,
                          const HeldOrder& order, const std::string& sql);

// Inside a transaction holding `merged`'s coordination lock: runs the held statements of `merged`
// at a step up to `step`, in order, and deletes them, stopping after about `maxBytes` of
// statements. Adds how many ran to `ran`; true when none is left. Throws db::DbError.
bool releaseHeldRows(db::Connection& c, const std::string& jobKey, const consolidate::TableName& merged, uint64_t step,
                     size_t maxBytes, uint64_t& ran);

// How many statements are held for `merged` (for the status).
uint64_t heldRowCount(db::Connection& c, const std::string& jobKey, const consolidate::TableName& merged);

}  // namespace tidemark::replay
