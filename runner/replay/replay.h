// Incremental replication: keeps the target in step with the source's binlog until stopped.
//
//   source ──binlog_streamer──> txn_assembler (EventDecoder + schema_tracker hints): whole
//     transactions → batcher: batches (size/time bounded, never splitting a transaction below
//     maxHeldTxnBytes) → causality shares → applier: N target connections, one transaction per
//     share (or per piece of a share above limits.maxTxnBytes) with its checkpoint row in
//     tidemark_meta (exactly once: see checkpoint.h), each fenced against other runners of the
//     job (fence.h)
//   DDL (ddl_runner): drain, apply on the target (translated), checkpoint, reload the tracked
//     definition.
//   progress (its own thread): the status block, lag and stalls.
// All of it runs on the caller's thread except the streamer's reader, the applier's connections, the
// lease keeper (fence.h) and progress; replay.cpp opens the connections, resumes from the checkpoint
// and wires the parts.
//
// Resumes from tidemark_meta's checkpoint for the job when there is one (the start option is
// then ignored); otherwise starts at ReplayOptions::start, or at the source's current position
// ("now"), which is checkpointed before the first change is read.
//
// Memory: a source transaction is held until its batch commits, up to maxHeldTxnBytes of its
// binlog; a larger one is applied in pieces as it arrives (alone, one connection, each piece
// with a checkpoint inside the transaction: checkpoint.h), so memory stays bounded whatever the
// transaction size. The stream's read-ahead is bounded by bytes (binlog_streamer.h).
//
// Limits: rows of different shares of one batch become visible on the target at slightly
// different moments (each batch is consistent once all its shares commit), and a source
// transaction applied in pieces becomes visible piece by piece. XA: XA PREPARE is a batch of its
// own (Batch::xaStep Prepare), and XA COMMIT / XA ROLLBACK another (Commit / Rollback); the
// applier keeps what undoes a prepared transaction until then. A binlog group ending in ROLLBACK
// applies the changes of tables non-transactional at the source (which the source keeps) and
// drops the rest; such a group is never split into pieces while it is known to hold them.
// Status: progress.h (lag, stalled).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "api/migration_job.h"
#include "runner/db/dialect/limits.h"
#include "runner/replay/position.h"
#include "runner/replay/table_starts.h"
#include "runner/db/connection.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

struct Batch;  // change.h

struct ReplayOptions {
    // Where to start without a checkpoint: a file/pos, or a GTID set (file empty), e.g. the full
    // copy's replayFrom. Empty = the source's current position ("now").
    std::optional<Position> start;
    // The full copy's snapshot position: safe mode stays on until the stream passes it.
    std::optional<Position> safeUntil;
    // Tables the full copy read wholly at a snapshot later than `start` (a resumed copy): their
    // row changes and DDL ending at or before that snapshot are already in the target and are
    // dropped (table_starts.h), also when replay resumes from its own checkpoint (a restart
    // before the stream passed them).
    TableStarts tableStarts;
    // The job was restarted after an error (the CLI's --restart, the operator's "restart"):
    // replay the stretch around the error in safe mode, replacing conflicting target rows.
    bool restartAfterError = false;
    int workers = 0;          // 0: capacityPlan(job.capacity).workers
    std::string replicaName;  // names the replica server id; "" = "tidemark-" + job.name
    std::chrono::milliseconds heartbeat{1000};
    // Batching: a batch closes at the first transaction boundary past any of these.
    size_t maxBatchRows = 20000;
    size_t maxBatchBytes = 32u << 20;
    std::chrono::milliseconds maxBatchDelay{200};
    // A source transaction whose held binlog bytes pass this is applied in pieces (see above).
    size_t maxHeldTxnBytes = 8u << 20;
    // What one target transaction may hold. A batch closes before its source bytes reach half
    // of limits.maxTxnBytes (a value's SQL literal can be twice its binlog bytes), and a share
    // still above it is applied in several transactions, each with its checkpoint (checkpoint.h).
    db::dialect::TxnLimits limits;
    // Stop (return normally) once the applied position reaches this, when set. For tests and
    // benchmarks ("catch up to here").
    std::optional<Position> stopAt;
    // Fencing (fence.h). Another runner may take the job over once this one has not renewed its
    // lease for `lease` (a thread renews it every lease/3; at once when all its connections are
    // gone), so keep it above the longest pause a live runner may see; a starting runner waits up
    // to takeoverTimeout for the holder, then retries like any other retryable error.
    std::chrono::milliseconds lease{30000};
    std::chrono::milliseconds takeoverTimeout{60000};
    // Names this runner in the fence; "" = host:pid:random. Runners of one job in one process
    // (tests) need distinct ids, else they take the job from each other at once.
    std::string runnerId;
    // Source positions ("binlog-file:offset" where the DDL's event ends, as errors name it) of DDL
    // statements to checkpoint without running (spec.ddl.skip); each is reported in
    // status.incremental.skippedDdl.
    std::set<std::string> skipDdl;
    // Called on replay's thread once a batch of row changes committed whole on the target (its end
    // is then the applied position), in stream order; unset = nothing. Must be quick and must not
    // throw (runner/validate/ queues the batch's keys).
    std::function<void(const Batch&)> onCommitted;
};

// Runs until `stop` is set (returns normally) or a non-retryable error (throws ReplayError /
// DuplicateKeyError; FencedOut when another runner took the job over). Lost source or target
// connections and source restarts are retried with backoff from the last checkpoint.
void runReplay(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
               const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop);

}  // namespace tidemark::replay
