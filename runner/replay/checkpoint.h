// Replay checkpoints in the target's `tidemark_meta` schema, committed in the same target
// transactions as the rows they cover.
//
// EXACTLY-ONCE INVARIANT
//   Batch b is the source transactions in [start_b, end_b), split into N_b shares by a pure
//   function of those events (causality.h); share w is a list of change indexes in source order.
//   Share w is applied in one or more target transactions ("pieces"), each a contiguous run
//   [k, k') of that list, committing TOGETHER with its row (job, w) := (b, start_b, end_b, N_b,
//   next) where next = k' while the share is unfinished and 0 once it is whole. A piece ends
//   below limits.maxTxnBytes of SQL (or holds one change), preferably at a source transaction
//   boundary; only a larger share has several pieces, and an error of class Split halves one.
//   Share 0 always commits (it carries the checkpoint when the other shares are empty), other
//   shares only when they hold changes. Batch b+1 is dispatched only after every share of b
//   committed whole, and a DDL is its own batch, run after the previous batch committed and
//   checkpointed by share 0 alone right after it.
//   So after a crash at any moment, with B = the highest batch number in the rows: every batch
//   before B is fully in the target, and of share w of B exactly the changes before position
//   next are in the target when row w says B (all of them when next = 0), none otherwise.
//   Recovery re-reads [start_B, end_B), rebuilds the same shares with N_B, applies each share
//   whose row does not say (B, 0) from the position its row names (0 when it does not say B), and
//   continues from end_B: nothing is lost or applied twice, whatever the table's keys (DELETE ...
//   LIMIT 1 on a keyless table commits with its row too). Positions count source row changes,
//   not statements: the statements of a rebuilt batch may differ (safe mode can be on now), its
//   changes cannot.
//   Every such transaction reads its row (FOR UPDATE) right after its fence claim and before
//   writing, so an attempt whose COMMIT answer was lost, or a piece committed by a session that
//   outlived its runner, is seen and skipped rather than applied again.
//   FENCING (fence.h): a killed or stalled runner's target sessions can outlive it (the server
//   may still be executing what it was sent, COMMIT included), and two runners of a job may
//   start. A new run first takes the job over (a new epoch on every fence row of the job) before
//   reading the rows, and every transaction above, every DDL checkpoint and every state write
//   starts by claiming its fence row under that epoch. The takeover waits for any transaction
//   that passed its claim, so everything an earlier epoch committed is in the rows the new run
//   reads, and nothing of an earlier epoch commits afterwards.
//   A SOURCE TRANSACTION TOO LARGE TO HOLD (change.h: Batch::txnOffset) is applied as batches of
//   one share, each a run of its changes: a continuing one commits rows (b, S, S, 1, next) with S
//   the transaction's start and next counting changes from S (never 0), the last one commits
//   (b, S, E, 1, next/0) as any batch. A resume point with start == end and next > 0 is therefore
//   inside that transaction: recovery streams from S, drops the transaction's first `next`
//   changes (ResumePoint::insideTxn) and goes on in pieces.
//   The one non-transactional step is a DDL (it commits implicitly on MySQL and TiDB): it runs
//   right after its connection renewed the lease, and a takeover needs that lease to run out or
//   that connection to be gone. Replaying it after a crash between it and its checkpoint is made
//   harmless by IF [NOT] EXISTS rewrites and by treating "already exists / doesn't exist" errors
//   on that first DDL as applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runner/db/connection.h"
#include "runner/replay/position.h"

namespace tidemark::replay {

class Fence;

inline constexpr const char* kMetaSchema = "tidemark_meta";

struct CheckpointRow {
    int worker = 0;
    uint64_t batch = 0;
    int workers = 1;
    Position start, end;
    uint64_t next = 0;  // 0: the share is whole; else the position of its first change not yet applied
};

// The job-level replay state (not per worker): where safe mode ends and where the last error
// stopped replay.
struct ReplayJobState {
    std::optional<Position> safeUntil;
    std::optional<Position> errorAt;
    std::string errorMessage;
};

// Where to resume and how to rebuild the last batch.
struct ResumePoint {
    uint64_t batch = 0;           // B
    int workers = 1;              // N_B
    Position start, end;          // of batch B
    std::vector<bool> committed;  // per share of B: whole in the target
    std::vector<uint64_t> next;   // per share of B not whole: where it resumes (0 = from the start)
    bool complete() const;        // every share committed: resume at `end` with a fresh batch
    // Inside a source transaction applied in pieces: `start` is where it begins, next[0] how many
    // of its changes are in the target (see the invariant above).
    bool insideTxn() const;
};

class CheckpointStore {
public:
    explicit CheckpointStore(std::string job) : job_(std::move(job)) {}

    // Creates the schema and tables (checkpoints, job state, fence) when missing, and adds the
    // columns a newer version needs to tables an older one created.
    void ensureTables(db::Connection& target) const;
    // The resume point, or nothing when the job has no replay checkpoint yet.
    std::optional<ResumePoint> load(db::Connection& target) const;
    // The statement that records a piece of share `row.worker`; run inside that piece's transaction.
    std::string upsert(const CheckpointRow& row) const;
    // The statement that reads (and locks) share `worker`'s row inside a transaction: columns
    // `batch` and `next`, no row before the share's first commit.
    std::string lockRow(int worker) const;

    // State writes, each in a transaction fenced by `fence` (FencedOut when the job was taken over).
    ReplayJobState loadJobState(db::Connection& target) const;
    void saveSafeUntil(db::Connection& target, const Fence& fence, const Position& p) const;
    void saveError(db::Connection& target, const Fence& fence, const Position& at, const std::string& message) const;
    void clearError(db::Connection& target, const Fence& fence) const;

    const std::string& job() const { return job_; }

private:
    std::string job_;
};

}  // namespace tidemark::replay
