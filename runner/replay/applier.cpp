#include "runner/replay/applier.h"

#include <mysql.h>

#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "runner/db/session.h"
#include "runner/replay/ddl.h"
#include "runner/replay/errors.h"
#include "runner/replay/sql_builder.h"

namespace tidemark::replay {

namespace {

constexpr size_t kMaxRoundTripBytes = 4u << 20;
constexpr unsigned kErDupEntry = 1062;
constexpr unsigned kErDupUnique = 1169;

// Errors that a DDL replayed after a crash gives when its effect is already in the target.
bool alreadyAppliedCode(unsigned code) {
    switch (code) {
        case 1007:
        case 1008:
        case 1050:
        case 1051:
        case 1054:
        case 1060:
        case 1061:
        case 1091:
        case 1146:
        case 1176:
        case 1025: return true;
        default: return false;
    }
}

}  // namespace

bool traceEnabled() {
    static const bool on = std::getenv("TIDEMARK_REPLAY_TRACE") != nullptr;
    return on;
}

void prepareTargetSession(db::Connection& c) {
    c.execute("SET SESSION time_zone = '+00:00'");
    // A non-strict source's legacy values are stored, and matched in WHERE, as they are.
    c.execute(std::string("SET SESSION sql_mode = '") + db::kMigrationSqlMode + "'");
    c.execute("SET SESSION foreign_key_checks = 0");
    c.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    if (mysql_set_server_option(c.raw(), MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) c.fail("enabling multi-statements");
}

struct Applier::Impl {
    db::ConnectOptions options;
    const CheckpointStore& store;
    std::vector<std::optional<db::Connection>> conns;
    std::vector<std::thread> threads;

    std::mutex mu;
    std::condition_variable cv;
    uint64_t generation = 0;
    int running = 0;
    bool quit = false;
    std::shared_ptr<const Batch> batch;
    std::shared_ptr<const Partition> partition;
    std::vector<bool> committed;
    std::exception_ptr error;
    bool errorRetryable = true;
    std::atomic<uint64_t> rows{0};
    int tidb = -1;  // target dialect, detected at the first DDL
    SqlDialect dialect;

    Impl(const db::ConnectOptions& o, const CheckpointStore& s) : options(o), store(s) {}

    db::Connection& conn(int i) {
        if (!conns[i]) {
            auto c = db::connectWithRetry(
                options, db::RetryPolicy{8, std::chrono::milliseconds(200), std::chrono::milliseconds(5000)});
            // The session this one replaces may still be running what it was sent: end it first.
            store.fenceIndex(c, i);
            prepareTargetSession(c);
            store.registerSession(c, i);
            conns[i].emplace(std::move(c));
        }
        return *conns[i];
    }

    // Sends `sql` (several statements) and consumes every result. On failure throws, with
    // `failedAt` set to the index (within `first..`) of the statement that failed.
    void runMulti(db::Connection& c, const std::string& sql, size_t first, size_t& failedAt) {
        MYSQL* m = c.raw();
        failedAt = first;
        if (mysql_real_query(m, sql.data(), sql.size()) != 0) c.fail("applying replicated changes");
        for (;;) {
            if (MYSQL_RES* res = mysql_store_result(m)) mysql_free_result(res);
            int st = mysql_next_result(m);
            if (st == -1) break;
            ++failedAt;
            if (st > 0) c.fail("applying replicated changes");
        }
    }

    void applyShare(int connIndex, int share) {
        const Batch& b = *batch;
        const auto& ids = partition->shares[share];
        if (share != 0 && ids.empty()) return;
        std::vector<Statement> stmts = buildStatements(b.changes, ids, partition->component, dialect);
        if (traceEnabled())
            for (auto& st : stmts) std::fprintf(stderr, "tidemark replay: share %d: %s\n", share, st.sql.c_str());
        std::string cp = store.upsert(CheckpointRow{share, b.seq, b.shares, b.start, b.end});
        const size_t shareRows = ids.size();  // source row changes, whatever compaction made of them

        for (int attempt = 1;; ++attempt) {
            db::Connection& c = conn(connIndex);
            size_t failedAt = 0;
            try {
                std::string sql = "START TRANSACTION";
                size_t first = 0;  // index of the first statement (0 = START TRANSACTION) in `sql`
                size_t count = 1;
                for (size_t k = 0; k <= stmts.size(); ++k) {
                    const std::string& next = k < stmts.size() ? stmts[k].sql : cp;
                    if (sql.size() + next.size() > kMaxRoundTripBytes && !sql.empty()) {
                        runMulti(c, sql, first, failedAt);
                        sql.clear();
                        first += count;
                        count = 0;
                    }
                    if (!sql.empty()) sql += ";\n";
                    sql += next;
                    ++count;
                }
                sql += ";\nCOMMIT";
                runMulti(c, sql, first, failedAt);
                rows += shareRows;
                return;
            } catch (const db::DbError& e) {
                const bool lost = e.kind() == db::ErrorKind::ConnectionLost || e.kind() == db::ErrorKind::Refused;
                if (!lost) {
                    try {
                        c.execute("ROLLBACK");
                    } catch (const db::DbError&) {
                        conns[connIndex].reset();
                    }
                } else {
                    conns[connIndex].reset();
                }
                const Statement* bad = failedAt >= 1 && failedAt - 1 < stmts.size() ? &stmts[failedAt - 1] : nullptr;
                if (e.code() == kErDupEntry || e.code() == kErDupUnique) {
                    throw DuplicateKeyError(
                        options.endpoint() + ": duplicate key in target table " +
                        (bad ? bad->table->qualified : std::string("?")) + " while replaying source transactions " +
                        b.start.text() + " .. " + b.end.text() + ": " + e.what() +
                        ". The target holds a row the source does not; check the source data, then restart the job "
                        "(restartAfterError / --restart) to replace the conflicting target rows with the source's.");
                }
                if (!e.retryable() || attempt >= 8) {
                    throw ReplayError(options.endpoint() + ": applying source transactions " + b.start.text() + " .. " +
                                          b.end.text() + (bad ? " to " + bad->table->qualified : std::string()) +
                                          " failed: " + e.what(),
                                      e.retryable());
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(attempt, 6)));
                if (lost) {
                    // The COMMIT may have gone through before the connection dropped: the row says.
                    try {
                        if (store.batchOf(conn(connIndex), share) == b.seq) {
                            rows += shareRows;
                            return;
                        }
                    } catch (const db::DbError&) {
                        conns[connIndex].reset();
                    }
                }
            }
        }
    }

    void loop(int index) {
        uint64_t seen = 0;
        for (;;) {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return quit || generation != seen; });
            if (quit) return;
            seen = generation;
            lock.unlock();
            std::exception_ptr err;
            bool retryable = true;
            try {
                const int shares = static_cast<int>(partition->shares.size());
                for (int s = index; s < shares; s += static_cast<int>(conns.size()))
                    if (committed.empty() || !committed[s]) applyShare(index, s);
            } catch (const ReplayError& e) {
                err = std::current_exception();
                retryable = e.retryable();
            } catch (const db::DbError& e) {
                err = std::current_exception();
                retryable = e.retryable();
                conns[index].reset();
            } catch (...) {
                err = std::current_exception();
                retryable = false;
            }
            lock.lock();
            if (err && (!error || (errorRetryable && !retryable))) {
                error = err;
                errorRetryable = retryable;
            }
            if (--running == 0) cv.notify_all();
        }
    }
};

Applier::Applier(const db::ConnectOptions& target, int connections, const CheckpointStore& store)
    : impl_(std::make_unique<Impl>(target, store)) {
    connections = std::max(connections, 1);
    impl_->conns.resize(connections);
    for (int i = 0; i < connections; ++i) impl_->conn(i);
    impl_->dialect.jsonAsText = impl_->conns[0]->isMariaDB();
    for (int i = 0; i < connections; ++i) impl_->threads.emplace_back([this, i] { impl_->loop(i); });
}

Applier::~Applier() {
    {
        std::unique_lock lock(impl_->mu);
        impl_->cv.wait(lock, [&] { return impl_->running == 0; });
        impl_->quit = true;
        impl_->cv.notify_all();
    }
    for (auto& t : impl_->threads) t.join();
}

void Applier::submit(std::shared_ptr<const Batch> batch, std::vector<bool> committed) {
    wait();
    auto partition = std::make_shared<const Partition>(partitionChanges(batch->changes, batch->shares));
    std::lock_guard lock(impl_->mu);
    impl_->batch = std::move(batch);
    impl_->partition = std::move(partition);
    impl_->committed = std::move(committed);
    impl_->running = static_cast<int>(impl_->threads.size());
    ++impl_->generation;
    impl_->cv.notify_all();
}

void Applier::wait() {
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait(lock, [&] { return impl_->running == 0; });
    if (impl_->error) {
        auto e = impl_->error;
        impl_->error = nullptr;
        impl_->errorRetryable = true;
        std::rethrow_exception(e);
    }
}

bool Applier::idle() const {
    std::lock_guard lock(impl_->mu);
    return impl_->running == 0;
}

bool Applier::applyDdl(const Batch& b, bool alreadyMaybeApplied) {
    wait();
    db::Connection& c = impl_->conn(0);
    bool applied = true;
    try {
        if (!b.ddlDatabase.empty()) {
            try {
                c.execute("USE " + db::quoteIdent(b.ddlDatabase));
            } catch (const db::DbError&) {
                // The default database may not exist on the target; the statement's names are
                // qualified where it matters.
            }
        }
        if (impl_->tidb < 0) {
            try {
                c.scalar("SELECT tidb_version()");
                impl_->tidb = 1;
            } catch (const db::DbError&) {
                impl_->tidb = 0;
            }
        }
        // Temporal literals in the DDL (DEFAULT '2024-01-01 00:00:00') mean what they meant in the
        // source session's time zone.
        if (!b.ddlTimeZone.empty()) c.execute("SET SESSION time_zone = " + c.quote(b.ddlTimeZone));
        struct RestoreZone {
            db::Connection& c;
            bool active;
            ~RestoreZone() {
                if (!active) return;
                try {
                    c.execute("SET SESSION time_zone = '+00:00'");
                } catch (const db::DbError&) {}
            }
        } restore{c, !b.ddlTimeZone.empty()};
        c.execute(impl_->tidb ? translateForTidb(b.ddlStatement) : b.ddlStatement);
    } catch (const db::DbError& e) {
        if (!(alreadyMaybeApplied && alreadyAppliedCode(e.code()))) {
            if (e.kind() == db::ErrorKind::ConnectionLost) impl_->conns[0].reset();
            throw ReplayError(impl_->options.endpoint() + ": the target rejected DDL at source position " +
                                  b.start.text() + " (" + b.ddlHead + "): " + e.what() +
                                  "; statement: " + b.ddlStatement.substr(0, 300),
                              e.retryable());
        }
        applied = false;
    }
    c.execute(impl_->store.upsert(CheckpointRow{0, b.seq, b.shares, b.start, b.end}));
    return applied;
}

db::Connection& Applier::connection(int i) { return impl_->conn(i); }
int Applier::connections() const { return static_cast<int>(impl_->conns.size()); }
uint64_t Applier::rowsApplied() const { return impl_->rows.load(); }

}  // namespace tidemark::replay
