// Incremental replication: keeps the target in step with the source's binlog until stopped.
//
//   source ──binlog_streamer──> EventDecoder (+ schema_tracker hints) ──> coordinator:
//     whole transactions → batches (size/time bounded, never splitting a transaction)
//     → causality shares → applier: N target connections, one transaction per share with its
//     checkpoint row in tidemark_meta (exactly once: see checkpoint.h)
//   DDL: drain, apply on the target (translated), checkpoint, reload the tracked definition.
//
// Resumes from tidemark_meta's checkpoint for the job when there is one (the start option is
// then ignored); otherwise starts at ReplayOptions::start, or at the source's current position.
//
// Limits: a source transaction is held in memory whole until its batch commits (memory grows
// with the largest transaction); rows of different shares of one batch become visible on the
// target at slightly different moments (each batch is consistent once all its shares commit);
// XA transactions are applied at XA PREPARE (a later XA ROLLBACK is not undone).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "api/migration_job.h"
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
    // Stop (return normally) once the applied position reaches this, when set. For tests and
    // benchmarks ("catch up to here").
    std::optional<Position> stopAt;
};

// Runs until `stop` is set (returns normally) or a non-retryable error (throws ReplayError /
// DuplicateKeyError). Lost source or target connections and source restarts are retried with
// backoff from the last checkpoint.
void runReplay(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
               const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop);

}  // namespace tidemark::replay
