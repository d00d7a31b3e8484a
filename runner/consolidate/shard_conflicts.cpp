#include "runner/consolidate/shard_conflicts.h"

#include "runner/db/catalog.h"

#include <algorithm>
#include <map>

namespace tidemark::consolidate {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<UniqueKey> uniqueKeysOf(db::Connection& c, const std::string& dbName, const std::string& table) {
    auto rows = c.query(
        "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA = " +
        c.quote(dbName) + " AND TABLE_NAME = " + c.quote(table) +
        " ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX");
    std::vector<UniqueKey> keys;
    for (auto& r : rows.rows) {
        const std::string name = r[0].value_or("");
        if (keys.empty() || keys.back().name != name) keys.push_back({name, {}});
        keys.back().columns.push_back(r[1].value_or(""));
    }
    return keys;
}

// The value an extra column takes for a route, when the route fills it.
std::optional<std::string> extraValue(const Route& route, const std::string& column) {
    for (auto& e : route.extras)
        if (lower(e.column) == lower(column)) return e.value;
    return std::nullopt;
}

// The columns of `key` two shards must both hold equal values in to collide, or nothing when an
// extra column keeps them apart.
std::optional<std::vector<std::string>> columnsToJoin(const UniqueKey& key, const Route& a, const Route& b) {
    std::vector<std::string> columns;
    for (auto& c : key.columns) {
        const auto va = extraValue(a, c), vb = extraValue(b, c);
        if (va && vb && *va != *vb) return std::nullopt;
        if (!va && !vb) columns.push_back(c);
    }
    return columns;
}

std::string printable(const std::optional<std::string>& v) {
    if (!v) return "NULL";
    const bool plain = std::all_of(v->begin(), v->end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
    return plain ? "'" + *v + "'" : db::hexLiteral(*v);
}

std::string list(const std::vector<std::string>& items) {
    std::string s;
    for (auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s;
}

}  // namespace

std::vector<UniqueKey> targetUniqueKeys(db::Connection& source, const TableName& shard, db::Connection& target,
                                        const Route& route) {
    if (target.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + target.quote(route.database) +
                      " AND TABLE_NAME = " + target.quote(route.table)))
        return uniqueKeysOf(target, route.database, route.table);
    auto keys = uniqueKeysOf(source, shard.first, shard.second);
    for (auto& k : keys)
        for (auto e = route.extras.rbegin(); e != route.extras.rend(); ++e)
            k.columns.insert(k.columns.begin(), e->column);
    return keys;
}

std::string ShardConflict::text() const {
    std::vector<std::string> shown;
    for (auto& v : values) shown.push_back(printable(v));
    return displayName(first) + " and " + displayName(second) + " both hold " + key.name + " key (" +
        list(valueColumns) + ") = (" + list(shown) + ") and both route to " + target +
        ", where one row would silently replace the other; add an extra column to the route "
        "(spec.routes[].extraColumns, e.g. {column: source_table, value: table}) so the target's key tells the "
        "shards apart, or give the shards disjoint keys";
}

std::optional<ShardConflict> findShardConflict(db::Connection& source, const Router& router,
                                               const std::vector<TableName>& shards,
                                               const std::vector<UniqueKey>& keys) {
    std::vector<Route> routes;
    for (auto& s : shards) routes.push_back(router.route(s.first, s.second));
    for (std::size_t i = 0; i < shards.size(); ++i)
        for (std::size_t j = i + 1; j < shards.size(); ++j)
            for (auto& key : keys) {
                const auto columns = columnsToJoin(key, routes[i], routes[j]);
                if (!columns || columns->empty()) continue;
                std::string select, on;
                for (auto& c : *columns) {
                    select += (select.empty() ? "" : ", ") + std::string("a.") + db::quoteIdent(c);
                    on += (on.empty() ? "" : " AND ") + std::string("a.") + db::quoteIdent(c) + " = b." +
                        db::quoteIdent(c);
                }
                auto rows = source.query(
                    "SELECT " + select + " FROM " + db::qualified(shards[i].first, shards[i].second) + " AS a JOIN " +
                    db::qualified(shards[j].first, shards[j].second) + " AS b ON " + on + " LIMIT 1");
                if (rows.empty()) continue;
                return ShardConflict{shards[i], shards[j],    displayName({routes[i].database, routes[i].table}),
                                     key,       rows.rows[0], *columns};
            }
    return std::nullopt;
}

std::optional<ShardConflict> findAnyShardConflict(db::Connection& source, db::Connection& target,
                                                  const api::MigrationJob& job) {
    const Router router(job);
    for (const auto& [into, shards] : shardGroups(router, db::selectedTables(source, job.objects))) {
        const auto& first = shards.front();
        const auto keys = targetUniqueKeys(source, first, target, router.route(first.first, first.second));
        if (auto conflict = findShardConflict(source, router, shards, keys)) return conflict;
    }
    return std::nullopt;
}

}  // namespace tidemark::consolidate
