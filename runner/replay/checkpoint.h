// Replay checkpoints in the target's `tidemark_meta` schema, committed in the same target
// transactions as the rows they cover.
//
// EXACTLY-ONCE INVARIANT
//   Batch b is the source transactions in [start_b, end_b), split into N_b shares by a pure
//   function of those events (causality.h). Share w commits in ONE target transaction together
//   with its row (job, w) := (b, start_b, end_b, N_b); share 0 always commits (it carries the
//   checkpoint when the other shares are empty), other shares only when they hold changes. Batch
//   b+1 is dispatched only after every share of b committed, and a DDL is its own batch, run
//   after the previous batch committed and checkpointed by share 0 alone right after it.
//   So after a crash at any moment, with B = the highest batch number in the rows: every batch
//   before B is fully in the target, and a share w of B is in the target iff row w says B.
//   Recovery re-reads [start_B, end_B), rebuilds the same shares with N_B, applies exactly the
//   shares whose row does not say B, and continues from end_B: nothing is lost or applied twice,
//   whatever the table's keys (DELETE ... LIMIT 1 on a keyless table commits with its row too).
//   A killed runner's target sessions can outlive it (the server may still be executing the
//   statements it last sent, COMMIT included), so before reading the rows a new run fences them:
//   every applier connection registers its connection id, and startup KILLs the job's registered
//   sessions and waits until they are gone; a reconnecting worker does the same for its old one.
//   A session is identified by the named lock (GET_LOCK) it holds for its lifetime, never by a
//   connection id alone, which the server may have given to someone else since.
//   The one non-transactional step is a DDL (it commits implicitly on MySQL and TiDB): replaying
//   it after a crash between it and its checkpoint is made harmless by IF [NOT] EXISTS rewrites
//   and by treating "already exists / doesn't exist" errors on that first DDL as applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runner/replay/position.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

inline constexpr const char* kMetaSchema = "tidemark_meta";

struct CheckpointRow {
    int worker = 0;
    uint64_t batch = 0;
    int workers = 1;
    Position start, end;
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
    std::vector<bool> committed;  // per share of B: already in the target
    bool complete() const;        // every share committed: resume at `end` with a fresh batch
};

class CheckpointStore {
public:
    explicit CheckpointStore(std::string job) : job_(std::move(job)) {}

    // Creates the schema and tables when missing.
    void ensureTables(db::Connection& target) const;
    // The resume point, or nothing when the job has no replay checkpoint yet.
    std::optional<ResumePoint> load(db::Connection& target) const;
    // The statement that records share `row.worker` of a batch; run inside that share's transaction.
    std::string upsert(const CheckpointRow& row) const;
    // The batch number a worker's row holds now (to settle an ambiguous COMMIT), or nothing.
    std::optional<uint64_t> batchOf(db::Connection& target, int worker) const;

    // Makes `c` connection `index` of this job's applier: it takes the named lock of that index
    // (held until the session ends) and records its id.
    void registerSession(db::Connection& c, int index) const;
    // Ends whatever session holds the lock of applier connection `index` (a killed runner's
    // session still running what it was sent, or a second runner of the same job): KILL, then wait
    // until the server has finished it. Only sessions holding this job's lock are ever killed.
    // Throws a retryable ReplayError when it does not go away in time.
    void fenceIndex(db::Connection& c, int index) const;
    // fenceIndex() for every index this job ever registered.
    void fenceSessions(db::Connection& c) const;

    ReplayJobState loadJobState(db::Connection& target) const;
    void saveSafeUntil(db::Connection& target, const Position& p) const;
    void saveError(db::Connection& target, const Position& at, const std::string& message) const;
    void clearError(db::Connection& target) const;

    const std::string& job() const { return job_; }

private:
    std::string job_;
};

}  // namespace tidemark::replay
