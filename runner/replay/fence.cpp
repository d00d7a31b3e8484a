#include "runner/replay/fence.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

#include "runner/db/dialect/errors.h"
#include "runner/db/dialect/flavor.h"
#include "runner/replay/checkpoint.h"

namespace tidemark::replay {

namespace {

using Clock = std::chrono::steady_clock;

std::string str(const std::string& s) { return s.empty() ? "''" : db::hexLiteral(s); }

std::string fenceTable() { return db::qualified(kMetaSchema, "replay_fence"); }

std::string leaseEnd(std::chrono::milliseconds lease) {
    return "UTC_TIMESTAMP(6) + INTERVAL " +
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(lease).count()) + " MICROSECOND";
}

std::string seconds(Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

// Lock waits short enough to look at `stop` and at the holder again between attempts, and to
// keep a heartbeat from hanging behind a takeover.
void shortLockWait(db::Connection& c, std::chrono::milliseconds lease) {
    const auto s = std::clamp<long long>(std::chrono::duration_cast<std::chrono::seconds>(lease).count() / 2, 1, 10);
    c.execute("SET SESSION innodb_lock_wait_timeout = " + std::to_string(s));
}

// Whether any of `ids` is still a session on the target (on any of its servers); a server whose
// list cannot be read counts as "still there", so the caller waits for the lease instead.
bool anySessionAlive(db::Connection& c, const std::string& ids) {
    try {
        const auto view = db::dialect::processListView(db::dialect::parseServerVersion(c.serverVersion()));
        return c.scalar("SELECT COUNT(*) FROM " + std::string(view) + " WHERE ID IN (" + ids + ")").value_or("1") !=
            "0";
    } catch (const db::DbError&) {
        return true;
    }
}

}  // namespace

std::string processOwner() {
    static std::mutex mu;
    static pid_t pid = 0;
    static std::string owner;
    std::lock_guard lock(mu);
    if (pid != ::getpid()) {
        pid = ::getpid();
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
        std::random_device rd;
        char buf[400];
        std::snprintf(buf, sizeof buf, "%s:%d:%08x%08x", host, static_cast<int>(pid), rd(), rd());
        owner = buf;
    }
    return owner;
}

Fence::Fence(std::string job, FenceOptions options) : job_(std::move(job)), options_(std::move(options)) {
    if (options_.owner.empty()) options_.owner = processOwner();
    options_.owner.resize(std::min<size_t>(options_.owner.size(), 255));
    options_.lease = std::max(options_.lease, std::chrono::milliseconds(100));
}

void Fence::ensureTable(db::Connection& c) {
    c.execute("CREATE TABLE IF NOT EXISTS " + fenceTable() +
              " (job VARCHAR(128) NOT NULL, slot INT NOT NULL, epoch BIGINT UNSIGNED NOT NULL, "
              "owner VARCHAR(255) NOT NULL DEFAULT '', lease_until DATETIME(6) NOT NULL, "
              "connection_id BIGINT UNSIGNED NOT NULL DEFAULT 0, beat BIGINT UNSIGNED NOT NULL DEFAULT 0, "
              "PRIMARY KEY (job, slot))");
}

bool Fence::acquire(db::Connection& c, int slots, const std::atomic<bool>* stop) {
    const auto started = Clock::now();
    const std::string where = " WHERE job = " + str(job_);
    shortLockWait(c, options_.lease);
    // A job seen for the first time starts with an expired lease of epoch 0.
    c.execute("INSERT IGNORE INTO " + fenceTable() + " (job, slot, epoch, owner, lease_until) VALUES (" + str(job_) +
              ", " + std::to_string(kLeaseSlot) + ", 0, '', '1970-01-02 00:00:00')");
    std::string holder, why;
    uint64_t heldEpoch = 0;
    for (;;) {
        if (stop && stop->load()) return false;
        auto rows = c.query("SELECT f.epoch, f.owner, (SELECT MAX(g.lease_until) < UTC_TIMESTAMP(6) FROM " +
                            fenceTable() + " g WHERE g.job = f.job AND g.epoch = f.epoch) AS expired FROM " +
                            fenceTable() + " f" + where + " AND f.slot = " + std::to_string(kLeaseSlot));
        if (rows.empty())
            throw ReplayError(c.options().endpoint() + ": the lease row of replay job '" + job_ +
                                  "' disappeared from " + fenceTable() + "; do not edit that table",
                              false);
        heldEpoch = std::stoull(rows.text(0, "epoch"));
        holder = rows.text(0, "owner");
        if (epoch_.load() != 0 && heldEpoch > epoch_.load() && holder != options_.owner)
            checkClaim(c, 0);  // taken from this fence while it held the job: that is final
        bool free = rows.text(0, "expired") == "1" || holder == options_.owner;
        if (!free) {
            auto ids = c.query("SELECT connection_id FROM " + fenceTable() + where +
                               " AND epoch = " + std::to_string(heldEpoch) + " AND connection_id <> 0");
            std::string list;
            for (size_t i = 0; i < ids.size(); ++i)
                list += (i ? "," : "") + std::to_string(std::stoull(ids.text(i, "connection_id")));
            free = list.empty() || !anySessionAlive(c, list);
            why = "its lease has not run out and its connections are open";
        }
        if (free) {
            const uint64_t next = heldEpoch + 1;
            const std::string set = " SET epoch = " + std::to_string(next) + ", owner = " + str(options_.owner) +
                ", lease_until = " + leaseEnd(options_.lease) + ", beat = beat + 1";
            try {
                c.execute("START TRANSACTION");
                c.execute("UPDATE " + fenceTable() + set + ", connection_id = CONNECTION_ID()" + where +
                          " AND slot = " + std::to_string(kLeaseSlot) + " AND epoch = " + std::to_string(heldEpoch));
                if (c.affectedRows() == 1) {
                    // Waits for every transaction of the holder that passed its claim.
                    c.execute("UPDATE " + fenceTable() + set + ", connection_id = 0" + where + " AND slot >= 0");
                    std::string values;
                    for (int s = 0; s < slots; ++s)
                        values += (s ? ", (" : "(") + str(job_) + ", " + std::to_string(s) + ", " +
                            std::to_string(next) + ", " + str(options_.owner) + ", " + leaseEnd(options_.lease) + ")";
                    if (!values.empty())
                        c.execute("INSERT IGNORE INTO " + fenceTable() +
                                  " (job, slot, epoch, owner, lease_until) VALUES " + values);
                    c.execute("COMMIT");
                    epoch_ = next;
                    return true;
                }
                c.execute("ROLLBACK");
                continue;  // another runner moved the epoch meanwhile: look again
            } catch (const db::DbError& e) {
                try {
                    c.execute("ROLLBACK");
                } catch (const db::DbError&) {
                    throw e;
                }
                if (e.errorClass() != db::dialect::ErrorClass::RetryTxn) throw;
                why = "a transaction of it still holds the job's fence rows (" + std::string(e.what()) + ")";
            }
        }
        if (Clock::now() - started >= options_.takeoverTimeout)
            throw ReplayError(c.options().endpoint() + ": replay job '" + job_ + "' is held by runner " + holder +
                                  " (epoch " + std::to_string(heldEpoch) + "): " + why + "; waited " +
                                  seconds(Clock::now() - started) + " and will try again",
                              true);
        const auto pause = std::min<Clock::duration>(std::chrono::milliseconds(250), options_.lease / 4);
        for (auto until = Clock::now() + pause; Clock::now() < until && !(stop && stop->load());)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string Fence::claim(int slot) const {
    return "UPDATE " + fenceTable() + " SET lease_until = " + leaseEnd(options_.lease) +
        ", beat = beat + 1 WHERE job = " + str(job_) + " AND slot = " + std::to_string(slot) +
        " AND epoch = " + std::to_string(epoch_.load());
}

void Fence::checkClaim(db::Connection& c, uint64_t affected) const {
    if (affected == 1) return;
    std::string who = "another runner";
    try {
        auto rows = c.query("SELECT epoch, owner FROM " + fenceTable() + " WHERE job = " + str(job_) +
                            " AND slot = " + std::to_string(kLeaseSlot));
        if (!rows.empty()) who = "runner " + rows.text(0, "owner") + " (epoch " + rows.text(0, "epoch") + ")";
    } catch (const db::DbError&) {}
    throw FencedOut(c.options().endpoint() + ": " + who + " took over replay job '" + job_ + "'; this runner (" +
                    options_.owner + ", epoch " + std::to_string(epoch_.load()) +
                    ") stops writing to the target and exits");
}

void Fence::begin(db::Connection& c, int slot) const {
    c.execute("START TRANSACTION");
    try {
        c.execute(claim(slot));
        checkClaim(c, c.affectedRows());
    } catch (...) {
        try {
            c.execute("ROLLBACK");
        } catch (const db::DbError&) {}
        throw;
    }
}

void Fence::renew(db::Connection& c, int slot) const {
    c.execute(claim(slot));
    checkClaim(c, c.affectedRows());
}

void Fence::registerConnection(db::Connection& c, int slot) const {
    c.execute("UPDATE " + fenceTable() + " SET connection_id = CONNECTION_ID(), lease_until = " +
              leaseEnd(options_.lease) + ", beat = beat + 1 WHERE job = " + str(job_) +
              " AND slot = " + std::to_string(slot) + " AND epoch = " + std::to_string(epoch_.load()));
    checkClaim(c, c.affectedRows());
}

LeaseKeeper::LeaseKeeper(const db::ConnectOptions& target, const Fence& fence) : target_(target), fence_(fence) {
    thread_ = std::thread([this] { run(); });
}

LeaseKeeper::~LeaseKeeper() {
    {
        std::lock_guard lock(mu_);
        quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void LeaseKeeper::check() const {
    std::lock_guard lock(mu_);
    if (!lost_.empty()) throw FencedOut(lost_);
}

void LeaseKeeper::run() {
    const auto interval = std::max(fence_.lease() / 3, std::chrono::milliseconds(30));
    std::optional<db::Connection> c;
    std::unique_lock lock(mu_);
    while (!quit_) {
        lock.unlock();
        try {
            if (!c) {
                c.emplace(db::Connection::open(target_));
                shortLockWait(*c, fence_.lease());
                fence_.registerConnection(*c, Fence::kLeaseSlot);
            }
            fence_.renew(*c, Fence::kLeaseSlot);
        } catch (const FencedOut& e) {
            lock.lock();
            lost_ = e.what();
            return;
        } catch (const db::DbError&) {
            // Reconnect at the next beat. Meanwhile the claims of the applier's transactions
            // decide whether this runner still holds the job.
            c.reset();
        }
        lock.lock();
        cv_.wait_for(lock, interval, [&] { return quit_; });
    }
}

}  // namespace tidemark::replay
