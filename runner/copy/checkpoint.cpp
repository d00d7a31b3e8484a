#include "runner/copy/checkpoint.h"

#include <mysqld_error.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace tidemark::copy {

namespace {

const char* kSchema[] = {
    "CREATE DATABASE IF NOT EXISTS tidemark_meta",
    "CREATE TABLE IF NOT EXISTS tidemark_meta.copy_job ("
    " job VARCHAR(128) NOT NULL PRIMARY KEY, mode VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL,"
    " started_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, finished_at TIMESTAMP NULL"
    ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS tidemark_meta.copy_snapshot ("
    " job VARCHAR(128) NOT NULL, seq INT NOT NULL,"
    " binlog_file VARCHAR(512) NOT NULL, binlog_pos BIGINT UNSIGNED NOT NULL, gtid_set TEXT NOT NULL,"
    " until_file VARCHAR(512) NOT NULL, until_pos BIGINT UNSIGNED NOT NULL, until_gtid_set TEXT NOT NULL,"
    " created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (job, seq)"
    ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS tidemark_meta.copy_table ("
    " job VARCHAR(128) NOT NULL, db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL,"
    " state TINYINT NOT NULL, deferred_indexes LONGTEXT NOT NULL, estimated_rows BIGINT UNSIGNED NOT NULL,"
    " definition LONGTEXT NULL, PRIMARY KEY (job, db, tbl)"
    ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS tidemark_meta.copy_chunk ("
    " job VARCHAR(128) NOT NULL, db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL, chunk INT NOT NULL,"
    " bounds LONGTEXT NULL, state TINYINT NOT NULL, snapshot_seq INT NOT NULL DEFAULT 0,"
    " rows_copied BIGINT UNSIGNED NOT NULL DEFAULT 0, bytes_copied BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " PRIMARY KEY (job, db, tbl, chunk)"
    ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
};

std::uint64_t num(const std::optional<std::string>& v) {
    try {
        return v && !v->empty() ? std::stoull(*v) : 0;
    } catch (...) {
        return 0;
    }
}

// Runs a schema change that another runner may have made a moment ago (`already`: the error
// that says so).
void alterOnce(db::Connection& c, const std::string& sql, unsigned already) {
    try {
        c.execute(sql);
    } catch (const db::DbError& e) {
        if (e.code() != already) throw;
    }
}

// copy_chunk from before ranges were stored as data held them as SQL text in where_sql, with
// the source's collations in it. Such text cannot run on every target, so it is not kept: the
// column goes (an older tidemark then fails on it rather than misreading a row), and the rows
// it described are left without bounds, which tables() refuses to resume.
void migrateChunkBounds(db::Connection& c) {
    auto rows = c.query(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
        "TABLE_NAME = 'copy_chunk'");
    std::set<std::string> columns;
    for (auto& r : rows.rows) {
        std::string name = r[0].value_or("");
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
        columns.insert(name);
    }
    if (!columns.count("bounds"))
        alterOnce(c, "ALTER TABLE tidemark_meta.copy_chunk ADD COLUMN bounds LONGTEXT NULL", ER_DUP_FIELDNAME);
    if (columns.count("where_sql"))
        alterOnce(c, "ALTER TABLE tidemark_meta.copy_chunk DROP COLUMN where_sql", ER_CANT_DROP_FIELD_OR_KEY);
}

// copy_table from before table definitions were recorded: their rows keep NULL (no check on resume).
void addDefinitionColumn(db::Connection& c) {
    if (!c.scalar("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                  "TABLE_NAME = 'copy_table' AND COLUMN_NAME = 'definition'"))
        alterOnce(c, "ALTER TABLE tidemark_meta.copy_table ADD COLUMN definition LONGTEXT NULL", ER_DUP_FIELDNAME);
}

// Tables made before job instance keys (api MigrationJob::instanceKey, up to 123 characters)
// held bare job names in VARCHAR(64).
void widenJobColumns(db::Connection& c) {
    auto narrow = c.query(
        "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND TABLE_NAME LIKE "
        "'copy\\_%' AND COLUMN_NAME = 'job' AND CHARACTER_MAXIMUM_LENGTH < 128");
    for (const auto& row : narrow.rows)
        c.execute("ALTER TABLE tidemark_meta." + db::quoteIdent(row[0].value_or("")) +
                  " MODIFY job VARCHAR(128) NOT NULL");
}

}  // namespace

Checkpoint::Checkpoint(const db::ConnectOptions& target, std::string job)
    : conn_(db::Connection::open(target)), job_(std::move(job)) {
    conn_.execute("SET SESSION sql_mode = ''");
    // No gap locks: the sources of a job of several (spec.sources) record their plans in these
    // tables at once, and a DELETE of rows that are not there must not lock the other's gap.
    conn_.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    for (const char* sql : kSchema) conn_.execute(sql);
    migrateChunkBounds(conn_);
    addDefinitionColumn(conn_);
    widenJobColumns(conn_);
}

namespace {

std::string describeChunk(const std::string& database, const std::string& table, std::uint64_t chunk) {
    return "chunk " + std::to_string(chunk) + " of " + db::qualified(database, table);
}

}  // namespace

std::optional<std::string> Checkpoint::jobState() {
    std::lock_guard lock(mutex_);
    return conn_.scalar("SELECT state FROM tidemark_meta.copy_job WHERE job = " + conn_.quote(job_));
}

void Checkpoint::beginJob(std::string_view mode) {
    std::lock_guard lock(mutex_);
    conn_.execute("INSERT IGNORE INTO tidemark_meta.copy_job (job, mode, state) VALUES (" + conn_.quote(job_) + ", " +
                  conn_.quote(mode) + ", 'copying')");
}

void Checkpoint::finishJob() {
    std::lock_guard lock(mutex_);
    conn_.execute("UPDATE tidemark_meta.copy_job SET state = 'done', finished_at = CURRENT_TIMESTAMP WHERE job = " +
                  conn_.quote(job_));
}

std::vector<SnapshotRecord> Checkpoint::snapshots() {
    std::lock_guard lock(mutex_);
    auto rows = conn_.query(
        "SELECT seq, binlog_file, binlog_pos, gtid_set, until_file, until_pos, until_gtid_set "
        "FROM tidemark_meta.copy_snapshot WHERE job = " +
        conn_.quote(job_) + " ORDER BY seq");
    std::vector<SnapshotRecord> out;
    for (auto& r : rows.rows) {
        SnapshotRecord s;
        s.seq = static_cast<int>(num(r[0]));
        s.from = {r[1].value_or(""), num(r[2]), r[3].value_or("")};
        s.until = {r[4].value_or(""), num(r[5]), r[6].value_or("")};
        out.push_back(std::move(s));
    }
    return out;
}

int Checkpoint::addSnapshot(const BinlogPosition& from, const BinlogPosition& until) {
    std::lock_guard lock(mutex_);
    const int seq =
        static_cast<int>(num(conn_.scalar("SELECT COALESCE(MAX(seq), 0) FROM tidemark_meta.copy_snapshot WHERE job = " +
                                          conn_.quote(job_)))) +
        1;
    conn_.execute(
        "INSERT INTO tidemark_meta.copy_snapshot (job, seq, binlog_file, binlog_pos, gtid_set, until_file, "
        "until_pos, until_gtid_set) VALUES (" +
        conn_.quote(job_) + ", " + std::to_string(seq) + ", " + conn_.quote(from.file) + ", " +
        std::to_string(from.pos) + ", " + conn_.quote(from.gtidSet) + ", " + conn_.quote(until.file) + ", " +
        std::to_string(until.pos) + ", " + conn_.quote(until.gtidSet) + ")");
    return seq;
}

std::map<TableKey, TableRecord> Checkpoint::tables() {
    std::lock_guard lock(mutex_);
    std::map<TableKey, TableRecord> out;
    auto t = conn_.query(
        "SELECT db, tbl, state, deferred_indexes, estimated_rows, definition FROM tidemark_meta.copy_table WHERE job "
        "= " +
        conn_.quote(job_));
    for (auto& r : t.rows) {
        TableRecord rec;
        rec.db = r[0].value_or("");
        rec.name = r[1].value_or("");
        rec.state = static_cast<TableState>(num(r[2]));
        rec.estimatedRows = num(r[4]);
        rec.definition = r[5].value_or("");
        auto j = nlohmann::json::parse(r[3].value_or("[]"), nullptr, false);
        if (j.is_array())
            for (auto& d : j) rec.deferred.push_back({d.value("name", ""), d.value("clause", "")});
        out[{rec.db, rec.name}] = std::move(rec);
    }
    auto c = conn_.query("SELECT db, tbl, chunk, bounds, state FROM tidemark_meta.copy_chunk WHERE job = " +
                         conn_.quote(job_) + " ORDER BY db, tbl, chunk");
    for (auto& r : c.rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it == out.end()) continue;
        const std::string chunk = describeChunk(it->second.db, it->second.name, num(r[2]));
        if (!r[3])
            throw CopyError(conn_.options().endpoint() + ": the copy checkpoint of job " + job_ +
                            " in tidemark_meta comes from an earlier tidemark that stored chunk ranges as SQL (" +
                            chunk +
                            " has no stored range) and cannot be resumed; start the copy over: empty the copied "
                            "tables and delete the job's rows from tidemark_meta.copy_job, copy_table, copy_chunk "
                            "and copy_snapshot");
        ChunkRange range;
        try {
            range = decodeRange(*r[3]);
        } catch (const std::invalid_argument& e) {
            throw CopyError(conn_.options().endpoint() + ": the stored range of " + chunk + " (job " + job_ +
                            ") in tidemark_meta.copy_chunk is damaged (" + e.what() +
                            "); restore it or start the copy over");
        }
        it->second.chunks.push_back(
            {static_cast<int>(num(r[2])), std::move(range), static_cast<ChunkState>(num(r[4]))});
    }
    return out;
}

std::map<TableKey, int> Checkpoint::wholeTableSnapshots() {
    std::lock_guard lock(mutex_);
    auto r =
        conn_.query("SELECT db, tbl, MIN(snapshot_seq) FROM tidemark_meta.copy_chunk WHERE job = " + conn_.quote(job_) +
                    " GROUP BY db, tbl HAVING MIN(snapshot_seq) = MAX(snapshot_seq) AND MIN(snapshot_seq) > 0 AND "
                    "SUM(state <> 2) = 0");
    std::map<TableKey, int> out;
    for (auto& row : r.rows) out[{row[0].value_or(""), row[1].value_or("")}] = static_cast<int>(num(row[2]));
    return out;
}

std::pair<std::uint64_t, std::uint64_t> Checkpoint::copiedSoFar() {
    std::lock_guard lock(mutex_);
    auto r = conn_.query(
        "SELECT COALESCE(SUM(rows_copied), 0), COALESCE(SUM(bytes_copied), 0) FROM "
        "tidemark_meta.copy_chunk WHERE state = 2 AND job = " +
        conn_.quote(job_));
    if (r.empty()) return {0, 0};
    return {num(r.rows[0][0]), num(r.rows[0][1])};
}

std::vector<ChunkRecord> Checkpoint::plan(const TableKey& t) {
    std::lock_guard lock(mutex_);
    auto c =
        conn_.query("SELECT chunk, bounds, state FROM tidemark_meta.copy_chunk WHERE job = " + conn_.quote(job_) +
                    " AND db = " + conn_.quote(t.first) + " AND tbl = " + conn_.quote(t.second) + " ORDER BY chunk");
    std::vector<ChunkRecord> out;
    for (auto& r : c.rows) {
        if (!r[1]) return {};
        try {
            out.push_back({static_cast<int>(num(r[0])), decodeRange(*r[1]), static_cast<ChunkState>(num(r[2]))});
        } catch (const std::invalid_argument&) {
            return {};
        }
    }
    return out;
}

void Checkpoint::recordTable(const TableKey& t, const std::vector<DeferredIndex>& deferred, std::uint64_t estimatedRows,
                             const std::string& definition) {
    nlohmann::json j = nlohmann::json::array();
    for (auto& d : deferred) j.push_back({{"name", d.name}, {"clause", d.clause}});
    std::lock_guard lock(mutex_);
    conn_.execute(
        "REPLACE INTO tidemark_meta.copy_table (job, db, tbl, state, deferred_indexes, estimated_rows, definition) "
        "VALUES (" +
        conn_.quote(job_) + ", " + conn_.quote(t.first) + ", " + conn_.quote(t.second) + ", 0, " +
        conn_.quote(j.dump()) + ", " + std::to_string(estimatedRows) + ", " + conn_.quote(definition) + ")");
}

void Checkpoint::recordPlan(const TableKey& t, const std::vector<ChunkRecord>& chunks) {
    std::lock_guard lock(mutex_);
    const std::string key = conn_.quote(job_) + ", " + conn_.quote(t.first) + ", " + conn_.quote(t.second);
    const std::string where = " WHERE job = " + conn_.quote(job_) + " AND db = " + conn_.quote(t.first) +
        " AND tbl = " + conn_.quote(t.second);
    conn_.execute("START TRANSACTION");
    try {
        conn_.execute("DELETE FROM tidemark_meta.copy_chunk" + where);
        std::string sql;
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            if (sql.empty()) sql = "INSERT INTO tidemark_meta.copy_chunk (job, db, tbl, chunk, bounds, state) VALUES ";
            else sql += ", ";
            sql += "(" + key + ", " + std::to_string(chunks[i].no) + ", " + conn_.quote(encodeRange(chunks[i].range)) +
                ", 0)";
            if (sql.size() > (1 << 20) || i + 1 == chunks.size()) {
                conn_.execute(sql);
                sql.clear();
            }
        }
        conn_.execute("UPDATE tidemark_meta.copy_table SET state = 1" + where);
        conn_.execute("COMMIT");
    } catch (...) {
        try {
            conn_.execute("ROLLBACK");
        } catch (...) {}
        throw;
    }
}

void Checkpoint::markStarted(const TableKey& t, int chunk, int snapshotSeq) {
    std::lock_guard lock(mutex_);
    conn_.execute("UPDATE tidemark_meta.copy_chunk SET state = 1, snapshot_seq = " + std::to_string(snapshotSeq) +
                  " WHERE job = " + conn_.quote(job_) + " AND db = " + conn_.quote(t.first) +
                  " AND tbl = " + conn_.quote(t.second) + " AND chunk = " + std::to_string(chunk));
}

void Checkpoint::markDone(const TableKey& t, int chunk, std::uint64_t rows, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    conn_.execute("UPDATE tidemark_meta.copy_chunk SET state = 2, rows_copied = " + std::to_string(rows) +
                  ", bytes_copied = " + std::to_string(bytes) + " WHERE job = " + conn_.quote(job_) +
                  " AND db = " + conn_.quote(t.first) + " AND tbl = " + conn_.quote(t.second) +
                  " AND chunk = " + std::to_string(chunk));
}

void Checkpoint::markTable(const TableKey& t, TableState state) {
    std::lock_guard lock(mutex_);
    conn_.execute("UPDATE tidemark_meta.copy_table SET state = " + std::to_string(static_cast<int>(state)) +
                  " WHERE job = " + conn_.quote(job_) + " AND db = " + conn_.quote(t.first) +
                  " AND tbl = " + conn_.quote(t.second));
}

}  // namespace tidemark::copy
