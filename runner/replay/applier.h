// Applies batches to the target on N parallel connections, one target transaction per share,
// each committing its checkpoint row with the rows it covers (the invariant is in checkpoint.h).
//
// submit() returns at once; the batch is applied while the coordinator builds the next one.
// wait() blocks until the in-flight batch is fully committed and rethrows the first error:
// DuplicateKeyError (naming table and key) or ReplayError. A retryable target error (lost
// connection, deadlock) is retried here with a fresh connection; an ambiguous COMMIT is settled
// by reading the share's checkpoint row back.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "runner/replay/causality.h"
#include "runner/replay/change.h"
#include "runner/replay/checkpoint.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

// TIDEMARK_REPLAY_TRACE set in the environment: batches and statements go to stderr (debugging).
bool traceEnabled();

// Session settings the literals of binlog/sql_literal.h rely on (UTC, a sql_mode that takes a
// non-strict source's legacy values as they are), plus multi-statement mode.
void prepareTargetSession(db::Connection& c);

class Applier {
public:
    Applier(const db::ConnectOptions& target, int connections, const CheckpointStore& store);
    ~Applier();
    Applier(const Applier&) = delete;
    Applier& operator=(const Applier&) = delete;

    // Starts applying `batch` (waits for the previous batch first). `committed[w]` marks shares
    // already in the target (recovery); they are skipped.
    void submit(std::shared_ptr<const Batch> batch, std::vector<bool> committed = {});
    void wait();
    bool idle() const;

    // Runs a DDL batch on connection 0 and checkpoints it (share 0's row). With
    // `alreadyMaybeApplied`, errors saying the change is already there count as success.
    // Returns false when it was judged already applied.
    bool applyDdl(const Batch& batch, bool alreadyMaybeApplied);

    db::Connection& connection(int i);
    int connections() const;
    uint64_t rowsApplied() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::replay
