// Incremental replication: keeps the target in step with the source's binlog until stopped.
//
//   source ──binlog_streamer──> EventDecoder (+ schema_tracker hints) ──> coordinator:
//     whole transactions → batches (size/time bounded, never splitting a transaction)
//     → causality shares → applier: N target connections, one transaction per share (or per
//     piece of a share above limits.maxTxnBytes) with its checkpoint row in tidemark_meta
//     (exactly once: see checkpoint.h), each fenced against other runners of the job (fence.h)
//   DDL: drain, apply on the target (translated), checkpoint, reload the tracked definition.
//
// Resumes from tidemark_meta's checkpoint for the job when there is one (the start option is
// then ignored); otherwise starts at ReplayOptions::start, or at the source's current position.
//
// Limits: a source transaction is held in memory whole until its batch commits (memory grows
// with the largest transaction); rows of different shares of one batch become visible on the
// target at slightly different moments (each batch is consistent once all its shares commit),
// and a source transaction larger than limits.maxTxnBytes becomes visible piece by piece;
// XA transactions are applied at XA PREPARE (a later XA ROLLBACK is not undone).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "api/migration_job.h"
#include "runner/db/dialect/limits.h"
#include "runner/replay/position.h"
#include "runner/db/connection.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

struct ReplayOptions {
    // Where to start without a checkpoint: a file/pos, or a GTID set (file empty), e.g. the full
    // copy's replayFrom. Empty = the source's current position ("now").
    std::optional<Position> start;
    // The full copy's snapshot position: safe mode stays on until the stream passes it.
    std::optional<Position> safeUntil;
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
};

// Runs until `stop` is set (returns normally) or a non-retryable error (throws ReplayError /
// DuplicateKeyError; FencedOut when another runner took the job over). Lost source or target
// connections and source restarts are retried with backoff from the last checkpoint.
void runReplay(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
               const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop);

}  // namespace tidemark::replay
