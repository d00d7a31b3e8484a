#include "runner/replay/applier.h"

#include <mysql.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "runner/binlog/sql_literal.h"
#include "runner/db/dialect/errors.h"
#include "runner/db/fault_injection.h"
#include "runner/db/dialect/ddl_translate.h"
#include "runner/db/dialect/session.h"
#include "runner/replay/ddl.h"
#include "runner/replay/errors.h"
#include "runner/replay/held_rows.h"
#include "runner/replay/sql_builder.h"

namespace tidemark::replay {

namespace {

constexpr size_t kMaxRoundTripBytes = 4u << 20;
namespace dialect = db::dialect;

// Changes ids[from, to) of a share, rendered.
struct Piece {
    size_t from = 0, to = 0;
    std::vector<Statement> statements;
    size_t bytes = 0;
    // Merged tables some of whose changes the piece holds, with the applied step that decided it
    // (re-checked under the coordination lock in the piece's transaction).
    std::map<consolidate::TableName, uint64_t> awaited;
    size_t held = 0;  // changes held
};

// What a share's checkpoint row says.
struct ShareProgress {
    uint64_t batch = 0;  // 0: no row yet
    uint64_t next = 0;
};

// Whether a source transaction ends between ids[p-1] and ids[p].
bool txnBoundaryBefore(const Batch& b, const std::vector<uint32_t>& ids, size_t p) {
    if (p == 0 || p >= ids.size()) return true;
    auto it = std::upper_bound(b.txnEnds.begin(), b.txnEnds.end(), ids[p - 1]);
    return it != b.txnEnds.end() && *it <= ids[p];
}

// "`db`.`t` key (`id`=5)", for a message about one row change.
std::string rowKeyText(const RowChange& c) {
    const TableSchema& t = *c.table;
    if (t.identity.empty()) return "a row of " + t.qualified + ", which has no key";
    std::string out = t.qualified + " key (";
    for (size_t k = 0; k < t.identity.size(); ++k) {
        const uint32_t col = t.identity[k];
        const auto& img = col < c.row->after.size() && c.row->after[col].isPresent() ? c.row->after : c.row->before;
        if (k) out += ", ";
        out += db::quoteIdent(t.columns[col].name) + "=" + binlog::sqlLiteral(img.at(col)).substr(0, 100);
    }
    return out + ")";
}

// What the dialect module knows about `code` ("TiDB ErrTxnTooLarge: ..."), for a message.
std::string knownMeaning(unsigned code) {
    for (const auto& k : dialect::knownErrors())
        if (k.code == code) return std::string(k.server) + " " + k.name + ": " + k.meaning;
    return "error " + std::to_string(code);
}

// Warnings that mean the target stored another value than the one sent: the copy stops on
// them (copy/logical_writer.cpp), and so does replay. Others (notes, deprecations such as
// MySQL 8's 1287 for VALUES() in ON DUPLICATE KEY UPDATE) leave the data as sent.
bool valueChangedWarning(unsigned code) {
    switch (code) {
        case 1048:  // ER_BAD_NULL_ERROR: NULL into NOT NULL, stored as the implicit default
        case 1261:  // ER_WARN_TOO_FEW_RECORDS
        case 1262:  // ER_WARN_TOO_MANY_RECORDS
        case 1263:  // ER_WARN_NULL_TO_NOTNULL
        case 1264:  // ER_WARN_DATA_OUT_OF_RANGE: clamped
        case 1265:  // WARN_DATA_TRUNCATED
        case 1292:  // ER_TRUNCATED_WRONG_VALUE
        case 1300:  // ER_INVALID_CHARACTER_STRING
        case 1364:  // ER_NO_DEFAULT_FOR_FIELD
        case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: "Incorrect ... value"
        case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
        case 1406:  // ER_DATA_TOO_LONG
        case 1918:  // MariaDB ER_BAD_DATA: "Encountered illegal value ... when converting"
            return true;
        default: return false;
    }
}

// A statement of a piece left warnings that may mean a changed value. Their text is gone once
// later statements ran, so the piece is rolled back and sent again one statement at a time.
struct WarningsSeen {};

// What a warning that changed a value said, and which statement of the piece left it.
struct ValueChanged {
    size_t statement = 0;
    std::string warning;  // "Warning 1406: Data too long for column 'v' at row 1"
};

// How many warnings a statement leaves that change nothing: MySQL 8.0.20+ deprecates VALUES()
// in ON DUPLICATE KEY UPDATE with one 1287 per use. Any other count is looked at closely.
size_t expectedWarnings(const std::string& sql, bool valuesDeprecated) {
    if (!valuesDeprecated) return 0;
    // The clause holds identifiers only and comes after every literal of the statement.
    const auto clause = sql.rfind(" ON DUPLICATE KEY UPDATE ");
    if (clause == std::string::npos) return 0;
    size_t n = 0;
    for (auto at = sql.find(" = VALUES(", clause); at != std::string::npos; at = sql.find(" = VALUES(", at + 1)) ++n;
    return n;
}

// The column a "... for column 'c' at row N" warning names, or "".
std::string warnedColumn(std::string_view message) {
    static constexpr std::string_view head = "for column '";
    const auto from = message.find(head);
    if (from == std::string_view::npos) return {};
    const auto to = message.rfind("' at row ");
    if (to == std::string_view::npos || to < from + head.size()) return {};
    return std::string(message.substr(from + head.size(), to - from - head.size()));
}

// Whether a 1265 on column `name` of `table` is the ENUM '' error value of a non-strict source
// going in as index 0 (stored as '' again, so nothing changed): the column is an ENUM and no
// change of the piece for that table writes an index the target's ENUM lacks.
bool legacyEnumBlank(const TableSchema& table, const std::string& name, const std::vector<RowChange>& changes,
                     const std::vector<uint32_t>& ids) {
    size_t col = 0;
    while (col < table.columns.size() && table.columns[col].name != name) ++col;
    if (col == table.columns.size() || table.columns[col].dataType != "enum") return false;
    const size_t labels = col < table.hint.columns.size() ? table.hint.columns[col].enumValues.size() : 0;
    bool blank = false;
    for (uint32_t id : ids) {
        const RowChange& c = changes[id];
        if (c.table.get() != &table || col >= c.row->after.size()) continue;
        const binlog::Value& v = c.row->after[col];
        if (v.kind != binlog::Value::Kind::Enum) continue;
        if (v.u == 0) blank = true;
        else if (labels == 0 || v.u > labels) return false;
    }
    return blank;
}

// Retries for an error whose code the dialect module has no plan for (client-side losses).
dialect::RetryPlan retryPlan(const db::DbError& e) {
    auto plan = dialect::retryPlanFor(e.code(), e.what());
    if (plan.attempts <= 0) plan = {5, std::chrono::milliseconds(250), std::chrono::milliseconds(5000)};
    return plan;
}

}  // namespace

bool traceEnabled() {
    static const bool on = std::getenv("TIDEMARK_REPLAY_TRACE") != nullptr;
    return on;
}

void prepareTargetSession(db::Connection& c) {
    db::dialect::applySession(c, db::dialect::SessionPurpose::Replay);
    // A share's transaction goes to the target as a few round trips of many statements.
    if (mysql_set_server_option(c.raw(), MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) c.fail("enabling multi-statements");
}

struct Applier::Impl {
    db::ConnectOptions options;
    const CheckpointStore& store;
    const Fence& fence;
    ApplierOptions opts;
    std::vector<std::optional<db::Connection>> conns;
    // Held by whoever uses connection i: its worker (a batch, an idle renewal) or applyDdl (0).
    std::vector<std::unique_ptr<std::mutex>> connMu;
    std::vector<std::chrono::steady_clock::time_point> lastClaim;  // per connection, under connMu
    std::vector<std::thread> threads;

    mutable std::mutex mu;
    std::condition_variable cv;
    uint64_t generation = 0;
    int running = 0;
    bool quit = false;
    std::shared_ptr<const Batch> batch;
    std::shared_ptr<const Partition> partition;
    std::vector<bool> committed;
    std::exception_ptr error;
    bool errorRetryable = true;
    std::vector<std::string> splitNotes;
    std::atomic<uint64_t> rows{0};
    std::atomic<uint64_t> transactions{0};
    std::atomic<uint64_t> held{0};
    std::optional<db::dialect::ServerInfo> target;  // the target's dialect, detected at the first DDL
    SqlDialect dialect;
    bool valuesDeprecated = false;  // the target warns about VALUES() in ON DUPLICATE KEY UPDATE
    // A piece with row changes, or a DDL, was committed by this applier: a DDL from now on cannot
    // have run before this run started (applyDdl).
    std::atomic<bool> changedTarget{false};
    std::once_flag xaTable;

    Impl(const db::ConnectOptions& o, const CheckpointStore& s, const Fence& f, ApplierOptions ao)
        : options(o), store(s), fence(f), opts(ao) {}

    std::chrono::milliseconds idleRenewal() const {
        return opts.idleRenewal.count() > 0 ? opts.idleRenewal
                                            : std::max(fence.lease() / 3, std::chrono::milliseconds(30));
    }

    db::Connection& conn(int i) {
        if (!conns[i]) {
            auto c = db::connectWithRetry(
                options, db::RetryPolicy{8, std::chrono::milliseconds(200), std::chrono::milliseconds(5000)});
            prepareTargetSession(c);
            // The server ends a session idle this long, rolling back what it had open: a frozen
            // or cut-off runner cannot hold a fence row (and so delay a takeover) for longer. A
            // live session renews its slot every idleRenewal().
            const auto idle = std::max<long long>(
                10, std::chrono::duration_cast<std::chrono::seconds>(fence.lease() * 2).count() + 1);
            c.execute("SET SESSION wait_timeout = " + std::to_string(idle));
            fence.registerConnection(c, i);
            conns[i].emplace(std::move(c));
        }
        return *conns[i];
    }

    // Ends connection i's transaction, or the connection when that fails.
    void rollback(int i) {
        if (!conns[i]) return;
        try {
            conns[i]->execute("ROLLBACK");
        } catch (const db::DbError&) {
            conns[i].reset();
        }
    }

    // Sends `sql` (several statements) and consumes every result, handing each (its index in
    // `sql`, its result set or null, its affected rows) to `onResult`, which must not throw. On
    // failure throws, with `failedAt` set to `first` + the index of the statement that failed.
    // With `warnings`, the count each statement left is stored at [first + its index].
    void runMulti(db::Connection& c, const std::string& sql, size_t first, size_t& failedAt,
                  const std::function<void(size_t, MYSQL_RES*, uint64_t)>& onResult = {},
                  std::vector<unsigned>* warnings = nullptr) {
        MYSQL* m = c.raw();
        failedAt = first;
        db::checkFaultBefore(c.options(), sql);
        if (mysql_real_query(m, sql.data(), sql.size()) != 0) c.fail("applying replicated changes");
        for (size_t k = 0;; ++k) {
            MYSQL_RES* res = mysql_store_result(m);
            if (!res && mysql_field_count(m) != 0) c.fail("reading a result while applying replicated changes");
            if (warnings && first + k < warnings->size()) (*warnings)[first + k] = mysql_warning_count(m);
            if (onResult) onResult(k, res, mysql_affected_rows(m));
            if (res) mysql_free_result(res);
            int st = mysql_next_result(m);
            if (st == -1) break;
            ++failedAt;
            if (st > 0) c.fail("applying replicated changes");
        }
        db::checkFaultAfter(c.options(), sql);
    }

    // Opens a transaction on connection `slot`, claims the slot's fence row and reads share
    // `share`'s checkpoint row: how much of the share is in the target. Throws FencedOut.
    ShareProgress beginShare(db::Connection& c, int slot, int share) {
        const std::string sql = "START TRANSACTION;\n" + fence.claim(slot) + ";\n" + store.lockRow(share);
        lastClaim[slot] = std::chrono::steady_clock::now();
        uint64_t claimed = 0;
        ShareProgress p;
        size_t failedAt = 0;
        runMulti(c, sql, 0, failedAt, [&](size_t k, MYSQL_RES* res, uint64_t affected) {
            if (k == 1) claimed = affected;
            if (k != 2 || !res) return;
            if (MYSQL_ROW row = mysql_fetch_row(res); row && row[0] && row[1]) {
                p.batch = std::strtoull(row[0], nullptr, 10);
                p.next = std::strtoull(row[1], nullptr, 10);
            }
        });
        fence.checkClaim(c, claimed);
        return p;
    }

    // Changes ids[from, ..) of share `share` as one piece of at most `budget` bytes of SQL (or
    // one change), ending at a source transaction boundary when one is near.
    Piece plan(int share, size_t from, size_t budget, double& bytesPerChange) const {
        const Batch& b = *batch;
        const auto& ids = partition->shares[share];
        SqlLimits sl;
        sl.maxBytesPerStatement = std::clamp<size_t>(budget / 4, 4096, sl.maxBytesPerStatement);
        Piece p;
        p.from = from;
        size_t count = ids.size() - from;
        if (bytesPerChange > 0)
            count = std::min(count, std::max<size_t>(1, static_cast<size_t>(0.9 * budget / bytesPerChange)));
        for (;;) {
            std::vector<uint32_t> part(ids.begin() + from, ids.begin() + from + count);
            p.statements = render(share, from, part, sl, p);
            if (b.xaStep == Batch::XaStep::Prepare) appendXaUndo(p.statements, b, ids, from, from + count);
            p.bytes = 0;
            for (const auto& st : p.statements) p.bytes += st.sql.size() + 2;
            if (count > 0) bytesPerChange = static_cast<double>(p.bytes) / count;
            if (p.bytes <= budget || count <= 1) break;
            size_t fit = std::clamp<size_t>(static_cast<size_t>(count * 0.9 * budget / p.bytes), 1, count - 1);
            for (size_t k = fit; k >= std::max<size_t>(1, fit / 2); --k)
                if (txnBoundaryBefore(b, ids, from + k)) {
                    fit = k;
                    break;
                }
            count = fit;
        }
        p.to = from + count;
        return p;
    }

    // The statements of changes `part` of share `share` (from `from` on): applied ones, then the
    // held ones (pessimistic shard DDL) as rows of ddl_held_rows; p.awaited and p.held say which.
    std::vector<Statement> render(int share, size_t from, const std::vector<uint32_t>& part, const SqlLimits& sl,
                                  Piece& p) const {
        const Batch& b = *batch;
        p.awaited.clear();
        p.held = 0;
        if (!opts.shardDdl) return buildStatements(b.changes, part, partition->component, dialect, sl);
        std::map<std::string, uint64_t> applied;  // one reading of the cache per merged table
        auto heldNow = [&](const TableSchema& t) {
            if (t.shardStep == 0) return false;
            auto it = applied.find(t.qualified);
            if (it == applied.end()) it = applied.emplace(t.qualified, opts.shardDdl->applied(t.qualified)).first;
            return t.shardStep > it->second && opts.shardDdl->mergedTable(t.qualified).has_value();
        };
        std::vector<uint32_t> direct, heldIds;
        for (uint32_t id : part) (heldNow(*b.changes[id].table) ? heldIds : direct).push_back(id);
        auto out = buildStatements(b.changes, direct, partition->component, dialect, sl);
        if (heldIds.empty()) return out;
        const auto heldStatements = buildStatements(b.changes, heldIds, partition->component, dialect, sl);
        for (size_t k = 0; k < heldStatements.size(); ++k) {
            const TableSchema& t = *heldStatements[k].table;
            const auto merged = *opts.shardDdl->mergedTable(t.qualified);
            p.awaited[merged] = applied[t.qualified];
            out.push_back(
                {holdStatement(opts.shardDdl->jobKey(), opts.shardDdl->instanceKey(), merged, {t.database, t.name},
                               t.shardStep, HeldOrder{b.seq, share, b.txnOffset + from, k}, heldStatements[k].sql),
                 nullptr, 0});
        }
        p.held = heldIds.size();
        return out;
    }

    // In a piece's transaction: locks the coordination row of each merged table the piece holds
    // changes for; false (the cache updated) when one has applied another step since the piece was
    // planned.
    bool stillAwaited(db::Connection& c, const Piece& p) {
        bool same = true;
        for (const auto& [merged, applied] : p.awaited) {
            const uint64_t now = opts.shardDdl->lock(c, merged);
            if (now == applied) continue;
            opts.shardDdl->setApplied(merged, now);
            same = false;
        }
        return same;
    }

    // Sends a planned piece after its claim: its statements in round trips of bounded size, then
    // its checkpoint row with COMMIT in a round trip of their own, so that no piece commits a value
    // the target changed (the copy's rule, copy/logical_writer.cpp). `failedAt` indexes
    // `statements` (past the end: the checkpoint). Throws WarningsSeen when a statement left
    // warnings to look at; `careful` sends one statement per round trip and reads them, throwing
    // ValueChanged for one that changed a value.
    void sendPiece(db::Connection& c, const std::vector<Statement>& statements, const std::string& cp, size_t& failedAt,
                   bool careful, const std::function<bool(size_t, const std::string&)>& benign) {
        std::vector<unsigned> warnings(statements.size(), 0);
        if (careful) {
            for (size_t k = 0; k < statements.size(); ++k) {
                runMulti(c, statements[k].sql, k, failedAt, {}, &warnings);
                if (warnings[k] > 0) checkWarnings(c, k, benign);
            }
        } else {
            std::string sql;
            size_t first = 0, count = 0;
            for (size_t k = 0; k < statements.size(); ++k) {
                if (!sql.empty() && sql.size() + statements[k].sql.size() > kMaxRoundTripBytes) {
                    runMulti(c, sql, first, failedAt, {}, &warnings);
                    sql.clear();
                    first += count;
                    count = 0;
                }
                if (!sql.empty()) sql += ";\n";
                sql += statements[k].sql;
                ++count;
            }
            if (!sql.empty()) runMulti(c, sql, first, failedAt, {}, &warnings);
            for (size_t k = 0; k < statements.size(); ++k)
                if (warnings[k] != expectedWarnings(statements[k].sql, valuesDeprecated)) throw WarningsSeen{};
        }
        runMulti(c, cp + ";\nCOMMIT", statements.size(), failedAt);
    }

    // Reads the warnings statement `k` (the last one sent) left; throws ValueChanged for the
    // first that means the target stored another value than the one sent.
    void checkWarnings(db::Connection& c, size_t k, const std::function<bool(size_t, const std::string&)>& benign) {
        auto w = c.query("SHOW WARNINGS");
        const unsigned count = mysql_warning_count(c.raw());
        for (size_t r = 0; r < w.size(); ++r) {
            const auto& row = w.rows[r];
            if (row.size() < 3) continue;
            const unsigned code = static_cast<unsigned>(std::strtoul(row[1].value_or("0").c_str(), nullptr, 10));
            const std::string message = row[2].value_or("");
            if (!valueChangedWarning(code) || (code == dialect::kWarnDataTruncated && benign(k, message))) continue;
            throw ValueChanged{k, row[0].value_or("Warning") + " " + std::to_string(code) + ": " + message};
        }
        if (w.size() < count)
            throw ValueChanged{k, std::to_string(count) + " warnings, more than the target lists (max_error_count)"};
    }

    // XA (change.h). The undo log of prepared XA transactions lives next to the checkpoints,
    // created when the first XA step arrives (outside any transaction: it commits implicitly).
    std::string xaWhere(const Batch& b) const {
        return " WHERE job = " + db::hexLiteral(store.job()) + " AND xid = " + db::hexLiteral(b.xaXid);
    }

    void ensureXaTable(db::Connection& c) {
        std::call_once(xaTable, [&] {
            c.execute("CREATE TABLE IF NOT EXISTS " + db::qualified(kMetaSchema, "replay_xa_undo") +
                      " (job VARCHAR(128) NOT NULL, xid VARBINARY(400) NOT NULL, seq BIGINT UNSIGNED NOT NULL, "
                      "stmt LONGBLOB NOT NULL, PRIMARY KEY (job, xid, seq))");
        });
    }

    // What undoes change `c`, as statements in the order they run: the before image back for an
    // update or a delete, the inserted row image removed. Needs full row images.
    std::vector<Statement> undoOf(const Batch& b, const RowChange& c) const {
        const TableSchema& t = *c.table;
        auto complete = [&](const std::vector<binlog::Value>& img, bool keyOnly) {
            for (size_t col = 0; col < t.columns.size(); ++col) {
                if (keyOnly && std::find(t.identity.begin(), t.identity.end(), col) == t.identity.end()) continue;
                if (t.columns[col].generated) continue;
                if (col >= img.size() || !img[col].isPresent() || img[col].kind == binlog::Value::Kind::JsonDiff)
                    return false;
            }
            return true;
        };
        binlog::Row inverse;
        RowChange undo{c.table, c.kind, &inverse, c.safe};
        switch (c.kind) {
            case binlog::RowsKind::Write:
                undo.kind = binlog::RowsKind::Delete;
                inverse.before = c.row->after;
                break;
            case binlog::RowsKind::Delete:
                undo.kind = binlog::RowsKind::Write;
                inverse.after = c.row->before;
                break;
            case binlog::RowsKind::Update:
                inverse.before = c.row->after;
                inverse.after = c.row->before;
                break;
        }
        const bool ok = (inverse.before.empty() || complete(inverse.before, !t.identity.empty())) &&
            (inverse.after.empty() || complete(inverse.after, false));
        if (!ok)
            throw ReplayError(options.endpoint() + ": the XA transaction " + b.xaXid + " prepared at source position " +
                                  b.end.text() + " changes " + t.qualified +
                                  " with partial row images, which cannot be undone at XA ROLLBACK; set "
                                  "binlog_row_image=FULL (and binlog_row_value_options='') on the source",
                              false);
        return buildStatements({undo}, {0}, {0}, dialect);
    }

    // The undo log of changes ids[from, to) of a prepared XA transaction, as statements of its
    // piece: one row per undo statement, ordered so that descending `seq` is the undo order.
    void appendXaUndo(std::vector<Statement>& out, const Batch& b, const std::vector<uint32_t>& ids, size_t from,
                      size_t to) const {
        const std::string head =
            "INSERT INTO " + db::qualified(kMetaSchema, "replay_xa_undo") + " (job, xid, seq, stmt) VALUES ";
        const std::string key = "(" + db::hexLiteral(store.job()) + ", " + db::hexLiteral(b.xaXid) + ", ";
        // A leftover of an earlier transaction under the same XID (never resolved in the stream).
        if (from == 0 && b.txnOffset == 0)
            out.push_back({"DELETE FROM " + db::qualified(kMetaSchema, "replay_xa_undo") + xaWhere(b)});
        std::string sql;
        for (size_t k = from; k < to; ++k) {
            const auto undo = undoOf(b, b.changes[ids[k]]);
            for (size_t j = 0; j < undo.size() && j < 256; ++j) {
                if (sql.size() > (1u << 20)) {
                    out.push_back({std::move(sql)});
                    sql.clear();
                }
                sql += sql.empty() ? head : ",";
                sql += key + std::to_string((b.txnOffset + ids[k]) * 256 + 255 - j) + ", " +
                    db::hexLiteral(undo[j].sql) + ")";
            }
        }
        if (!sql.empty()) out.push_back({std::move(sql)});
    }

    // XA COMMIT forgets the undo log of the transaction; XA ROLLBACK runs it first, newest change
    // first. Appended to share 0's statements, inside its transaction (after its claim).
    void xaResolution(db::Connection& c, const Batch& b, std::vector<Statement>& out) {
        const std::string table = db::qualified(kMetaSchema, "replay_xa_undo");
        if (b.xaStep == Batch::XaStep::Rollback) {
            auto undo = c.query("SELECT stmt FROM " + table + xaWhere(b) + " ORDER BY seq DESC");
            for (size_t r = 0; r < undo.size(); ++r) out.push_back({undo.rows[r][0].value_or("")});
        }
        out.push_back({"DELETE FROM " + table + xaWhere(b)});
    }

    static dialect::ErrorClass classOf(const db::DbError& e) {
        switch (e.kind()) {
            case db::ErrorKind::ConnectionLost:
            case db::ErrorKind::Refused:
            case db::ErrorKind::TooManyConnections: return dialect::ErrorClass::Reconnect;
            default: return e.errorClass();
        }
    }

    void applyShare(int slot, int share) {
        const Batch& b = *batch;
        const auto& ids = partition->shares[share];
        if (share != 0 && ids.empty()) return;
        size_t next = 0;  // the position of the share's first change not known to be committed
        size_t budget = std::max<size_t>(opts.limits.maxTxnBytes, 1);
        double bytesPerChange = 0;
        std::optional<Piece> piece;
        std::optional<size_t> resumedAt;
        int pieces = 0, attempt = 0;
        bool careful = false;  // send the piece one statement at a time, reading its warnings
        // The statements sent: the piece's, plus an XA COMMIT/ROLLBACK's work (share 0).
        std::vector<Statement> withXa;
        const std::vector<Statement>* sent = nullptr;
        auto benign = [&](size_t k, const std::string& message) {
            const Statement& st = (*sent)[k];
            return st.table && legacyEnumBlank(*st.table, warnedColumn(message), b.changes, ids);
        };
        auto describe = [&](const Statement* bad) {
            return options.endpoint() + ": applying source transactions " + b.start.text() + " .. " + b.end.text() +
                (bad && bad->table ? " to " + bad->table->qualified : std::string());
        };
        for (;;) {
            // A piece batch of a continuing source transaction whose last piece committed (its
            // answer lost): nothing left, and its row never says 0 (change.h).
            if (b.txnContinues && next == ids.size() && next > 0) break;
            if (!piece || piece->from != next) {
                piece = plan(share, next, budget, bytesPerChange);
                careful = false;
            }
            sent = &piece->statements;
            size_t failedAt = piece->statements.size();
            try {
                db::Connection& c = conn(slot);
                if (b.xaStep != Batch::XaStep::None) ensureXaTable(c);
                const ShareProgress row = beginShare(c, slot, share);
                const bool whole = row.batch == b.seq && row.next == 0;
                // Rows of a piece batch count from its source transaction's start (change.h).
                const size_t at =
                    row.batch == b.seq && row.next >= b.txnOffset ? static_cast<size_t>(row.next - b.txnOffset) : 0;
                if (whole || at != next) {
                    // Committed by an attempt whose answer was lost, or by an earlier run.
                    rollback(slot);
                    if (whole) break;
                    if (at < next || at > ids.size())
                        throw ReplayError(describe(nullptr) + ": the checkpoint row of share " + std::to_string(share) +
                                              " says position " + std::to_string(at) + ", expected at least " +
                                              std::to_string(next) + "; was " + kMetaSchema + " edited?",
                                          false);
                    if (!resumedAt && pieces == 0) resumedAt = at;
                    next = at;
                    continue;
                }
                if (!piece->awaited.empty() && !stillAwaited(c, *piece)) {
                    rollback(slot);
                    piece.reset();
                    continue;
                }
                const bool last = piece->to == ids.size();
                if (share == 0 && last && (b.xaStep == Batch::XaStep::Commit || b.xaStep == Batch::XaStep::Rollback)) {
                    withXa = piece->statements;
                    xaResolution(c, b, withXa);
                    sent = &withXa;
                }
                sendPiece(c, *sent,
                          store.upsert(CheckpointRow{share, b.seq, b.shares, b.start, b.end,
                                                     last && !b.txnContinues ? 0 : b.txnOffset + piece->to}),
                          failedAt, careful, benign);
                if (piece->to > piece->from) changedTarget = true;
                rows += piece->to - piece->from;
                held += piece->held;
                ++transactions;
                ++pieces;
                attempt = 0;
                next = piece->to;
                if (last) break;
            } catch (const FencedOut&) {
                rollback(slot);
                throw;
            } catch (const WarningsSeen&) {
                rollback(slot);
                careful = true;
            } catch (const ValueChanged& v) {
                rollback(slot);
                const Statement* bad = v.statement < sent->size() ? &(*sent)[v.statement] : nullptr;
                throw ReplayError(describe(bad) + ": the target changed a value (" + v.warning +
                                      "); make the target's column hold the source's values (its type, length, "
                                      "charset or ENUM members differ), then restart the job",
                                  false);
            } catch (const db::DbError& e) {
                const auto cls = classOf(e);
                if (cls == dialect::ErrorClass::Reconnect) conns[slot].reset();
                else rollback(slot);  // also what 8028 needs: its transaction is not rolled back by itself
                const Statement* bad = failedAt < sent->size() ? &(*sent)[failedAt] : nullptr;
                if (e.code() == dialect::kErDupEntry || e.code() == dialect::kErDupUnique) {
                    throw DuplicateKeyError(
                        options.endpoint() + ": duplicate key in target table " +
                        (bad && bad->table ? bad->table->qualified : std::string("?")) +
                        " while replaying source transactions " + b.start.text() + " .. " + b.end.text() + ": " +
                        e.what() +
                        ". The target holds a row the source does not; check the source data, then restart the job "
                        "(restartAfterError / --restart) to replace the conflicting target rows with the source's.");
                }
                const size_t changes = piece->to - piece->from;
                if ((cls == dialect::ErrorClass::Split || cls == dialect::ErrorClass::EntryTooLarge) && changes > 1) {
                    // Smaller pieces; for an entry too large, down to the one change to name.
                    budget = std::max<size_t>(1, piece->bytes / 2);
                    piece.reset();
                    continue;
                }
                if (cls == dialect::ErrorClass::Split || cls == dialect::ErrorClass::EntryTooLarge) {
                    const RowChange& change = b.changes[ids[piece->from]];
                    throw ReplayError(
                        describe(bad) + " failed: " + e.what() + ". One source row change (" + rowKeyText(change) +
                            ") is larger than the target takes " +
                            (cls == dialect::ErrorClass::Split ? "in one transaction" : "as one row (entry)") +
                            "; raise the target's limit (" + knownMeaning(e.code()) + ") and restart the job",
                        false);
                }
                if (cls == dialect::ErrorClass::Fatal) throw ReplayError(describe(bad) + " failed: " + e.what(), false);
                const auto retry = retryPlan(e);
                if (++attempt > retry.attempts)
                    throw ReplayError(describe(bad) + " failed " + std::to_string(attempt) + " times: " + e.what(),
                                      true);
                std::this_thread::sleep_for(retry.delay(attempt));
            }
        }
        if (pieces > 1 || resumedAt) {
            std::lock_guard lock(mu);
            splitNotes.push_back("share " + std::to_string(share) + " of source transactions " + b.start.text() +
                                 " .. " + b.end.text() + " (" + std::to_string(ids.size()) + " row changes" +
                                 (resumedAt ? ", resumed at change " + std::to_string(*resumedAt) : std::string()) +
                                 ") took " + std::to_string(pieces) + " target transactions of at most " +
                                 std::to_string(opts.limits.maxTxnBytes) + " bytes");
        }
    }

    // Renews the slot of a connection that claimed nothing for idleRenewal() (its shares were
    // empty, or no batch came): keeps the session from its wait_timeout and finds a takeover early.
    void renewIdle(int index) {
        std::lock_guard use(*connMu[index]);
        const auto now = std::chrono::steady_clock::now();
        if (!conns[index] || now - lastClaim[index] < idleRenewal()) return;  // reconnects when next needed
        try {
            lastClaim[index] = now;
            fence.renew(*conns[index], index);
        } catch (const FencedOut&) {
            std::lock_guard lock(mu);
            if (!error || errorRetryable) {
                error = std::current_exception();
                errorRetryable = false;
            }
        } catch (const db::DbError&) {
            conns[index].reset();
        }
    }

    void loop(int index) {
        uint64_t seen = 0;
        for (;;) {
            std::unique_lock lock(mu);
            if (!cv.wait_for(lock, idleRenewal(), [&] { return quit || generation != seen; })) {
                lock.unlock();
                renewIdle(index);
                continue;
            }
            if (quit) return;
            seen = generation;
            lock.unlock();
            std::exception_ptr err;
            bool retryable = true;
            try {
                std::lock_guard use(*connMu[index]);
                const int shares = static_cast<int>(partition->shares.size());
                for (int s = index; s < shares; s += static_cast<int>(conns.size()))
                    if (committed.empty() || !committed[s]) applyShare(index, s);
            } catch (const ReplayError& e) {
                err = std::current_exception();
                retryable = e.retryable();
            } catch (const db::DbError& e) {
                err = std::current_exception();
                retryable = e.retryable();
                std::lock_guard use(*connMu[index]);
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
            lock.unlock();
            renewIdle(index);
        }
    }

    // The DDL's checkpoint: share 0's row, alone in a fenced transaction. `next` 0 once it ran,
    // 1 right before it runs (applyDdl says why).
    void checkpointDdl(db::Connection& c, const Batch& b, uint64_t next = 0, const InCheckpoint& inCheckpoint = {}) {
        for (bool done = false; !done;) {
            fence.begin(c, 0);
            try {
                done = !inCheckpoint || inCheckpoint(c);
                if (done) c.execute(store.upsert(CheckpointRow{0, b.seq, b.shares, b.start, b.end, next}));
                c.execute("COMMIT");
            } catch (...) {
                rollback(0);
                throw;
            }
        }
    }
};

Applier::Applier(const db::ConnectOptions& target, int connections, const CheckpointStore& store, const Fence& fence,
                 ApplierOptions options)
    : impl_(std::make_unique<Impl>(target, store, fence, options)) {
    connections = std::max(connections, 1);
    impl_->conns.resize(connections);
    impl_->lastClaim.assign(connections, std::chrono::steady_clock::now());
    for (int i = 0; i < connections; ++i) impl_->connMu.push_back(std::make_unique<std::mutex>());
    for (int i = 0; i < connections; ++i) impl_->conn(i);
    impl_->dialect.jsonAsText = impl_->conns[0]->isMariaDB();
    impl_->target = db::dialect::detectServer(*impl_->conns[0]);
    const auto& server = *impl_->target;
    impl_->valuesDeprecated = !server.isMariaDB() && !server.isTidb() &&
        (server.major > 8 || (server.major == 8 && (server.minor > 0 || server.patch >= 20)));
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

bool Applier::applyDdl(const Batch& b, bool alreadyMaybeApplied, const InCheckpoint& inCheckpoint) {
    wait();
    std::lock_guard use(*impl_->connMu[0]);
    db::Connection& c = impl_->conn(0);
    // Before the DDL runs, share 0's row says its batch is under way (next 1). After a crash
    // between the DDL and its checkpoint, recovery then starts at this batch: it does not re-read
    // the batch before it, whose rows no longer match the definitions the DDL changed on the
    // target (schema_tracker.h reads them there), and it runs the DDL first, as one that may
    // already be there.
    impl_->checkpointDdl(c, b, 1);
    // A DDL commits by itself, outside any fenced transaction: it goes out right after this
    // connection renewed the lease, which a takeover needs to run out (or this connection to end).
    impl_->lastClaim[0] = std::chrono::steady_clock::now();
    impl_->fence.renew(c, 0);
    // The DDL may have run in an earlier run that crashed before its checkpoint only when this
    // run has changed nothing yet: the earlier run ran it once every change before it was in,
    // and this run's recovery of the batch before it then finds every share committed (a share
    // without changes in that batch keeps an older row and is re-submitted, committing nothing).
    const bool maybeApplied = alreadyMaybeApplied || !impl_->changedTarget;
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
        if (!impl_->target) impl_->target = db::dialect::detectServer(c);
        const auto translated = db::dialect::translateDdl(b.ddlStatement, *impl_->target);
        if (translated.refused())
            throw DdlRejectedError(impl_->options.endpoint() + " (" + impl_->target->versionText +
                                       ") cannot take the DDL at source position " + b.end.text() + " (" + b.ddlHead +
                                       "): " + translated.refusal,
                                   b.end.text(), b.ddlStatement.substr(0, 300), translated.refusal);
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
        // Each statement on its own: of a DDL translated into several, the first may have run
        // before a crash and the rest not.
        applied = false;
        for (const auto& statement : translated.statements) {
            try {
                c.execute(statement);
                applied = true;
            } catch (const db::DbError& e) {
                if (!(maybeApplied && db::dialect::ddlAlreadyApplied(e.code()))) throw;
            }
        }
    } catch (const db::DbError& e) {
        if (e.kind() == db::ErrorKind::ConnectionLost) impl_->conns[0].reset();
        const std::string message = impl_->options.endpoint() + ": the target rejected DDL at source position " +
            b.end.text() + " (" + b.ddlHead + "): " + e.what() + "; statement: " + b.ddlStatement.substr(0, 300);
        if (e.retryable()) throw ReplayError(message, true);
        throw DdlRejectedError(message, b.end.text(), b.ddlStatement.substr(0, 300), e.what());
    }
    impl_->checkpointDdl(c, b, 0, inCheckpoint);
    impl_->changedTarget = true;
    return applied;
}

void Applier::skipDdl(const Batch& b, const InCheckpoint& inCheckpoint) {
    wait();
    std::lock_guard use(*impl_->connMu[0]);
    db::Connection& c = impl_->conn(0);
    impl_->lastClaim[0] = std::chrono::steady_clock::now();
    impl_->fence.renew(c, 0);
    impl_->checkpointDdl(c, b, 0, inCheckpoint);
    impl_->changedTarget = true;
}

int Applier::connections() const { return static_cast<int>(impl_->conns.size()); }
uint64_t Applier::rowsApplied() const { return impl_->rows.load(); }
uint64_t Applier::rowsHeld() const { return impl_->held.load(); }
uint64_t Applier::transactionsCommitted() const { return impl_->transactions.load(); }

std::vector<std::string> Applier::takeSplitNotes() {
    std::lock_guard lock(impl_->mu);
    return std::exchange(impl_->splitNotes, {});
}

}  // namespace tidemark::replay
