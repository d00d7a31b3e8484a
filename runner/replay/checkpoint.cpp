#include "runner/replay/checkpoint.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "runner/replay/errors.h"

namespace tidemark::replay {

namespace {

std::string str(const std::string& s) { return s.empty() ? "''" : db::hexLiteral(s); }

std::string table(const char* name) { return db::qualified(kMetaSchema, name); }

}  // namespace

bool ResumePoint::complete() const {
    return std::all_of(committed.begin(), committed.end(), [](bool b) { return b; });
}

void CheckpointStore::ensureTables(db::Connection& t) const {
    t.execute(std::string("CREATE DATABASE IF NOT EXISTS ") + db::quoteIdent(kMetaSchema));
    t.execute("CREATE TABLE IF NOT EXISTS " + table("replay_checkpoint") +
              " (job VARCHAR(128) NOT NULL, worker INT NOT NULL, batch BIGINT UNSIGNED NOT NULL, "
              "workers INT NOT NULL, start_file VARCHAR(512) NOT NULL, start_pos BIGINT UNSIGNED NOT NULL, "
              "start_gtid LONGTEXT NOT NULL, end_file VARCHAR(512) NOT NULL, end_pos BIGINT UNSIGNED NOT NULL, "
              "end_gtid LONGTEXT NOT NULL, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
              "PRIMARY KEY (job, worker))");
    t.execute("CREATE TABLE IF NOT EXISTS " + table("replay_session") +
              " (job VARCHAR(128) NOT NULL, conn_index INT NOT NULL, connection_id BIGINT UNSIGNED NOT NULL, "
              "PRIMARY KEY (job, conn_index))");
    t.execute("CREATE TABLE IF NOT EXISTS " + table("replay_state") +
              " (job VARCHAR(128) NOT NULL PRIMARY KEY, safe_until_file VARCHAR(512) NOT NULL DEFAULT '', "
              "safe_until_pos BIGINT UNSIGNED NOT NULL DEFAULT 0, error_file VARCHAR(512) NOT NULL DEFAULT '', "
              "error_pos BIGINT UNSIGNED NOT NULL DEFAULT 0, error_message TEXT, "
              "updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))");
}

namespace {

// Named locks are limited to 64 characters: the job name is hashed.
std::string lockName(const std::string& job, int index) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : job) h = (h ^ ch) * 1099511628211ull;
    char buf[64];
    std::snprintf(buf, sizeof buf, "tidemark-replay-%016llx-%d", static_cast<unsigned long long>(h), index);
    return buf;
}

// TiDB lists every instance's sessions in CLUSTER_PROCESSLIST; MySQL/MariaDB in PROCESSLIST.
bool sessionExists(db::Connection& c, unsigned long id) {
    static const char* views[] = {"information_schema.CLUSTER_PROCESSLIST", "information_schema.PROCESSLIST"};
    for (const char* view : views) {
        try {
            auto n = c.scalar(std::string("SELECT COUNT(*) FROM ") + view + " WHERE ID = " + std::to_string(id));
            return n.value_or("0") != "0";
        } catch (const db::DbError&) {}
    }
    return false;
}

}  // namespace

void CheckpointStore::registerSession(db::Connection& c, int index) const {
    const std::string name = lockName(job_, index);
    std::optional<std::string> got;
    try {
        got = c.scalar("SELECT GET_LOCK('" + name + "', 30)");
    } catch (const db::DbError& e) {
        if (e.kind() != db::ErrorKind::Query) throw;
        got = "1";  // a server without named locks: fencing falls back to the recorded id
    }
    if (got.value_or("0") != "1")
        throw ReplayError(c.options().endpoint() + ": another replay session of job '" + job_ +
                              "' still holds applier slot " + std::to_string(index),
                          true);
    c.execute("REPLACE INTO " + table("replay_session") + " (job, conn_index, connection_id) VALUES (" + str(job_) +
              ", " + std::to_string(index) + ", CONNECTION_ID())");
}

void CheckpointStore::fenceIndex(db::Connection& c, int index) const {
    const std::string name = lockName(job_, index);
    for (int i = 0; i < 600; ++i) {
        std::optional<std::string> holder;
        try {
            holder = c.scalar("SELECT IS_USED_LOCK('" + name + "')");
        } catch (const db::DbError& e) {
            if (e.kind() != db::ErrorKind::Query) throw;
            // No named locks: the recorded id, if that session still belongs to our user.
            holder = c.scalar("SELECT p.ID FROM information_schema.PROCESSLIST p JOIN " + table("replay_session") +
                              " s ON s.connection_id = p.ID WHERE s.job = " + str(job_) + " AND s.conn_index = " +
                              std::to_string(index) + " AND p.USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)");
        }
        if (!holder || *holder == std::to_string(c.threadId())) return;
        const unsigned long id = std::stoul(*holder);
        if (i == 0 || i % 100 == 0) {
            try {
                c.execute("KILL CONNECTION " + std::to_string(id));
            } catch (const db::DbError& e) {
                if (e.code() != 1094) throw;  // unknown thread: already gone
            }
        }
        if (sessionExists(c, id) || i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw ReplayError(c.options().endpoint() + ": an earlier replay session of job '" + job_ +
                          "' does not end after KILL; waiting for it before resuming",
                      true);
}

void CheckpointStore::fenceSessions(db::Connection& c) const {
    auto rows = c.query("SELECT conn_index FROM " + table("replay_session") + " WHERE job = " + str(job_));
    for (size_t i = 0; i < rows.size(); ++i) fenceIndex(c, std::stoi(rows.text(i, "conn_index")));
}

std::optional<ResumePoint> CheckpointStore::load(db::Connection& t) const {
    auto rows =
        t.query("SELECT worker, batch, workers, start_file, start_pos, start_gtid, end_file, end_pos, end_gtid FROM " +
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
    for (int w = 0; w < p.workers; ++w) {
        auto it = byWorker.find(w);
        p.committed[w] = it != byWorker.end() && it->second.batch == maxBatch;
    }
    return p;
}

std::string CheckpointStore::upsert(const CheckpointRow& r) const {
    return "REPLACE INTO " + table("replay_checkpoint") +
        " (job, worker, batch, workers, start_file, start_pos, start_gtid, end_file, end_pos, end_gtid, updated_at) "
        "VALUES (" +
        str(job_) + ", " + std::to_string(r.worker) + ", " + std::to_string(r.batch) + ", " +
        std::to_string(r.workers) + ", " + str(r.start.file) + ", " + std::to_string(r.start.pos) + ", " +
        str(r.start.gtidSet) + ", " + str(r.end.file) + ", " + std::to_string(r.end.pos) + ", " + str(r.end.gtidSet) +
        ", CURRENT_TIMESTAMP(6))";
}

std::optional<uint64_t> CheckpointStore::batchOf(db::Connection& t, int worker) const {
    auto v = t.scalar("SELECT batch FROM " + table("replay_checkpoint") + " WHERE job = " + str(job_) +
                      " AND worker = " + std::to_string(worker));
    if (!v) return std::nullopt;
    return std::stoull(*v);
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

void CheckpointStore::saveSafeUntil(db::Connection& t, const Position& p) const {
    t.execute("INSERT INTO " + table("replay_state") + " (job, safe_until_file, safe_until_pos) VALUES (" + str(job_) +
              ", " + str(p.file) + ", " + std::to_string(p.pos) +
              ") ON DUPLICATE KEY UPDATE safe_until_file = VALUES(safe_until_file), "
              "safe_until_pos = VALUES(safe_until_pos), updated_at = CURRENT_TIMESTAMP(6)");
}

void CheckpointStore::saveError(db::Connection& t, const Position& at, const std::string& message) const {
    t.execute("INSERT INTO " + table("replay_state") + " (job, error_file, error_pos, error_message) VALUES (" +
              str(job_) + ", " + str(at.file) + ", " + std::to_string(at.pos) + ", " + str(message.substr(0, 60000)) +
              ") ON DUPLICATE KEY UPDATE error_file = VALUES(error_file), error_pos = VALUES(error_pos), "
              "error_message = VALUES(error_message), updated_at = CURRENT_TIMESTAMP(6)");
}

void CheckpointStore::clearError(db::Connection& t) const {
    t.execute("UPDATE " + table("replay_state") +
              " SET error_file = '', error_pos = 0, error_message = NULL WHERE job = " + str(job_));
}

}  // namespace tidemark::replay
