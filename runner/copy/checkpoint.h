// The copy's checkpoint in the target schema `tidemark_meta`, keyed by job name: the snapshot
// positions the copy used, each table's plan (chunk key ranges) and which chunks are done.
//
// Every change is one statement or one transaction, so a SIGKILL at any moment leaves either
// the old or the new state. A chunk is marked done only after all its rows are committed;
// a chunk marked started may have some of its rows in the target and is cleaned before reuse.
// Thread-safe: one connection behind a mutex (the writes are few, one or two per chunk).
//
// Chunk ranges are stored as data (chunk_range.h), column copy_chunk.bounds. A checkpoint from a
// tidemark that stored them as SQL text (column where_sql) is migrated to the new column when a
// Checkpoint opens it; its chunk rows then have no bounds, and a copy still running under that
// checkpoint cannot be resumed: tables() refuses it with a CopyError saying what to do.
#pragma once

#include "runner/copy/chunk_range.h"
#include "runner/copy/full_copy.h"
#include "runner/copy/schema_translate.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::copy {

enum class ChunkState { Planned = 0, Started = 1, Done = 2 };
// Creating: the table's record exists, the target table may not yet; Planned: chunks recorded;
// DataDone: every chunk done; Complete: deferred indexes added.
enum class TableState { Creating = 0, Planned = 1, DataDone = 2, Complete = 3 };

struct ChunkRecord {
    int no = 0;
    ChunkRange range;  // the key range (whole: a table without a key)
    ChunkState state = ChunkState::Planned;
};

struct TableRecord {
    std::string db, name;
    TableState state = TableState::Creating;
    std::vector<DeferredIndex> deferred;
    std::vector<ChunkRecord> chunks;
    std::uint64_t estimatedRows = 0;
    // The source's definition when the table's copy was planned (sourceDefinition() in
    // full_copy.cpp); "" when an earlier tidemark recorded the table.
    std::string definition;
};

struct SnapshotRecord {
    int seq = 0;
    BinlogPosition from, until;  // equal unless the snapshot's workers saw different positions
};

using TableKey = std::pair<std::string, std::string>;

class Checkpoint {
public:
    // Connects to the target and creates `tidemark_meta` and its tables when missing.
    Checkpoint(const db::ConnectOptions& target, std::string job);

    // The job's state: nothing (fresh), "copying" or "done".
    std::optional<std::string> jobState();
    void beginJob(std::string_view mode);
    void finishJob();

    std::vector<SnapshotRecord> snapshots();
    int addSnapshot(const BinlogPosition& from, const BinlogPosition& until);

    // Throws CopyError when a chunk's stored range is unreadable (from an earlier tidemark).
    std::map<TableKey, TableRecord> tables();
    void recordTable(const TableKey& t, const std::vector<DeferredIndex>& deferred, std::uint64_t estimatedRows,
                     const std::string& definition);
    void recordPlan(const TableKey& t, const std::vector<ChunkRecord>& chunks);
    void markStarted(const TableKey& t, int chunk, int snapshotSeq);
    void markDone(const TableKey& t, int chunk, std::uint64_t rows, std::uint64_t bytes);
    void markTable(const TableKey& t, TableState state);

    // Tables whose chunks are all done and were all read at one snapshot, with that snapshot's
    // seq (a table copied before chunks recorded their snapshot is not listed).
    std::map<TableKey, int> wholeTableSnapshots();

    // Rows and bytes of the chunks already done (by earlier runs, on a resume).
    std::pair<std::uint64_t, std::uint64_t> copiedSoFar();

    // The chunk plan stored for a table (verify reuses the copy's ranges); empty when there is
    // none or when it is not readable by this version.
    std::vector<ChunkRecord> plan(const TableKey& t);

private:
    std::mutex mutex_;
    db::Connection conn_;
    std::string job_;
};

}  // namespace tidemark::copy
