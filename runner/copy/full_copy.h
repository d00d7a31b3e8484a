// The full copy of existing data: a consistent, chunked, parallel, resumable copy of the job's
// selected tables from the source into the target, and its verification.
//
// Contracts:
//  - The copy is identical to the source at one snapshot (one binlog position) when it runs in
//    one go. When it resumes after an interruption it has to open a new snapshot for the chunks
//    left; FullCopyResult then names the earliest and the latest snapshot, and the incremental
//    stage must replay idempotently (safe mode) from `replayFrom` until past `safeUntil`, and
//    must drop the changes of each table in `tableStarts` that end at or before its position
//    (replay/table_starts.h): that table was read wholly at that later snapshot, and a change
//    applied twice duplicates rows where safe mode cannot help (no key, or NULLs in the only
//    unique key).
//  - On a resume, an unfinished table whose source definition changed since its copy was
//    planned (an ALTER between runs) is dropped on the target, created again from the source's
//    current definition and copied again whole at the new snapshot; its earlier changes, DDL
//    included, are then in tableStarts' range.
//  - Progress lives in the target schema `tidemark_meta` (keyed by job name), written so that a
//    SIGKILL at any moment leaves a state the next call resumes from, recopying only unfinished
//    chunks, without duplicating rows (also for tables without a key: those are one unit).
//  - Logical mode REPLACEs rows (duplicate keys in the target are replaced by the source's row).
//    Physical mode needs empty target tables and refuses a non-empty one, naming it.
//  - Routes (spec.routes) decide each source table's target table (target_table.h); several
//    source tables may merge into one (logical mode only). Rows of two shards that the target's
//    key would take for one stop the copy before it writes (CopyError naming both shards and the
//    key, shard_conflicts.h). Rows an insert row filter (spec.rowFilters) makes TRUE are not
//    copied. Checkpoints and tableStarts name the source tables.
//  - Errors are db::DbError (one line naming the endpoint and the table; `retryable()` tells
//    whether running again may help) or CopyError; the checkpoint stays resumable either way.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"
#include "runner/db/dialect/limits.h"
#include "runner/status/status_sink.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::copy {

struct BinlogPosition {
    std::string file;  // empty when the source writes no binlog
    std::uint64_t pos = 0;
    std::string gtidSet;  // MySQL executed GTID set or MariaDB domain-server-seq list
    bool operator==(const BinlogPosition&) const = default;
};

// A table read wholly at one snapshot, and that snapshot's position (its `from`: the earliest of
// its readers, so that no change is dropped that the copy may lack).
struct TableStartPosition {
    std::string database, table;
    std::string file;
    std::uint64_t pos = 0;
    std::string gtidSet;
};

struct FullCopyResult {
    BinlogPosition replayFrom;  // where the incremental stage must start (earliest snapshot)
    BinlogPosition safeUntil;   // replay in safe mode until past this (latest snapshot); == replayFrom if one
    bool resumed = false;       // a previous run's checkpoint was used
    std::uint64_t rows = 0;     // rows copied by this call
    std::uint64_t bytes = 0;    // value bytes copied by this call
    double lockSeconds = 0;     // time the source tables were locked (0 on MariaDB)
    // Every table whose chunks were all read at one snapshot (also rebuilt from tidemark_meta
    // when the copy had finished before).
    std::vector<TableStartPosition> tableStarts;
};

// The copy was stopped through `stop`; the checkpoint is resumable.
class CopyInterrupted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A problem the user must fix (a target table with different columns, physical mode into a
// non-empty table, ...). One line, naming the table.
class CopyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class SnapshotMethod {
    Auto,        // MariaDB: binlog_snapshot_* without locks (locks only if the workers' snapshots
                 // keep differing); MySQL: LOCK TABLES ... READ on the selected tables, else
                 // FLUSH TABLES WITH READ LOCK
    LockTables,  // always LOCK TABLES ... READ while the workers open their snapshots
};

// Tuning knobs. Zero means "derive it": from the job's capacity, the table sizes, or the
// environment (TIDEMARK_COPY_CHUNK_ROWS, TIDEMARK_COPY_WORKERS, TIDEMARK_COPY_WRITERS,
// TIDEMARK_COPY_EXPORT_MIBPS, TIDEMARK_COPY_BATCH_BYTES, TIDEMARK_COPY_LOCK_WAIT_TIMEOUT,
// TIDEMARK_COPY_LOCK_ATTEMPTS, TIDEMARK_COPY_MAX_TXN_BYTES and TIDEMARK_COPY_MAX_ENTRY_BYTES for
// `limits`), in that order of precedence.
struct CopyOptions {
    std::uint64_t chunkRows = 0;    // rows per chunk; 0 = about a second of work per chunk
    int workers = 0;                // source readers (snapshot connections); 0 = capacityPlan
    int writers = 0;                // target connections; 0 = workers
    double exportMiBPerSecond = 0;  // read-rate cap; 0 = capacityPlan's cap; < 0 = none
    std::size_t batchBytes = 0;     // bytes per statement / LOAD DATA; 0 = 128 KiB logical, 4 MiB physical
    SnapshotMethod snapshot = SnapshotMethod::Auto;
    // Each snapshot lock statement waits at most this long (the session's lock_wait_timeout) for
    // the source's running transactions: a waiting lock can hold the source's writes up, so it
    // gives way, and is tried again lockAttempts times before the copy fails (retryably).
    int lockWaitSeconds = 0;  // 0 = 10
    int lockAttempts = 0;     // 0 = 3
    // What one target statement (one autocommitted transaction) may hold: batches are capped at
    // maxTxnBytes on every target; a source row above maxEntryBytes fails the copy naming it. Unset:
    // the defaults, with the row check on a TiDB target only; set: as given, on any target.
    std::optional<db::dialect::TxnLimits> limits;
    std::function<void()> afterSnapshot;  // tests: runs once the snapshot is open, before any read

    // The defaults with the environment variables above applied.
    static CopyOptions fromEnvironment();
};

// Copies the job's selected objects; resumes from tidemark_meta when a previous run was
// interrupted, and returns at once (resumed = true) when that run had finished.
// `stop` is polled: when set, workers finish or abandon their chunk and CopyInterrupted is thrown.
FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop);
FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop,
                           const CopyOptions& options);

// One difference verify found: a whole table's (missing on one side), or a chunk's counts or
// checksums that differ over one key range.
// VerifyDifference::problem of a target table no selected source table is written to.
inline constexpr const char* kOnlyOnTarget = "on the target but not on the source";

struct VerifyDifference {
    std::string database, table;           // the target table
    std::string problem;                   // a whole table's ("missing on the target"); "" for a chunk
    std::string sourceWhere, targetWhere;  // a chunk's key range as SQL on each server; "" = all rows
    std::string range;                     // that range, for people ("all rows", or sourceWhere)
    std::string summary;                   // a chunk's "source N rows, checksums ...; target ..."
    // The source tables compared with it when routed (spec.routes: renamed or merged); empty when
    // the source table has the target's name.
    std::vector<std::pair<std::string, std::string>> sources;
    std::string text() const;  // one line: table (and its sources), key range, counts/checksums
};

struct VerifyResult {
    bool identical = true;
    std::vector<VerifyDifference> differences;  // whole tables first, then chunks in key order
    std::uint64_t rowsCompared = 0;
};

// Compares source and target chunk by chunk (row count and two checksums over the same key
// ranges, the copy's ranges when tidemark_meta has them). Tables missing on either side count
// as differences. A routed table is compared with its source tables (a merged one without extra
// columns as a whole, against the shards' summed checksums); rows an insert row filter drops
// are not expected on the target. The source is read as it is now: stop writes first for a
// meaningful answer.
VerifyResult verify(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
                    status::StatusSink& sink);
VerifyResult verify(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
                    status::StatusSink& sink, const CopyOptions& options);

}  // namespace tidemark::copy
