#include "runner/replay/checkpoint.h"

#include <algorithm>
#include <map>

#include "runner/replay/errors.h"
#include "runner/replay/fence.h"

namespace tidemark::replay {

namespace {

std::string str(const std::string& s) { return s.empty() ? "''" : db::hexLiteral(s); }

std::string table(const char* name) { return db::qualified(kMetaSchema, name); }

}  // namespace

bool ResumePoint::complete() const {
    return !insideTxn() && std::all_of(committed.begin(), committed.end(), [](bool b) { return b; });
}

bool ResumePoint::insideTxn() const {
    return workers == 1 && next.size() == 1 && next[0] > 0 && start == end && start.gtidSet == end.gtidSet;
}

void CheckpointStore::ensureTables(db::Connection& t) const {
    t.execute(std::string("CREATE DATABASE IF NOT EXISTS ") + db::quoteIdent(kMetaSchema));
    t.execute("CREATE TABLE IF NOT EXISTS " + table("replay_checkpoint") +
              " (job VARCHAR(128) NOT NULL, worker INT NOT NULL, batch BIGINT UNSIGNED NOT NULL, "
              "workers INT NOT NULL, start_file VARCHAR(512) NOT NULL, start_pos BIGINT UNSIGNED NOT NULL, "
              "start_gtid LONGTEXT NOT NULL, end_file VARCHAR(512) NOT NULL, end_pos BIGINT UNSIGNED NOT NULL, "
              "end_gtid LONGTEXT NOT NULL, next_change BIGINT UNSIGNED NOT NULL DEFAULT 0, "
              "updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (job, worker))");
    // Checkpoints written before shares were split have no position: they are whole (0).
    auto has = t.scalar(std::string("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '") +
                        kMetaSchema + "' AND TABLE_NAME = 'replay_checkpoint' AND COLUMN_NAME = 'next_change'");
    if (has.value_or("0") == "0") {
        try {
            t.execute("ALTER TABLE " + table("replay_checkpoint") +
                      " ADD COLUMN next_change BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER end_gtid");
        } catch (const db::DbError&) {
            // Another runner may have added it meanwhile; anything else shows at the next query.
        }
    }
    t.execute("CREATE TABLE IF NOT EXISTS " + table("replay_state") +
              " (job VARCHAR(128) NOT NULL PRIMARY KEY, safe_until_file VARCHAR(512) NOT NULL DEFAULT '', "
              "safe_until_pos BIGINT UNSIGNED NOT NULL DEFAULT 0, error_file VARCHAR(512) NOT NULL DEFAULT '', "
              "error_pos BIGINT UNSIGNED NOT NULL DEFAULT 0, error_message TEXT, "
              "updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))");
    Fence::ensureTable(t);
}

namespace {

// `sql` in a transaction that first claims the job's lease row.
void fenced(db::Connection& t, const Fence& fence, const std::string& sql) {
    fence.begin(t, Fence::kLeaseSlot);
    try {
        t.execute(sql);
        t.execute("COMMIT");
    } catch (...) {
        try {
            t.execute("ROLLBACK");
        } catch (const db::DbError&) {}
        throw;
    }
}

}  // namespace

std::optional<ResumePoint> CheckpointStore::load(db::Connection& t) const {
    auto rows = t.query(
        "SELECT worker, batch, workers, start_file, start_pos, start_gtid, end_file, end_pos, end_gtid, next_change "
        "FROM " +
        table("replay_checkpoint") + " WHERE job = " + str(job_));
    if (rows.empty()) return std::nullopt;
    std::map<int, CheckpointRow> byWorker;
    uint64_t maxBatch = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        CheckpointRow r;
        r.worker = std::stoi(rows.text(i, "worker"));
        r.batch = std::stoull(rows.text(i, "batch"));
        r.workers = std::stoi(rows.text(i, "workers"));
        r.start = {rows.text(i, "start_file"), std::stoull(rows.text(i, "start_pos")), rows.text(i, "start_gtid")};
        r.end = {rows.text(i, "end_file"), std::stoull(rows.text(i, "end_pos")), rows.text(i, "end_gtid")};
        r.next = std::stoull(rows.text(i, "next_change"));
        maxBatch = std::max(maxBatch, r.batch);
        byWorker[r.worker] = r;
    }
    ResumePoint p;
    p.batch = maxBatch;
    for (auto& [w, r] : byWorker) {
        if (r.batch != maxBatch) continue;
        p.workers = r.workers;
        p.start = r.start;
        p.end = r.end;
        break;
    }
    p.committed.assign(std::max(p.workers, 1), false);
    p.next.assign(p.committed.size(), 0);
    for (int w = 0; w < p.workers; ++w) {
        auto it = byWorker.find(w);
        if (it == byWorker.end() || it->second.batch != maxBatch) continue;
        p.committed[w] = it->second.next == 0;
        p.next[w] = it->second.next;
    }
    return p;
}

std::string CheckpointStore::upsert(const CheckpointRow& r) const {
    return "REPLACE INTO " + table("replay_checkpoint") +
        " (job, worker, batch, workers, start_file, start_pos, start_gtid, end_file, end_pos, end_gtid, next_change, "
        "updated_at) VALUES (" +
        str(job_) + ", " + std::to_string(r.worker) + ", " + std::to_string(r.batch) + ", " +
        std::to_string(r.workers) + ", " + str(r.start.file) + ", " + std::to_string(r.start.pos) + ", " +
        str(r.start.gtidSet) + ", " + str(r.end.file) + ", " + std::to_string(r.end.pos) + ", " + str(r.end.gtidSet) +
        ", " + std::to_string(r.next) + ", CURRENT_TIMESTAMP(6))";
}

std::string CheckpointStore::lockRow(int worker) const {
    return "SELECT batch, next_change AS next FROM " + table("replay_checkpoint") + " WHERE job = " + str(job_) +
        " AND worker = " + std::to_string(worker) + " FOR UPDATE";
}

ReplayJobState CheckpointStore::loadJobState(db::Connection& t) const {
    ReplayJobState s;
    auto rows = t.query("SELECT safe_until_file, safe_until_pos, error_file, error_pos, error_message FROM " +
                        table("replay_state") + " WHERE job = " + str(job_));
    if (rows.empty()) return s;
    if (!rows.text(0, "safe_until_file").empty())
        s.safeUntil = Position{rows.text(0, "safe_until_file"), std::stoull(rows.text(0, "safe_until_pos")), ""};
    if (!rows.text(0, "error_file").empty())
        s.errorAt = Position{rows.text(0, "error_file"), std::stoull(rows.text(0, "error_pos")), ""};
    s.errorMessage = rows.text(0, "error_message");
    return s;
}

void CheckpointStore::saveSafeUntil(db::Connection& t, const Fence& fence, const Position& p) const {
    fenced(t, fence,
           "INSERT INTO " + table("replay_state") + " (job, safe_until_file, safe_until_pos) VALUES (" + str(job_) +
               ", " + str(p.file) + ", " + std::to_string(p.pos) +
               ") ON DUPLICATE KEY UPDATE safe_until_file = VALUES(safe_until_file), "
               "safe_until_pos = VALUES(safe_until_pos), updated_at = CURRENT_TIMESTAMP(6)");
}

void CheckpointStore::saveError(db::Connection& t, const Fence& fence, const Position& at,
                                const std::string& message) const {
    fenced(t, fence,
           "INSERT INTO " + table("replay_state") + " (job, error_file, error_pos, error_message) VALUES (" +
               str(job_) + ", " + str(at.file) + ", " + std::to_string(at.pos) + ", " + str(message.substr(0, 60000)) +
               ") ON DUPLICATE KEY UPDATE error_file = VALUES(error_file), error_pos = VALUES(error_pos), "
               "error_message = VALUES(error_message), updated_at = CURRENT_TIMESTAMP(6)");
}

void CheckpointStore::clearError(db::Connection& t, const Fence& fence) const {
    fenced(t, fence,
           "UPDATE " + table("replay_state") +
               " SET error_file = '', error_pos = 0, error_message = NULL WHERE job = " + str(job_));
}

}  // namespace tidemark::replay
