#include "runner/replay/schema_tracker.h"

#include "runner/db/table_schema.h"

#include <algorithm>

namespace tidemark::replay {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// "enum('a','it''s')" -> {"a", "it's"}
std::vector<std::string> parseMembers(std::string_view columnType) {
    std::vector<std::string> out;
    auto open = columnType.find('(');
    if (open == std::string_view::npos) return out;
    size_t i = open + 1;
    while (i < columnType.size()) {
        if (columnType[i] != '\'') {
            ++i;
            continue;
        }
        std::string v;
        ++i;
        while (i < columnType.size()) {
            if (columnType[i] == '\'' && i + 1 < columnType.size() && columnType[i + 1] == '\'') {
                v += '\'';
                i += 2;
            } else if (columnType[i] == '\'') {
                ++i;
                break;
            } else if (columnType[i] == '\\' && i + 1 < columnType.size()) {
                v += columnType[i + 1];
                i += 2;
            } else {
                v += columnType[i++];
            }
        }
        out.push_back(std::move(v));
    }
    return out;
}

bool isBinaryType(const std::string& t) {
    return t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
        t == "longblob" || t == "uuid" || t == "inet6" || t == "inet4" || t == "vector";
}

}  // namespace

void SchemaTracker::expectSourceTables(const std::vector<consolidate::TableName>& tables) {
    routedFrom_.clear();
    for (const auto& t : tables) {
        const auto r = router_.route(t.first, t.second);
        routedFrom_[{r.database, r.table}].push_back(t);
    }
}

void SchemaTracker::loadAll(db::Connection& conn, Side side) {
    const std::string where =
        "c.TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys','tidemark_meta',"
        "'METRICS_SCHEMA','INSPECTION_SCHEMA')";
    if (side == Side::Source || !router_.hasRules()) {
        load(conn, where, side == Side::Target, [](const consolidate::TableName& found) { return std::vector{found}; });
        return;
    }
    std::map<consolidate::TableName, std::vector<consolidate::TableName>> readFrom;
    for (const auto& [target, sources] : routedFrom_)
        for (const auto& s : sources) readFrom[definitionTable(s)].push_back(s);
    load(conn, "(" + where + " OR (c.TABLE_SCHEMA = 'tidemark_meta' AND c.TABLE_NAME LIKE 'shard\\_%'))", true,
         [&](const consolidate::TableName& found) {
             auto it = readFrom.find(found);
             return it == readFrom.end() ? std::vector<consolidate::TableName>{} : it->second;
         });
}

void SchemaTracker::reload(db::Connection& conn, const std::string& database, const std::string& table) {
    forget(database, table);
    const consolidate::TableName source{database, table};
    const auto from = definitionTable(source);
    load(conn, "c.TABLE_SCHEMA = " + conn.quote(from.first) + " AND c.TABLE_NAME = " + conn.quote(from.second), true,
         [&](const consolidate::TableName&) { return std::vector{source}; });
}

consolidate::TableName SchemaTracker::definitionTable(const consolidate::TableName& source) const {
    const auto r = router_.route(source.first, source.second);
    auto group = sourcesOf({r.database, r.table});
    if (std::find(group.begin(), group.end(), source) == group.end()) group.push_back(source);
    if (consolidate::sharesTarget(router_, r, group.size())) return shadowName(instanceKey_, source);
    return {r.database, r.table};
}

void SchemaTracker::forget(const std::string& database, const std::string& table) {
    tables_.erase(std::make_pair(database, table));
    for (auto& [target, sources] : routedFrom_) std::erase(sources, consolidate::TableName{database, table});
}

void SchemaTracker::forgetDatabase(const std::string& database) {
    std::erase_if(tables_, [&](const auto& kv) { return kv.first.first == database; });
    for (auto& [target, sources] : routedFrom_)
        std::erase_if(sources, [&](const consolidate::TableName& t) { return t.first == database; });
}

std::vector<consolidate::TableName> SchemaTracker::sourcesOf(const consolidate::TableName& target) const {
    auto it = routedFrom_.find(target);
    return it == routedFrom_.end() ? std::vector<consolidate::TableName>{} : it->second;
}

void SchemaTracker::load(
    db::Connection& conn, const std::string& where, bool fromTarget,
    const std::function<std::vector<consolidate::TableName>(const consolidate::TableName&)>& sourcesOf) {
    const auto cols = db::readColumns(conn, where);
    auto keys = conn.query(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.INDEX_NAME, c.COLUMN_NAME, c.NULLABLE FROM "
        "information_schema.STATISTICS c "
        "WHERE c.NON_UNIQUE = 0 AND " +
        where + " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.INDEX_NAME, c.SEQ_IN_INDEX");

    // Definitions as `conn` holds them, keyed by its names.
    std::map<std::pair<std::string, std::string>, std::shared_ptr<TableSchema>> fresh;
    for (const auto& def : cols) {
        auto key = std::make_pair(def.database, def.table);
        auto& t = fresh[key];
        if (!t) {
            t = std::make_shared<TableSchema>();
            t->database = key.first;
            t->name = key.second;
        }
        ColumnSchema c;
        c.name = def.name;
        c.dataType = def.dataType;
        const std::string columnType = lower(def.columnType);
        c.generated = def.generated;
        c.approximate = c.dataType == "float" || c.dataType == "double" || c.dataType == "real";
        binlog::ColumnHint h;
        h.name = c.name;
        h.isUnsigned = columnType.find("unsigned") != std::string::npos;
        h.charset = isBinaryType(c.dataType) ? "binary" : lower(def.charset);
        if (h.charset == "binary") h.collation = 63;
        if (c.dataType == "enum") h.enumValues = parseMembers(def.columnType);
        if (c.dataType == "set") h.setValues = parseMembers(def.columnType);
        h.isJson = c.dataType == "json";
        t->hint.columns.push_back(std::move(h));
        t->columns.push_back(std::move(c));
    }
    // Unique keys by index name: their column names, and whether a part makes the key unusable
    // as an identity (nullable).
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::pair<std::vector<std::string>, bool>>> idx;
    for (size_t i = 0; i < keys.size(); ++i) {
        auto key = std::make_pair(keys.text(i, "TABLE_SCHEMA"), keys.text(i, "TABLE_NAME"));
        if (!fresh.count(key)) continue;
        auto& entry = idx[key][keys.text(i, "INDEX_NAME")];
        entry.first.push_back(keys.text(i, "COLUMN_NAME"));  // "" (an expression part) matches no column
        if (keys.text(i, "NULLABLE") == "YES") entry.second = true;
    }
    for (auto& [key, t] : fresh) {
        std::vector<FoundKey> found;
        for (auto& [name, def] : idx[key]) found.push_back({name, def.first, def.second});
        for (const auto& source : sourcesOf(key)) track(source, *t, found, fromTarget);
    }
}

// The definition `found` (as the server holds it) tracked for the source table `source`: the
// route's extra columns removed, keys renumbered over the remaining columns.
void SchemaTracker::track(const consolidate::TableName& source, const TableSchema& found,
                          const std::vector<FoundKey>& keys, bool fromTarget) {
    if (tables_.count(source) || !selection_.selectsTable(source.first, source.second)) return;
    const auto route = router_.route(source.first, source.second);
    auto t = std::make_shared<TableSchema>();
    t->database = source.first;
    t->name = source.second;
    t->qualified = route.qualified();
    t->extras = route.extras;
    t->rowsKey = t->qualified;
    for (const auto& e : t->extras) t->rowsKey += "\x1f" + e.value;
    t->shardStep = shardStep(source);
    // The route's table holds the extra columns; a shard's shadow and the source do not.
    const bool hasExtras = fromTarget && found.database == route.database && found.name == route.table;
    auto isExtra = [&](const std::string& column) {
        return hasExtras && std::any_of(route.extras.begin(), route.extras.end(), [&](const auto& e) {
                   return std::equal(
                       e.column.begin(), e.column.end(), column.begin(), column.end(),
                       [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
               });
    };
    for (size_t i = 0; i < found.columns.size(); ++i) {
        if (isExtra(found.columns[i].name)) continue;
        t->columns.push_back(found.columns[i]);
        t->hint.columns.push_back(found.hint.columns[i]);
    }
    auto indexOf = [&](const std::string& column) -> std::optional<uint32_t> {
        for (uint32_t k = 0; k < t->columns.size(); ++k)
            if (t->columns[k].name == column) return k;
        return std::nullopt;
    };
    for (const auto& key : keys) {
        std::vector<uint32_t> cols;
        bool unusable = key.nullable;
        for (const auto& c : key.columns) {
            if (isExtra(c)) continue;
            if (auto k = indexOf(c)) cols.push_back(*k);
            else unusable = true;
        }
        if (cols.empty()) continue;
        if (key.name == "PRIMARY") {
            t->primaryKey = cols;
        } else {
            t->uniqueKeys.push_back(cols);
            if (t->identity.empty() && !unusable && t->primaryKey.empty()) t->identity = cols;
        }
    }
    if (!t->primaryKey.empty()) t->identity = t->primaryKey;
    t->hint.primaryKey = t->primaryKey;
    tables_[source] = t;
    if (router_.hasRules()) {
        auto& sources = routedFrom_[{route.database, route.table}];
        if (std::find(sources.begin(), sources.end(), source) == sources.end()) sources.push_back(source);
    }
}

bool SchemaTracker::nonTransactionalEngine(std::string_view engine) {
    const std::string e = lower(std::string(engine));
    return e == "myisam" || e == "aria" || e == "memory" || e == "heap" || e == "csv" || e == "archive" ||
        e == "mrg_myisam" || e == "merge";
}

void SchemaTracker::loadSourceEngines(db::Connection& source) {
    auto rows = source.query(
        "SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' "
        "AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys','tidemark_meta')");
    nonTransactional_.clear();
    for (size_t i = 0; i < rows.size(); ++i) {
        const std::string database = rows.text(i, "TABLE_SCHEMA"), table = rows.text(i, "TABLE_NAME");
        if (nonTransactionalEngine(rows.text(i, "ENGINE")) && selection_.selectsTable(database, table))
            nonTransactional_.emplace(database, table);
    }
}

void SchemaTracker::engineChanged(const std::string& database, const std::string& table, const std::string& engine,
                                  bool created) {
    if (engine.empty() && !created) return;
    if (nonTransactionalEngine(engine)) nonTransactional_.emplace(database, table);
    else nonTransactional_.erase(std::make_pair(database, table));
}

void SchemaTracker::engineRenamed(const std::string& fromDb, const std::string& fromTable, const std::string& toDb,
                                  const std::string& toTable) {
    const bool was = nonTransactional_.erase(std::make_pair(fromDb, fromTable)) > 0;
    if (was) nonTransactional_.emplace(toDb, toTable);
    else nonTransactional_.erase(std::make_pair(toDb, toTable));
}

bool SchemaTracker::nonTransactionalAtSource(std::string_view database, std::string_view table) const {
    return nonTransactional_.count(std::make_pair(std::string(database), std::string(table))) > 0;
}

std::shared_ptr<const TableSchema> SchemaTracker::find(std::string_view database, std::string_view table) const {
    auto it = tables_.find(std::make_pair(std::string(database), std::string(table)));
    return it == tables_.end() ? nullptr : it->second;
}

const binlog::TableHint* SchemaTracker::lookup(std::string_view schema, std::string_view table) const {
    auto t = find(schema, table);
    return t ? &t->hint : nullptr;
}

}  // namespace tidemark::replay
