// Per-table start positions handed from the full copy to replay (PingCAP DM's per-table
// checkpoints): a table the copy read wholly at one snapshot already holds every change the
// binlog carries up to that snapshot's position, so replay must not apply those again.
//
// Contracts:
//  - Pure: built from the copy's FullCopyResult::tableStarts (or any list of {db, table,
//    position}); no server, no state beyond that list.
//  - skip(db, table, end) is true exactly when `table` has a start and the source transaction
//    (or DDL) that ends at `end` is at or before it: compareStreamPositions(end, start) <= 0
//    (MySQL GTID sets when both carry one, else file order; a start with neither a file nor a
//    GTID set is ignored). Names match exactly, as the binlog and information_schema spell them.
//    Cost: a map look-up, and a position comparison for tables that have a start (GTID sets are
//    parsed): call it once per transaction and table, not per row.
//  - A table without a start (copied at several snapshots, or not copied) is never skipped: its
//    changes between snapshots are replayed, in safe mode, as before.
//  - Why it matters: replay begins at the copy's earliest snapshot. Without this, a table recopied
//    at a later snapshot on a resume gets the changes in between twice, which safe mode absorbs
//    for keyed tables but duplicates in a table without a key.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runner/replay/position.h"

namespace tidemark::replay {

struct TableStart {
    std::string database, table;
    Position position;  // the snapshot the table was copied at: changes ending here or before are in it
};

class TableStarts {
public:
    TableStarts() = default;
    explicit TableStarts(const std::vector<TableStart>& starts);

    // From the copy's result (copy::FullCopyResult::tableStarts), without depending on the copy.
    template <class Entries>
    static TableStarts from(const Entries& entries) {
        std::vector<TableStart> v;
        for (const auto& e : entries) v.push_back({e.database, e.table, Position{e.file, e.pos, e.gtidSet}});
        return TableStarts(v);
    }

    // True when the change (a row event's transaction, or a DDL) of `db`.`table` that ends at
    // `eventEnd` is already in the table's copy: drop it.
    bool skip(const std::string& db, const std::string& table, const Position& eventEnd) const;

    // A transaction applied in pieces before its end is known: true when it begins before the
    // table's start. Snapshots are transaction boundaries, so a transaction that begins before
    // one ends at or before it.
    bool skipStartingAt(const std::string& db, const std::string& table, const Position& txnStart) const;

    // A DDL naming `tables` (each with .database and .table): skipped when it names at least one
    // table and skip() holds for every one of them (the copy created them all after it).
    template <class Tables>
    bool skipDdl(const Tables& tables, const Position& eventEnd) const {
        bool any = false;
        for (const auto& t : tables) {
            if (!skip(t.database, t.table, eventEnd)) return false;
            any = true;
        }
        return any;
    }

    bool empty() const { return starts_.empty(); }
    std::size_t size() const { return starts_.size(); }

private:
    const Position* find(const std::string& db, const std::string& table) const;
    std::map<std::pair<std::string, std::string>, Position> starts_;
};

}  // namespace tidemark::replay
