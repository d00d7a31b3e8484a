#include "runner/replay/shard_ddl_locks.h"

#include <algorithm>

namespace tidemark::replay {

namespace {

constexpr const char* kLocks = "tidemark_meta.ddl_locks";
constexpr const char* kIssued = "tidemark_meta.ddl_lock_issued";
constexpr const char* kMembers = "tidemark_meta.ddl_lock_members";

uint64_t number(const std::optional<std::string>& text) { return text ? std::strtoull(text->c_str(), nullptr, 10) : 0; }

}  // namespace

ShardDdlLocks::ShardDdlLocks(std::string jobKey, std::string instanceKey, std::vector<std::string> instances)
    : job_(std::move(jobKey)), instance_(std::move(instanceKey)), instances_(std::move(instances)) {}

void ShardDdlLocks::ensureTables(db::Connection& target) const {
    target.execute("CREATE DATABASE IF NOT EXISTS tidemark_meta");
    target.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kLocks +
                   " (job VARCHAR(128) NOT NULL, merged_db VARCHAR(64) NOT NULL, merged_table VARCHAR(64) NOT NULL, "
                   "applied BIGINT UNSIGNED NOT NULL DEFAULT 0, PRIMARY KEY (job, merged_db, merged_table))");
    target.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kIssued +
                   " (job VARCHAR(128) NOT NULL, merged_db VARCHAR(64) NOT NULL, merged_table VARCHAR(64) NOT NULL, "
                   "step BIGINT UNSIGNED NOT NULL, source_db VARCHAR(64) NOT NULL, source_table VARCHAR(64) NOT NULL, "
                   "instance VARCHAR(128) NOT NULL, statement LONGTEXT NOT NULL, position VARCHAR(255) NOT NULL, "
                   "PRIMARY KEY (job, merged_db, merged_table, step, instance, source_db, source_table))");
    target.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kMembers +
                   " (job VARCHAR(128) NOT NULL, merged_db VARCHAR(64) NOT NULL, merged_table VARCHAR(64) NOT NULL, "
                   "source_db VARCHAR(64) NOT NULL, source_table VARCHAR(64) NOT NULL, instance VARCHAR(128) NOT NULL, "
                   "PRIMARY KEY (job, merged_db, merged_table, instance, source_db, source_table))");
}

void ShardDdlLocks::registerShards(
    db::Connection& target, const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups) const {
    target.execute("START TRANSACTION");
    try {
        target.execute(std::string("DELETE FROM ") + kMembers + " WHERE job = " + target.quote(job_) +
                       " AND instance = " + target.quote(instance_));
        for (const auto& [merged, shards] : groups)
            if (shards.size() > 1 || instances_.size() > 1)  // several sources: one shard each may meet
                for (const auto& shard : shards) join(target, merged, shard);
        join(target, {"", ""}, {"", ""});  // this instance registered
        target.execute("COMMIT");
    } catch (...) {
        try {
            target.execute("ROLLBACK");
        } catch (const db::DbError&) {}
        throw;
    }
}

void ShardDdlLocks::join(db::Connection& c, const consolidate::TableName& merged,
                         const consolidate::TableName& shard) const {
    c.execute(std::string("REPLACE INTO ") + kMembers +
              " (job, merged_db, merged_table, source_db, source_table, instance) VALUES (" + c.quote(job_) + ", " +
              c.quote(merged.first) + ", " + c.quote(merged.second) + ", " + c.quote(shard.first) + ", " +
              c.quote(shard.second) + ", " + c.quote(instance_) + ")");
}

void ShardDdlLocks::leave(db::Connection& c, const consolidate::TableName& merged,
                          const consolidate::TableName& shard) const {
    c.execute(std::string("DELETE FROM ") + kMembers + where(c, merged) + " AND instance = " + c.quote(instance_) +
              " AND source_db = " + c.quote(shard.first) + " AND source_table = " + c.quote(shard.second));
}

std::vector<ShardMember> ShardDdlLocks::members(db::Connection& c, const consolidate::TableName& merged) const {
    auto rows = c.query("SELECT instance, source_db, source_table FROM " + std::string(kMembers) + where(c, merged) +
                        " ORDER BY instance, source_db, source_table");
    std::vector<ShardMember> out;
    for (size_t i = 0; i < rows.size(); ++i)
        out.push_back({rows.text(i, "instance"), {rows.text(i, "source_db"), rows.text(i, "source_table")}});
    return out;
}

bool ShardDdlLocks::everySourceRegistered(db::Connection& c) const {
    if (instances_.empty()) return true;
    std::string in;
    for (const auto& instance : instances_) in += (in.empty() ? "" : ", ") + c.quote(instance);
    const auto registered = c.scalar("SELECT COUNT(DISTINCT instance) FROM " + std::string(kMembers) +
                                     where(c, {"", ""}) + " AND instance IN (" + in + ")");
    return number(registered) >= instances_.size();
}

std::string ShardDdlLocks::where(db::Connection& c, const consolidate::TableName& merged) const {
    return " WHERE job = " + c.quote(job_) + " AND merged_db = " + c.quote(merged.first) +
        " AND merged_table = " + c.quote(merged.second);
}

std::map<consolidate::TableName, uint64_t> ShardDdlLocks::load(
    db::Connection& target, const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups) {
    std::map<consolidate::TableName, uint64_t> steps;
    for (const auto& [merged, shards] : groups) {
        if (shards.size() < 2 && instances_.size() < 2) continue;  // as registerShards() registers them
        const uint64_t applied =
            number(target.scalar("SELECT applied FROM " + std::string(kLocks) + where(target, merged)));
        setApplied(merged, applied);
        for (const auto& shard : shards) steps[shard] = applied;
        auto issued = target.query("SELECT source_db, source_table, MAX(step) AS step FROM " + std::string(kIssued) +
                                   where(target, merged) + " AND instance = " + target.quote(instance_) +
                                   " GROUP BY source_db, source_table");
        for (size_t i = 0; i < issued.size(); ++i) {
            const consolidate::TableName shard{issued.text(i, "source_db"), issued.text(i, "source_table")};
            auto& step = steps[shard];
            step = std::max<uint64_t>(step, std::strtoull(issued.text(i, "step").c_str(), nullptr, 10));
        }
    }
    return steps;
}

uint64_t ShardDdlLocks::lock(db::Connection& c, const consolidate::TableName& merged) const {
    const std::string select = "SELECT applied FROM " + std::string(kLocks) + where(c, merged) + " FOR UPDATE";
    // Locking first: an INSERT IGNORE of an existing row would take a shared lock, and two
    // transactions upgrading theirs would deadlock.
    if (auto applied = c.scalar(select)) return number(applied);
    c.execute(std::string("INSERT IGNORE INTO ") + kLocks + " (job, merged_db, merged_table, applied) VALUES (" +
              c.quote(job_) + ", " + c.quote(merged.first) + ", " + c.quote(merged.second) + ", 0)");
    return number(c.scalar(select));
}

std::vector<ShardIssue> ShardDdlLocks::issuedAt(db::Connection& c, const consolidate::TableName& merged,
                                                uint64_t step) const {
    auto rows = c.query("SELECT source_db, source_table, instance, statement, position FROM " + std::string(kIssued) +
                        where(c, merged) + " AND step = " + std::to_string(step) + " ORDER BY source_db, source_table");
    std::vector<ShardIssue> out;
    for (size_t i = 0; i < rows.size(); ++i)
        out.push_back({{rows.text(i, "source_db"), rows.text(i, "source_table")},
                       rows.text(i, "instance"),
                       rows.text(i, "statement"),
                       rows.text(i, "position")});
    return out;
}

void ShardDdlLocks::recordIssue(db::Connection& c, const consolidate::TableName& merged, uint64_t step,
                                const ShardIssue& issue) const {
    c.execute(std::string("REPLACE INTO ") + kIssued +
              " (job, merged_db, merged_table, step, source_db, source_table, instance, statement, position) VALUES (" +
              c.quote(job_) + ", " + c.quote(merged.first) + ", " + c.quote(merged.second) + ", " +
              std::to_string(step) + ", " + c.quote(issue.shard.first) + ", " + c.quote(issue.shard.second) + ", " +
              c.quote(issue.instance) + ", " + c.quote(issue.statement) + ", " + c.quote(issue.position) + ")");
}

void ShardDdlLocks::markApplied(db::Connection& c, const consolidate::TableName& merged, uint64_t step) const {
    c.execute(std::string("UPDATE ") + kLocks + " SET applied = " + std::to_string(step) + where(c, merged));
    c.execute(std::string("DELETE FROM ") + kIssued + where(c, merged) + " AND step <= " + std::to_string(step));
}

std::vector<PendingStep> ShardDdlLocks::pending(db::Connection& c, const consolidate::TableName& merged) const {
    auto rows = c.query("SELECT step, source_db, source_table, instance, statement, position FROM " +
                        std::string(kIssued) + where(c, merged) + " ORDER BY step, source_db, source_table");
    std::vector<PendingStep> out;
    for (size_t i = 0; i < rows.size(); ++i) {
        const uint64_t step = std::strtoull(rows.text(i, "step").c_str(), nullptr, 10);
        if (out.empty() || out.back().step != step) out.push_back({step, {}});
        out.back().issued.push_back({{rows.text(i, "source_db"), rows.text(i, "source_table")},
                                     rows.text(i, "instance"),
                                     rows.text(i, "statement"),
                                     rows.text(i, "position")});
    }
    return out;
}

uint64_t ShardDdlLocks::applied(const std::string& qualified) const {
    std::lock_guard lock(mu_);
    auto it = applied_.find(qualified);
    return it == applied_.end() ? 0 : it->second.second;
}

void ShardDdlLocks::setApplied(const consolidate::TableName& merged, uint64_t step) {
    std::lock_guard lock(mu_);
    applied_[db::qualified(merged.first, merged.second)] = {merged, step};
}

std::optional<consolidate::TableName> ShardDdlLocks::mergedTable(const std::string& qualified) const {
    std::lock_guard lock(mu_);
    auto it = applied_.find(qualified);
    if (it == applied_.end()) return std::nullopt;
    return it->second.first;
}

}  // namespace tidemark::replay
