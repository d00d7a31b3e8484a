#include "runner/copy/snapshot.h"

#include "runner/db/binlog_status.h"

#include <mysql.h>

#include <algorithm>
#include <chrono>

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
        p.gtidSet = c.scalar("SELECT BINLOG_GTID_POS(" + c.quote(p.file) + ", " + std::to_string(p.pos) + ")").value_or("");
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

}  // namespace

bool positionLess(const BinlogPosition& a, const BinlogPosition& b) {
    if (a.file.size() != b.file.size()) return a.file.size() < b.file.size();
    return std::tie(a.file, a.pos) < std::tie(b.file, b.pos);
}

void prepareReadSession(db::Connection& c) {
    c.execute("SET NAMES binary");
    c.execute("SET SESSION time_zone = '+00:00'");
    c.execute("SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600");
    c.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
}

Snapshot openSnapshot(const db::ConnectOptions& source, int n,
                      const std::vector<std::pair<std::string, std::string>>& tables, SnapshotMethod method) {
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
    const auto t0 = std::chrono::steady_clock::now();
    bool locked = false;  // no selected table can change now
    bool held = false;    // a lock statement succeeded and must be released
    if (!mariadb && method == SnapshotMethod::Auto) {
        try {
            locker.execute("FLUSH TABLES WITH READ LOCK");
            locked = held = true;
            s.method = "FLUSH TABLES WITH READ LOCK";
        } catch (const db::DbError& e) {
            // Managed MySQL (RDS, Aurora, ...) refuses FTWRL in several ways; LOCK TABLES is next.
            if (e.retryable()) throw;
        }
    }
    if (!locked && !tables.empty()) {
        std::string sql = "LOCK TABLES ";
        for (std::size_t i = 0; i < tables.size(); ++i)
            sql += (i ? ", " : "") + db::qualified(tables[i].first, tables[i].second) + " READ";
        try {
            locker.execute(sql);
            locked = held = true;
            s.method = "LOCK TABLES ... READ";
        } catch (const db::DbError& e) {
            if (e.kind() != db::ErrorKind::Privilege && e.kind() != db::ErrorKind::Query) throw;
        }
    }
    if (!locked && tables.empty()) {
        locked = true;  // nothing to lock
        s.method = "no tables to lock";
    }

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
        BinlogPosition before = locked ? BinlogPosition{} : masterStatus(locker);
        startAll(s.readers);
        BinlogPosition after = masterStatus(locker);
        s.from = locked ? after : before;
        s.until = after;
    }
    if (held) locker.execute("UNLOCK TABLES");
    s.lockSeconds = held
                        ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                        : 0.0;
    if (!locked) s.method = "no lock granted: snapshots between two positions";
    return s;
}

}  // namespace tidemark::copy
