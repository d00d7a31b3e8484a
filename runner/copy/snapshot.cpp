#include "runner/copy/snapshot.h"

#include "runner/copy/inspect.h"
#include "runner/db/binlog_status.h"
#include "runner/db/session.h"

#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace tidemark::copy {

namespace {

std::uint64_t num(const std::string& s) {
    try {
        return s.empty() ? 0 : std::stoull(s);
    } catch (...) {
        return 0;
    }
}

// Sends START TRANSACTION WITH CONSISTENT SNAPSHOT to every reader before reading any answer,
// so the snapshots open within microseconds of each other.
void startAll(std::vector<db::Connection>& readers) {
    static const std::string sql = "START TRANSACTION WITH CONSISTENT SNAPSHOT";
    for (auto& r : readers)
        if (mysql_send_query(r.raw(), sql.data(), sql.size()) != 0) r.fail("starting a consistent snapshot");
    for (auto& r : readers)
        if (mysql_read_query_result(r.raw()) != 0) r.fail("starting a consistent snapshot");
}

BinlogPosition snapshotPosition(db::Connection& c) {
    auto rows = c.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    BinlogPosition p;
    for (auto& r : rows.rows) {
        const std::string name = r[0].value_or("");
        if (name == "Binlog_snapshot_file") p.file = r[1].value_or("");
        if (name == "Binlog_snapshot_position") p.pos = num(r[1].value_or(""));
    }
    return p;
}

void mariadbGtid(db::Connection& c, BinlogPosition& p) {
    if (p.file.empty()) return;
    try {
        p.gtidSet =
            c.scalar("SELECT BINLOG_GTID_POS(" + c.quote(p.file) + ", " + std::to_string(p.pos) + ")").value_or("");
    } catch (const db::DbError&) {
        p.gtidSet.clear();
    }
}

// The source's position now (db::readBinlogStatus); empty when binlog is off.
BinlogPosition masterStatus(db::Connection& c) {
    BinlogPosition p;
    if (auto status = db::readBinlogStatus(c)) p = {status->file, status->pos, status->gtidSet};
    return p;
}

std::vector<db::Connection> openReaders(const db::ConnectOptions& source, int n) {
    std::vector<db::Connection> readers;
    for (int i = 0; i < n; ++i) {
        readers.push_back(db::connectWithRetry(source));
        prepareReadSession(readers.back());
    }
    return readers;
}

void rollbackAll(std::vector<db::Connection>& readers) {
    for (auto& r : readers) r.execute("ROLLBACK");
}

constexpr unsigned kLockWaitTimeout = db::dialect::kErLockWaitTimeout;  // lock_wait_timeout passed
constexpr unsigned kNoSuchTable = db::dialect::kErNoSuchTable;

// "'copier'@'%'" for the session's account, as GRANT spells it.
std::string account(db::Connection& c) {
    std::string user;
    try {
        user = c.scalar("SELECT CURRENT_USER()").value_or("");
    } catch (const db::DbError&) {}
    const auto at = user.rfind('@');
    if (at == std::string::npos) return "'" + c.options().user + "'";
    return "'" + user.substr(0, at) + "'@'" + user.substr(at + 1) + "'";
}

// A statement of another session that has run for a second or more, as SHOW PROCESSLIST shows
// them to this user (every session with PROCESS, else the user's own): "statement 42 (12 s)".
std::string longStatement(db::Connection& c) {
    db::Rows rows;
    try {
        rows = c.query("SHOW PROCESSLIST");
    } catch (const db::DbError&) {
        return "";
    }
    const auto self = std::to_string(c.threadId());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows.text(i, "Command") != "Query" || rows.text(i, "Id") == self) continue;
        if (rows.text(i, "User") == "system user") continue;  // replication threads
        const auto seconds = num(rows.text(i, "Time"));
        if (seconds >= 1) return "statement " + rows.text(i, "Id") + " (" + std::to_string(seconds) + " s)";
    }
    return "";
}

// Takes the snapshot lock: LOCK TABLES ... READ on the selected tables, else (when allowed)
// FLUSH TABLES WITH READ LOCK, each waiting at most the policy's lock_wait_timeout, for the
// policy's rounds. Remembers why it failed, for fail().
class Locking {
public:
    Locking(db::Connection& locker, const std::vector<std::pair<std::string, std::string>>& tables,
            const LockPolicy& policy, bool ftwrl)
        : locker_(locker),
          tables_(tables),
          policy_(policy),
          ftwrlAllowed_(ftwrl),
          tryFtwrl_(ftwrl),
          tryLockTables_(!tables.empty()) {
        locker_.execute("SET SESSION lock_wait_timeout = " + std::to_string(std::max(1, policy_.waitSeconds)));
    }
    ~Locking() {
        try {
            release();
        } catch (...) {}
    }

    // True when the selected tables cannot change now (or there are none).
    bool take() {
        if (tables_.empty()) {
            method_ = "no tables to lock";
            return true;
        }
        for (int round = 0; round < std::max(1, policy_.attempts) && (tryLockTables_ || tryFtwrl_); ++round) {
            if (round > 0) std::this_thread::sleep_for(std::chrono::seconds(round));
            if (tryLockTables_ && attempt(lockTablesStatement(), tryLockTables_, lockTablesTimeouts_)) {
                method_ = "LOCK TABLES ... READ";
                return true;
            }
            if (!tryFtwrl_) continue;
            // A running statement would keep FTWRL waiting, and leave its tables flushed after
            // FTWRL gave up: every new statement on them would wait until it ends.
            if (auto busy = longStatement(locker_); !busy.empty()) {
                busy_ = busy;
                continue;
            }
            if (attempt("FLUSH TABLES WITH READ LOCK", tryFtwrl_, ftwrlTimeouts_)) {
                method_ = "FLUSH TABLES WITH READ LOCK";
                return true;
            }
        }
        method_ = "no lock granted: snapshots between two positions";
        return false;
    }

    // Throws the error that says why no lock was taken and what to do.
    [[noreturn]] void fail() {
        const std::string where = locker_.options().endpoint() + ": cannot take a consistent snapshot of MySQL: ";
        const auto who = account(locker_);
        if (lockTablesTimeouts_ > 0 || ftwrlTimeouts_ > 0 || !busy_.empty()) {
            std::string why;
            const auto waited = [&](const char* statement, int times, const char* forWhat) {
                why += (why.empty() ? "" : "; ") + std::string(statement) + " waited " +
                    std::to_string(policy_.waitSeconds) + " s (lock_wait_timeout) in vain " + std::to_string(times) +
                    " time(s) for " + forWhat;
            };
            if (lockTablesTimeouts_ > 0)
                waited("LOCK TABLES ... READ", lockTablesTimeouts_, "transactions writing the selected tables");
            if (ftwrlTimeouts_ > 0) waited("FLUSH TABLES WITH READ LOCK", ftwrlTimeouts_, "running statements");
            if (!busy_.empty())
                why += (why.empty() ? "" : "; ") + std::string("FLUSH TABLES WITH READ LOCK was not tried while ") +
                    busy_ + " ran (it would have held the source's writes up until that statement ended)";
            throw db::DbError(db::ErrorKind::Transient, kLockWaitTimeout,
                              where + why + "; find them with SHOW PROCESSLIST and information_schema.INNODB_TRX" +
                                  (tryLockTables_ ? "" : ", " + grantLockTables(who) + " (it needs no table flush)") +
                                  ", or raise TIDEMARK_COPY_LOCK_WAIT_TIMEOUT; running the copy again retries");
        }
        throw CopyError(where + "user " + who + " may not take LOCK TABLES ... READ on the selected tables (" +
                        grantLockTables(who) + ")" +
                        (ftwrlAllowed_ ? " nor FLUSH TABLES WITH READ LOCK (GRANT RELOAD ON *.* TO " + who + ")" : "") +
                        ", and without a lock a MySQL source has no consistent snapshot; grant " +
                        (ftwrlAllowed_ ? "one of them" : "it"));
    }

    // Unlocks; the seconds the lock was held (0 when none was).
    double release() {
        if (!held_) return 0;
        held_ = false;
        locker_.execute("UNLOCK TABLES");
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
    }

    const std::string& method() const { return method_; }

private:
    // "GRANT LOCK TABLES ON `shop`.* TO 'u'@'%'", and the other selected databases.
    std::string grantLockTables(const std::string& who) const {
        std::vector<std::string> dbs;
        for (auto& [d, t] : tables_)
            if (std::find(dbs.begin(), dbs.end(), d) == dbs.end()) dbs.push_back(d);
        std::string out = "GRANT LOCK TABLES ON " + db::quoteIdent(dbs.at(0)) + ".* TO " + who;
        for (std::size_t i = 1; i < dbs.size() && i < 4; ++i)
            out += (i == 1 ? ", and likewise ON " : ", ") + db::quoteIdent(dbs[i]) + ".*";
        if (dbs.size() > 4) out += ", ...";
        return out;
    }

    std::string lockTablesStatement() const {
        std::string sql = "LOCK TABLES ";
        for (std::size_t i = 0; i < tables_.size(); ++i)
            sql += (i ? ", " : "") + db::qualified(tables_[i].first, tables_[i].second) + " READ";
        return sql;
    }

    // Runs a lock statement: true when granted. A refusal turns `allowed` off; a wait in vain
    // counts; other errors (a lost connection, a dropped table) are thrown.
    bool attempt(const std::string& sql, bool& allowed, int& timeouts) {
        const auto start = std::chrono::steady_clock::now();
        try {
            locker_.execute(sql);
            held_ = true;
            since_ = start;
            return true;
        } catch (const db::DbError& e) {
            if (e.code() == kLockWaitTimeout) {
                ++timeouts;
                return false;
            }
            // Managed MySQL (RDS, Aurora, ...) refuses FTWRL in several ways.
            if (e.kind() == db::ErrorKind::Privilege ||
                (e.kind() == db::ErrorKind::Query && e.code() != kNoSuchTable)) {
                allowed = false;
                return false;
            }
            throw;
        }
    }

    db::Connection& locker_;
    const std::vector<std::pair<std::string, std::string>>& tables_;
    LockPolicy policy_;
    const bool ftwrlAllowed_;  // by the snapshot method and the flavor
    bool tryFtwrl_;
    bool tryLockTables_;
    std::string busy_, method_;
    int lockTablesTimeouts_ = 0, ftwrlTimeouts_ = 0;
    bool held_ = false;
    std::chrono::steady_clock::time_point since_;
};

}  // namespace

bool positionLess(const BinlogPosition& a, const BinlogPosition& b) {
    if (a.file.size() != b.file.size()) return a.file.size() < b.file.size();
    return std::tie(a.file, a.pos) < std::tie(b.file, b.pos);
}

void prepareReadSession(db::Connection& c) {
    c.execute("SET NAMES binary");
    c.execute("SET SESSION time_zone = '+00:00'");
    c.execute(std::string("SET SESSION sql_mode = '") + db::kMigrationSqlMode + "'");
    c.execute("SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600");
    c.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
}

Snapshot openSnapshot(const db::ConnectOptions& source, int n,
                      const std::vector<std::pair<std::string, std::string>>& tables, SnapshotMethod method,
                      const LockPolicy& lockPolicy) {
    Snapshot s;
    s.readers = openReaders(source, std::max(1, n));
    const bool mariadb = s.readers.front().isMariaDB();

    if (mariadb && method == SnapshotMethod::Auto) {
        for (int attempt = 0; attempt < 20; ++attempt) {
            startAll(s.readers);
            std::vector<BinlogPosition> seen;
            for (auto& r : s.readers) seen.push_back(snapshotPosition(r));
            const bool binlogOn = !seen.front().file.empty();
            const bool same = std::all_of(seen.begin(), seen.end(), [&](auto& p) { return p == seen.front(); });
            if (binlogOn && same) {
                s.from = seen.front();
                mariadbGtid(s.readers.front(), s.from);
                s.until = s.from;
                s.method = "MariaDB consistent snapshot, no lock";
                return s;
            }
            rollbackAll(s.readers);
            if (!binlogOn) break;  // no positions to compare: only a lock proves one snapshot
        }
    }

    // Lock, let every reader open its snapshot, read the position, unlock.
    auto locker = db::connectWithRetry(source);
    Locking lock(locker, tables, lockPolicy, !mariadb && method == SnapshotMethod::Auto);
    const bool locked = lock.take();
    if (!locked && !mariadb) lock.fail();
    s.method = lock.method();

    if (mariadb) {
        startAll(s.readers);
        std::vector<BinlogPosition> seen;
        for (auto& r : s.readers) seen.push_back(snapshotPosition(r));
        auto [lo, hi] = std::minmax_element(seen.begin(), seen.end(), positionLess);
        s.from = *lo;
        // Under the lock no selected table changes between the readers' positions.
        s.until = locked ? *lo : *hi;
        mariadbGtid(s.readers.front(), s.from);
        if (s.until.file == s.from.file && s.until.pos == s.from.pos) s.until = s.from;
        else mariadbGtid(s.readers.front(), s.until);
    } else {
        startAll(s.readers);
        s.from = s.until = masterStatus(locker);
    }
    s.lockSeconds = lock.release();
    return s;
}

}  // namespace tidemark::copy
