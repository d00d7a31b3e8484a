// Fencing: at most one runner of a replay job writes to the target, the same way on MySQL,
// MariaDB and TiDB. A lease with a fencing token (the epoch) lives in the target's
// tidemark_meta.replay_fence, one row per (job, slot): slot -1 is the job's lease (its owner and
// the connection that keeps it), slot i >= 0 is applier connection i. Every row of a job carries
// the epoch of the runner that holds it. Named locks and KILL are not used: TiDB's GET_LOCK is
// lost after max-txn-ttl and its IS_USED_LOCK does not name the holder.
//
// Contracts:
//  - acquire() makes this runner the holder with epoch E+1 in one transaction that rewrites every
//    row of the job, guarded by the epoch E it read. It takes over only when the holder's lease
//    ran out (no row renewed within its lease), when the holder is this runner (same owner: a
//    restart inside one process), or when every connection the holder registered has left the
//    server's process list (a killed runner). Otherwise it waits, and after takeoverTimeout
//    throws a retryable ReplayError naming the holder. A fence that held the job and lost it to
//    another owner does not take it back: acquire() throws FencedOut.
//  - claim(slot) is the first statement of every transaction a runner commits for the job (each
//    applier piece, each DDL checkpoint, each state write). It renews slot's row only while the
//    row still says E; 0 rows affected means another runner took over, and the caller throws
//    FencedOut, which is final for this process. The claimed row stays locked until the
//    transaction ends (InnoDB, TiDB pessimistic), or two writers of it conflict at COMMIT (TiDB
//    optimistic), and acquire() writes every row: so a transaction that passed its claim commits
//    before the takeover or not at all, and once acquire() returned no transaction of an earlier
//    epoch can commit.
//  - Correctness rests on the token alone. Time (the lease, measured by the target's clock) and
//    the process list only decide when a waiting runner may take over (liveness).
//  - Applier connections have one slot each, so parallel workers never contend on a fence row.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "runner/db/connection.h"
#include "runner/replay/errors.h"

namespace tidemark::replay {

// Another runner took the job over: this process must stop writing (not retried).
class FencedOut : public ReplayError {
public:
    explicit FencedOut(const std::string& message) : ReplayError(message, false) {}
};

struct FenceOptions {
    // How long a runner's claim outlives its last renewal (LeaseKeeper renews every lease/3).
    // Keep it above the longest pause a live runner may see; a killed runner is taken over
    // sooner (its connections are gone). Applier sessions idle twice as long are ended by the
    // server (wait_timeout), so a frozen runner's open transaction cannot delay a takeover longer.
    std::chrono::milliseconds lease{30000};
    // How long acquire() waits for the holder before a retryable error.
    std::chrono::milliseconds takeoverTimeout{60000};
    // Identifies this runner; "" = processOwner(). Distinct runners of a job need distinct owners.
    std::string owner;
};

// "host:pid:random", new in every process (also after fork).
std::string processOwner();

class Fence {
public:
    static constexpr int kLeaseSlot = -1;

    Fence(std::string job, FenceOptions options);

    // Creates tidemark_meta.replay_fence when missing (the schema must exist).
    static void ensureTable(db::Connection& c);

    // Takes the job over for `slots` applier connections (see the contract). Returns false when
    // `stop` was set while waiting.
    bool acquire(db::Connection& c, int slots, const std::atomic<bool>* stop = nullptr);

    // The statement that renews `slot` while this runner holds the job; run it first in every
    // transaction and pass its affected rows to checkClaim().
    std::string claim(int slot) const;
    // Throws FencedOut (naming the job and who took it) unless `affected` is 1.
    void checkClaim(db::Connection& c, uint64_t affected) const;
    // START TRANSACTION and the checked claim; the caller writes, then COMMITs or ROLLBACKs.
    void begin(db::Connection& c, int slot) const;
    // The claim alone, autocommitted: a heartbeat that also checks the token.
    void renew(db::Connection& c, int slot) const;
    // Records `c` as the connection of `slot` (checked like a claim): a later runner takes over
    // at once when every recorded connection is gone.
    void registerConnection(db::Connection& c, int slot) const;

    uint64_t epoch() const { return epoch_.load(); }
    const std::string& job() const { return job_; }
    const std::string& owner() const { return options_.owner; }
    std::chrono::milliseconds lease() const { return options_.lease; }

private:
    std::string job_;
    FenceOptions options_;
    std::atomic<uint64_t> epoch_{0};
};

// Renews the job's lease every lease/3 on a connection of its own, so a coordinator busy with a
// long batch or DDL keeps the job. check() throws FencedOut once a renewal found the job taken.
class LeaseKeeper {
public:
    LeaseKeeper(const db::ConnectOptions& target, const Fence& fence);
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    void check() const;

private:
    void run();

    db::ConnectOptions target_;
    const Fence& fence_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool quit_ = false;
    std::string lost_;  // FencedOut's message, once
    std::thread thread_;
};

}  // namespace tidemark::replay
