#include "runner/db/dialect/session.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <mutex>

#include "runner/db/connection.h"
#include "runner/db/session.h"

namespace tidemark::db::dialect {

namespace {

SessionSetting set(std::string name, std::string value, bool optional = false) {
    // Numbers and ON/OFF go as they are, words as strings.
    const bool bare =
        !value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) || value == "ON" || value == "OFF");
    std::string statement = "SET SESSION " + name + " = " + (bare ? value : "'" + value + "'");
    return {std::move(name), std::move(value), std::move(statement), optional};
}

std::mutex logMu;
std::function<void(std::string_view)> logSink;
std::array<bool, 4> logged{};

}  // namespace

std::string_view nameOf(SessionPurpose p) {
    switch (p) {
        case SessionPurpose::CopyWrite: return "copy";
        case SessionPurpose::CopyPhysical: return "physical copy";
        case SessionPurpose::Replay: return "replay";
        case SessionPurpose::Admin: return "admin";
    }
    return "admin";
}

std::vector<SessionSetting> sessionSettings(const ServerInfo& target, SessionPurpose purpose) {
    using P = SessionPurpose;
    const bool tidb = target.isTidb();
    const bool copy = purpose == P::CopyWrite || purpose == P::CopyPhysical;
    const bool writer = copy || purpose == P::Replay;
    std::vector<SessionSetting> s;

    // The copy sends each value as the bytes the source stores, under SET NAMES binary: nothing
    // is transcoded on the way, and the column's charset decides what the bytes mean. (Replay
    // writes charset-introduced literals and keeps the connection's utf8mb4.)
    if (copy) s.push_back({"names", "binary", "SET NAMES binary", false});
    // TIMESTAMP values travel as UTC wall-clock text; only a UTC session stores the same instant.
    if (writer) s.push_back(set("time_zone", "+00:00"));
    // A non-strict source's legacy values (zero dates, '' for ENUM, invalid days) are stored and
    // matched as they are, and 0 stays 0 in AUTO_INCREMENT columns (db/session.h says why each).
    // DDL needs it too: a DEFAULT '0000-00-00' clause is refused under a strict mode.
    s.push_back(set("sql_mode", kMigrationSqlMode));
    // Rows arrive in key order per table and in parallel across tables (copy) or partitions
    // (replay): a child row may come before its parent. The source kept them consistent. TiDB
    // checks foreign keys since v6.6 (ON by default); DM, TiCDC and Lightning turn this off too.
    s.push_back(set("foreign_key_checks", "0"));
    if (writer) {
        // Writers read nothing that needs a snapshot; READ COMMITTED takes no gap locks on
        // MySQL/MariaDB (parallel writers of neighbouring ranges do not deadlock on them) and is
        // what TiCDC uses on TiDB (where it applies to pessimistic transactions).
        s.push_back({"transaction_isolation", "READ-COMMITTED",
                     "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", false});
    }
    if (copy) {
        // A batch of several MiB on a busy target must not hit the 30/60 s defaults.
        s.push_back(set("net_write_timeout", "3600", tidb));
        s.push_back(set("net_read_timeout", "3600", tidb));
    }
    if (writer) {
        // The copy and replay read every warning of a statement (a changed value stops them);
        // MySQL 8+ wants SESSION_VARIABLES_ADMIN for this, and without it a statement with more
        // warnings than the default (MariaDB 64, MySQL 1,024) stops the stage.
        s.push_back(set("max_error_count", "65535", true));
    }
    if (!tidb) {
        // MariaDB's switch (MySQL has none): the source enforced its CHECK constraints already,
        // and a constraint that reads a legacy value would refuse it.
        if (copy && target.isMariaDB()) s.push_back(set("check_constraint_checks", "0", true));
        // Physical mode fills empty tables: uniqueness was checked on the source.
        if (purpose == P::CopyPhysical) s.push_back(set("unique_checks", "0", true));
        return s;
    }

    // TiDB.
    if (copy) {
        // Optimistic, as Lightning's logical import: each copy writer owns its key ranges, so no
        // two writers conflict and the pessimistic lock round trips buy nothing; REPLACE has no
        // duplicate-key error to attribute to a statement; a conflict (another runner writing the
        // same rows) surfaces at COMMIT as 9007, which is retried.
        s.push_back(set("tidb_txn_mode", "optimistic"));
    } else if (purpose == P::Replay) {
        // Pessimistic (TiDB's default since 3.0.8), unlike DM and TiCDC: replay's transactions are
        // large (up to TxnLimits::maxTxnBytes), and an optimistic conflict discards all of it at
        // COMMIT; the applier names the statement that failed (a duplicate key is handled per
        // statement), which needs errors at the statement, not at COMMIT; and a locking read of
        // a fencing row sees the latest value (optimistic snapshot reads allow write skew).
        s.push_back(set("tidb_txn_mode", "pessimistic"));
        // Keep unique checks at the statement (the default): OFF defers them to COMMIT (8147) and
        // makes SAVEPOINT unusable.
        s.push_back(set("tidb_constraint_check_in_place_pessimistic", "ON", true));
    }
    if (writer) {
        // Rows copied from a table with AUTO_RANDOM keys carry their key values; TiDB refuses
        // explicit values there (8216) unless this is on. TiCDC and Lightning set it too.
        s.push_back(set("allow_auto_random_explicit_insert", "ON", true));
        // OFF, explicitly (a cluster may have it ON globally): with it ON TiDB stores bytes that
        // are not valid UTF-8 in utf8/utf8mb4 columns, and its comparisons and indexes assume
        // valid UTF-8. A source may hold such bytes (in a latin1 table read as utf8, in a
        // non-strict legacy row); better a clear refusal of that row than a corrupt index.
        s.push_back(set("tidb_skip_utf8_check", "OFF", true));
        // 0 and 'standard', explicitly: the deprecated batch-DML (tidb_dml_batch_size with
        // tidb_batch_insert) commits a statement in pieces and "might cause data corruption", and
        // v8.0's bulk DML mode is experimental and also commits early. Either would break the
        // atomicity of a batch with its checkpoint row.
        s.push_back(set("tidb_dml_batch_size", "0", true));
        s.push_back(set("tidb_dml_type", "standard", true));
    }
    return s;
}

AppliedSession applySession(Connection& c, SessionPurpose purpose) { return applySession(c, detectServer(c), purpose); }

AppliedSession applySession(Connection& c, const ServerInfo& target, SessionPurpose purpose) {
    AppliedSession out;
    out.server = target;
    for (const auto& s : sessionSettings(target, purpose)) {
        try {
            c.execute(s.statement);
            out.applied.push_back(s.name + "=" + s.value);
        } catch (const DbError& e) {
            if (!s.optional || (e.kind() != ErrorKind::Query && e.kind() != ErrorKind::Privilege)) throw;
            out.skipped.push_back(s.name + (e.kind() == ErrorKind::Privilege ? " (not permitted)" : " (unknown)"));
        }
    }
    std::function<void(std::string_view)> log;
    {
        std::lock_guard lock(logMu);
        auto& done = logged[static_cast<std::size_t>(purpose)];
        if (done) return out;
        done = true;
        log = logSink;
    }
    const std::string line = describeSession(out, purpose);
    if (log) log(line);
    else std::fprintf(stderr, "tidemark-runner: %s\n", line.c_str());
    return out;
}

std::string describeSession(const AppliedSession& s, SessionPurpose purpose) {
    std::string version(nameOf(s.server.flavor));
    if (s.server.major > 0)
        version += " " + std::to_string(s.server.major) + "." + std::to_string(s.server.minor) + "." +
            std::to_string(s.server.patch);
    std::string line = "target session (" + version + ", " + std::string(nameOf(purpose)) + "): ";
    for (std::size_t i = 0; i < s.applied.size(); ++i) line += (i ? ", " : "") + s.applied[i];
    if (!s.skipped.empty()) {
        line += "; not set: ";
        for (std::size_t i = 0; i < s.skipped.size(); ++i) line += (i ? ", " : "") + s.skipped[i];
    }
    return line;
}

void setSessionLog(std::function<void(std::string_view)> log) {
    std::lock_guard lock(logMu);
    logSink = std::move(log);
}

}  // namespace tidemark::db::dialect
