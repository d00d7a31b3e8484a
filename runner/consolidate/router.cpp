#include "runner/consolidate/router.h"

#include "api/name_pattern.h"
#include "runner/db/connection.h"
#include "runner/db/hex.h"

namespace tidemark::consolidate {

std::string Route::qualified() const { return db::qualified(database, table); }

Router::Router(const api::MigrationJob& job)
    : rules_(job.consolidation.routes),
      sourceId_(job.source.id),
      severalSources_(job.severalSources()),
      names_(job.objects.names) {}

Route Router::route(std::string_view database, std::string_view table) const {
    for (const auto& rule : rules_) {
        if (!api::ruleNamesTable(rule, database, table, names_)) continue;
        Route r;
        r.database = rule.targetDatabase;
        r.table = rule.targetTable.empty() ? std::string(table) : rule.targetTable;
        for (const auto& extra : rule.extraColumns) {
            switch (extra.value) {
                case api::ExtraColumn::Value::Schema: r.extras.push_back({extra.column, std::string(database)}); break;
                case api::ExtraColumn::Value::Table: r.extras.push_back({extra.column, std::string(table)}); break;
                case api::ExtraColumn::Value::Source: r.extras.push_back({extra.column, sourceId_}); break;
            }
        }
        r.renamed = r.database != database || r.table != table;
        return r;
    }
    return Route{std::string(database), std::string(table), {}, false};
}

std::string Router::routeDatabase(std::string_view database) const {
    for (const auto& rule : rules_)
        if (rule.table == "*" && api::nameMatches(rule.database, database, names_)) return rule.targetDatabase;
    return std::string(database);
}

bool sharesTarget(const Router& router, const Route& route, std::size_t tablesHere) {
    return tablesHere > 1 || (router.severalSources() && !route.extras.empty());
}

std::map<TableName, std::vector<TableName>> shardGroups(const Router& router,
                                                        const std::vector<TableName>& sourceTables) {
    std::map<TableName, std::vector<TableName>> all;
    std::map<TableName, Route> routes;
    for (const auto& t : sourceTables) {
        const auto r = router.route(t.first, t.second);
        all[{r.database, r.table}].push_back(t);
        routes.emplace(TableName{r.database, r.table}, r);
    }
    std::erase_if(
        all, [&](const auto& group) { return !sharesTarget(router, routes.at(group.first), group.second.size()); });
    return all;
}

std::string extraLiteral(std::string_view value) { return "CONVERT(X'" + db::toHex(value, true) + "' USING utf8mb4)"; }

std::string extrasCondition(const std::vector<ExtraValue>& extras) {
    std::string where;
    for (const auto& e : extras)
        where += (where.empty() ? "" : " AND ") + db::quoteIdent(e.column) + " = " + extraLiteral(e.value);
    return where;
}

std::string displayName(const TableName& table) { return table.first + "." + table.second; }

}  // namespace tidemark::consolidate
