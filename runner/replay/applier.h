// Applies batches to the target on N parallel connections, one target transaction per share (or
// per piece of a share above limits.maxTxnBytes), each committing its checkpoint row with the
// rows it covers and each fenced (the invariant is in checkpoint.h, fencing in fence.h).
//
// submit() returns at once; the batch is applied while the coordinator builds the next one.
// wait() blocks until the in-flight batch is fully committed and rethrows the first error:
// DuplicateKeyError (naming table and key), FencedOut, or ReplayError. Target errors are handled
// by their class (db/dialect/errors.h): RetryTxn is rolled back and retried with backoff,
// Reconnect retried on a fresh connection, Split retried in pieces half the size, the rest end
// replay. Every attempt first reads its share's checkpoint row, so a COMMIT whose outcome is
// unknown is never applied twice.
//
// Values: the copy's rule (copy/logical_writer.cpp). A piece commits only once its statements
// left no warning that means the target stored another value (truncated, clamped, out of range,
// incorrect for the column); such a warning ends replay with a ReplayError that is not retried,
// naming the table, the source positions and the warning, and the piece is rolled back. The ENUM
// '' of a non-strict source (index 0, stored as '' again) passes, as in the copy.
//
// XA (Batch::xaStep): a prepared transaction's changes commit with their undo statements in
// tidemark_meta.replay_xa_undo (job, xid, seq, stmt) and the checkpoint row; its XA COMMIT deletes
// them, its XA ROLLBACK runs them newest first and deletes them, in share 0's transaction with
// the checkpoint row. So each happens once, across crashes. Undo needs full row images.
//
// PESSIMISTIC SHARD DDL (ApplierOptions::shardDdl, shard_ddl_locks.h): a change of a shard whose
// step is past its merged table's applied step is held, not applied: the statements that would
// have run go into tidemark_meta.ddl_held_rows (held_rows.h) in the same piece transaction, which
// first locks the merged table's coordination row and re-plans the piece when another runner
// applied a step meanwhile.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runner/replay/causality.h"
#include "runner/replay/change.h"
#include "runner/db/connection.h"
#include "runner/db/dialect/limits.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/fence.h"
#include "runner/replay/shard_ddl_locks.h"

namespace tidemark::replay {

// TIDEMARK_REPLAY_TRACE set in the environment: batches and statements go to stderr (debugging).
bool traceEnabled();

// Session settings the literals of binlog/sql_literal.h rely on (UTC, the copy's sql_mode, which
// takes a non-strict source's legacy values as they are: dialect/session.h), plus
// multi-statement mode.
void prepareTargetSession(db::Connection& c);

struct ApplierOptions {
    db::dialect::TxnLimits limits;
    // How often an idle connection renews its fence slot; 0 = a third of the fence's lease.
    std::chrono::milliseconds idleRenewal{0};
    // Pessimistic shard DDL: hold the changes of shards past their merged table's step. Null: none
    // are held. Must outlive the applier.
    ShardDdlLocks* shardDdl = nullptr;
};

// Work done inside a DDL's checkpoint transaction, on the applier's connection, after its fence
// claim and before its checkpoint row (shard DDL bookkeeping, held rows released). Returning false
// commits what it did without the checkpoint row and calls it again in a new fenced transaction:
// work too large for one target transaction goes in parts, each a whole of its own.
using InCheckpoint = std::function<bool(db::Connection&)>;

class Applier {
public:
    // `fence` must hold the job (acquired for at least `connections` slots) and outlive this.
    Applier(const db::ConnectOptions& target, int connections, const CheckpointStore& store, const Fence& fence,
            ApplierOptions options = {});
    ~Applier();
    Applier(const Applier&) = delete;
    Applier& operator=(const Applier&) = delete;

    // Starts applying `batch` (waits for the previous batch first). `committed[w]` marks shares
    // already whole in the target (recovery); they are skipped. A share applied in part resumes
    // where its checkpoint row says.
    void submit(std::shared_ptr<const Batch> batch, std::vector<bool> committed = {});
    void wait();
    bool idle() const;

    // Runs a DDL batch on connection 0 and checkpoints it (share 0's row). Errors saying the
    // change is already there (dialect/errors.h ddlAlreadyApplied) count as success when the DDL
    // may have run before a crash without its checkpoint: while this applier has committed no row
    // change and no DDL (whatever the recovery of the batch before it re-submitted), or when
    // `alreadyMaybeApplied`. Returns false when it was judged already applied.
    // A DDL the target refuses (translation refusal or server error other than a lost
    // connection) throws DdlRejectedError naming the position, the statement and the reason.
    // `inCheckpoint` runs in the transaction of the DDL's checkpoint.
    bool applyDdl(const Batch& batch, bool alreadyMaybeApplied, const InCheckpoint& inCheckpoint = {});
    // Checkpoints a DDL batch without running it (the user listed it in spec.ddl.skip, or a shard's
    // change waits for the other shards), with `inCheckpoint` in the same transaction.
    void skipDdl(const Batch& batch, const InCheckpoint& inCheckpoint = {});
    // Changes held (not applied) for pessimistic shard DDL, since construction.
    uint64_t rowsHeld() const;

    int connections() const;
    uint64_t rowsApplied() const;
    // Target transactions committed for row changes (pieces included), since construction.
    uint64_t transactionsCommitted() const;
    // One line per share of the batches since the last call that took more than one target
    // transaction or resumed in the middle (for the status notes).
    std::vector<std::string> takeSplitNotes();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::replay
