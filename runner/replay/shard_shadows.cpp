#include "runner/replay/shard_shadows.h"

#include "runner/db/dialect/errors.h"
#include "runner/db/hex.h"

#include <cstdint>
#include <map>

namespace tidemark::replay {

namespace {

constexpr const char* kRegistry = "tidemark_meta.shard_shadows";

std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 1469598103934665603ull) {
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

void ensureRegistry(db::Connection& target) {
    target.execute("CREATE DATABASE IF NOT EXISTS tidemark_meta");
    target.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kRegistry +
                   " (job VARCHAR(128) NOT NULL, source_db VARCHAR(64) NOT NULL, source_table VARCHAR(64) NOT NULL, "
                   "shadow VARCHAR(64) NOT NULL, PRIMARY KEY (job, source_db, source_table))");
}

bool tableExists(db::Connection& c, const consolidate::TableName& t) {
    return c
        .scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + c.quote(t.first) +
                " AND TABLE_NAME = " + c.quote(t.second))
        .has_value();
}

bool isExtra(const consolidate::Route& route, const std::string& column) {
    for (const auto& e : route.extras)
        if (e.column == column) return true;
    return false;
}

// The ALTER clauses that take the route's extra columns out of a copy of the merged table: each
// key holding one is rebuilt over its other columns (servers refuse to drop a column a multi-column
// key still names), then the columns go.
std::string withoutExtrasClauses(db::Connection& target, const consolidate::Route& route) {
    auto rows = target.query(
        "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
        target.quote(route.database) + " AND TABLE_NAME = " + target.quote(route.table) +
        " ORDER BY INDEX_NAME, SEQ_IN_INDEX");
    struct Key {
        std::vector<std::string> columns;
        bool unique = false, hasExtra = false;
    };
    std::map<std::string, Key> keys;
    for (size_t i = 0; i < rows.size(); ++i) {
        auto& k = keys[rows.text(i, "INDEX_NAME")];
        const std::string column = rows.text(i, "COLUMN_NAME");
        k.unique = rows.text(i, "NON_UNIQUE") == "0";
        if (isExtra(route, column)) k.hasExtra = true;
        else k.columns.push_back(column);
    }
    std::string clauses;
    auto add = [&](const std::string& clause) { clauses += (clauses.empty() ? "" : ", ") + clause; };
    for (const auto& [name, k] : keys) {
        if (!k.hasExtra) continue;
        std::string columns;
        for (const auto& c : k.columns) columns += (columns.empty() ? "" : ", ") + db::quoteIdent(c);
        const bool primary = name == "PRIMARY";
        add(primary ? std::string("DROP PRIMARY KEY") : "DROP INDEX " + db::quoteIdent(name));
        if (columns.empty()) continue;
        if (primary) add("ADD PRIMARY KEY (" + columns + ")");
        else
            add(std::string(k.unique ? "ADD UNIQUE INDEX " : "ADD INDEX ") + db::quoteIdent(name) + " (" + columns +
                ")");
    }
    for (const auto& e : route.extras) add("DROP COLUMN " + db::quoteIdent(e.column));
    return clauses;
}

}  // namespace

consolidate::TableName shadowName(std::string_view instanceKey, const consolidate::TableName& shard) {
    std::uint64_t h = fnv1a(instanceKey);
    h = fnv1a("\x1f" + shard.first + "\x1f" + shard.second, h);
    std::string bytes;
    for (int i = 7; i >= 0; --i) bytes += static_cast<char>(h >> (i * 8));
    return {"tidemark_meta", "shard_" + db::toHex(bytes)};
}

ShardShadows::ShardShadows(std::string instanceKey, consolidate::Router router)
    : key_(std::move(instanceKey)), router_(std::move(router)) {}

void ShardShadows::ensure(db::Connection& target,
                          const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups) {
    bool registry = false;
    for (const auto& [merged, shards] : groups) {
        if (shards.empty() ||
            !consolidate::sharesTarget(router_, router_.route(shards[0].first, shards[0].second), shards.size()))
            continue;
        for (const auto& shard : shards) {
            if (tableExists(target, shadowName(key_, shard))) continue;
            if (!registry) ensureRegistry(target);
            registry = true;
            create(target, shard, router_.route(shard.first, shard.second));
        }
    }
}

void ShardShadows::create(db::Connection& target, const consolidate::TableName& shard,
                          const consolidate::Route& route) {
    const auto shadow = shadowName(key_, shard);
    const std::string name = db::qualified(shadow.first, shadow.second);
    if (!tableExists(target, {route.database, route.table})) return;  // the tracker falls back to the source
    target.execute("CREATE TABLE IF NOT EXISTS " + name + " LIKE " + route.qualified());
    if (!route.extras.empty()) {
        try {
            target.execute("ALTER TABLE " + name + " " + withoutExtrasClauses(target, route));
        } catch (const db::DbError& err) {
            if (!db::dialect::ddlAlreadyApplied(err.code())) throw;
        }
    }
    target.execute(std::string("REPLACE INTO ") + kRegistry + " (job, source_db, source_table, shadow) VALUES (" +
                   target.quote(key_) + ", " + target.quote(shard.first) + ", " + target.quote(shard.second) + ", " +
                   target.quote(shadow.second) + ")");
}

void ShardShadows::applyDdl(db::Connection& target, const Ddl& ddl, std::string_view sourceStatement,
                            const consolidate::TableName& shard) {
    const auto shadow = shadowName(key_, shard);
    std::string statement;
    switch (ddl.kind) {
        case DdlKind::DropTable:
            statement = "DROP TABLE IF EXISTS " + db::qualified(shadow.first, shadow.second);
            break;
        case DdlKind::TruncateTable:  // no definition change
        case DdlKind::RenameTable:    // the shadow stays in tidemark_meta; the new name gets its own
            return;
        default:
            if (ddl.hasRename) return;
            // Every table the statement names is read as its shadow (CREATE TABLE t5 LIKE t4: t4's).
            statement = statementWithNames(ddl, sourceStatement, [&](const TableName& t) {
                const auto s = shadowName(key_, {t.database, t.table});
                return db::qualified(s.first, s.second);
            });
    }
    try {
        target.execute(statement);
    } catch (const db::DbError& e) {
        if (!db::dialect::ddlAlreadyApplied(e.code())) throw;
    }
}

}  // namespace tidemark::replay
