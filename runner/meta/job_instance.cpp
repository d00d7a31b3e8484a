#include "runner/meta/job_instance.h"

#include <nlohmann/json.hpp>

namespace tidemark::meta {

namespace {

constexpr const char* kTable = "tidemark_meta.job_instance";

void ensureTable(db::Connection& c) {
    c.execute("CREATE DATABASE IF NOT EXISTS tidemark_meta");
    c.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kTable +
              " (job VARCHAR(128) NOT NULL PRIMARY KEY, namespace_name VARCHAR(128) NOT NULL, "
              "fingerprint LONGTEXT NOT NULL, created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP"
              ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
}

bool metaExists(db::Connection& c) {
    return c.scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'tidemark_meta'")
               .value_or("0") != "0";
}

bool tableExists(db::Connection& c) {
    return c.scalar(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                "TABLE_NAME = 'job_instance'")
               .value_or("0") != "0";
}

std::string rulesText(const std::vector<api::ObjectRule>& rules) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rules) out.push_back({{"database", r.database}, {"tables", r.tables}});
    return out.dump();
}

// spec.routes as recorded: "" without routes, so instances recorded before routes existed match.
std::string routesText(const std::vector<api::RouteRule>& routes) {
    if (routes.empty()) return "";
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : routes) {
        nlohmann::json extras = nlohmann::json::array();
        for (const auto& e : r.extraColumns)
            extras.push_back({{"column", e.column}, {"value", static_cast<int>(e.value)}});
        out.push_back({{"database", r.database},
                       {"table", r.table},
                       {"targetDatabase", r.targetDatabase},
                       {"targetTable", r.targetTable},
                       {"extraColumns", extras}});
    }
    return out.dump();
}

std::string shorten(const std::string& s) { return s.size() <= 80 ? s : s.substr(0, 77) + "..."; }

// The recorded fingerprint of the instance, or nothing.
std::optional<nlohmann::json> recorded(db::Connection& c, const std::string& key) {
    if (!tableExists(c)) return std::nullopt;
    auto v = c.scalar(std::string("SELECT fingerprint FROM ") + kTable + " WHERE job = " + c.quote(key));
    if (!v) return std::nullopt;
    try {
        return nlohmann::json::parse(*v);
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();
    }
}

std::string difference(const nlohmann::json& was, const api::MigrationJob& job) {
    std::string changed;
    for (const auto& [field, now] : progressFingerprint(job)) {
        const std::string before = was.contains(field) && was[field].is_string() ? was[field].get<std::string>() : "";
        if (before == now) continue;
        changed += (changed.empty() ? "" : "; ") + field + " was " + shorten(before) + ", is " + shorten(now);
    }
    if (changed.empty()) return "";
    return "job " + job.namespace_ + "/" + job.name + " changed since its progress was recorded in tidemark_meta (" +
        changed +
        "); its checkpoints hold for the recorded values only: revert the change, or delete and re-create the "
        "job to start over";
}

}  // namespace

std::map<std::string, std::string> progressFingerprint(const api::MigrationJob& job) {
    return {
        {"spec.type", std::string(api::nameOf(job.type))},
        {"spec.fullMode", job.copiesExistingData() ? std::string(api::nameOf(job.fullMode)) : "-"},
        {"spec.objects", "include " + rulesText(job.objects.include) + " exclude " + rulesText(job.objects.exclude)},
        {"spec.target", job.target.host + ":" + std::to_string(job.target.port)},
        // Where rows went: checkpoints and merged tables hold for these routes only.
        {"spec.routes", routesText(job.consolidation.routes)}};
}

InstanceState inspectInstance(db::Connection& target, const api::MigrationJob& job) {
    auto was = recorded(target, job.instanceKey());
    if (!was) return {};
    return {true, difference(*was, job)};
}

void recordInstance(db::Connection& target, const api::MigrationJob& job) {
    const std::string key = job.instanceKey();
    if (auto was = recorded(target, key)) {
        if (auto d = difference(*was, job); !d.empty()) throw SpecChangedError(d);
        return;
    }
    ensureTable(target);
    nlohmann::json fp = nlohmann::json::object();
    for (const auto& [field, value] : progressFingerprint(job)) fp[field] = value;
    target.execute(std::string("INSERT IGNORE INTO ") + kTable + " (job, namespace_name, fingerprint) VALUES (" +
                   target.quote(key) + ", " + target.quote(job.namespace_ + "/" + job.name) + ", " +
                   target.quote(fp.dump()) + ")");
}

std::map<std::string, std::uint64_t> forgetInstance(db::Connection& target, const std::string& key) {
    std::map<std::string, std::uint64_t> deleted;
    if (!metaExists(target)) return deleted;
    // Replay's per-shard definition tables (runner/replay/shard_shadows.h), listed in shard_shadows.
    const bool shadows = target
                             .scalar(
                                 "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                                 "TABLE_NAME = 'shard_shadows'")
                             .has_value();
    if (shadows) {
        auto rows = target.query("SELECT shadow FROM tidemark_meta.shard_shadows WHERE job = " + target.quote(key));
        for (const auto& row : rows.rows) {
            target.execute("DROP TABLE IF EXISTS tidemark_meta." + db::quoteIdent(row[0].value_or("")));
            ++deleted["shard definition tables"];
        }
    }
    // Every table with a `job` column holds per-instance rows, whichever stage wrote it.
    auto tables = target.query(
        "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
        "COLUMN_NAME = 'job' ORDER BY TABLE_NAME");
    for (const auto& row : tables.rows) {
        const std::string table = row[0].value_or("");
        if (table.empty()) continue;
        target.execute("DELETE FROM tidemark_meta." + db::quoteIdent(table) + " WHERE job = " + target.quote(key));
        if (auto n = target.affectedRows()) deleted[table] = n;
    }
    // Rows a runner of the instance wrote under its job's key (runner/replay/shard_ddl_locks.h,
    // held_rows.h: pessimistic shard DDL, keyed by jobKey(), owned by the instance that wrote them).
    auto owned = target.query(
        "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
        "COLUMN_NAME = 'instance' ORDER BY TABLE_NAME");
    for (const auto& row : owned.rows) {
        const std::string table = row[0].value_or("");
        if (table.empty()) continue;
        target.execute("DELETE FROM tidemark_meta." + db::quoteIdent(table) + " WHERE instance = " + target.quote(key));
        if (auto n = target.affectedRows()) deleted[table] += n;
    }
    return deleted;
}

}  // namespace tidemark::meta
