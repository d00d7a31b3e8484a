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

void SchemaTracker::loadAll(db::Connection& conn) {
    load(conn,
         "c.TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys','tidemark_meta',"
         "'METRICS_SCHEMA','INSPECTION_SCHEMA')");
}

void SchemaTracker::reload(db::Connection& conn, const std::string& database, const std::string& table) {
    forget(database, table);
    load(conn, "c.TABLE_SCHEMA = " + conn.quote(database) + " AND c.TABLE_NAME = " + conn.quote(table));
}

void SchemaTracker::forget(const std::string& database, const std::string& table) {
    tables_.erase(std::make_pair(database, table));
}

void SchemaTracker::forgetDatabase(const std::string& database) {
    std::erase_if(tables_, [&](const auto& kv) { return kv.first.first == database; });
}

void SchemaTracker::load(db::Connection& conn, const std::string& where) {
    const auto cols = db::readColumns(conn, where);
    auto keys = conn.query(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.INDEX_NAME, c.COLUMN_NAME, c.NULLABLE FROM "
        "information_schema.STATISTICS c "
        "WHERE c.NON_UNIQUE = 0 AND " +
        where + " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.INDEX_NAME, c.SEQ_IN_INDEX");

    std::map<std::pair<std::string, std::string>, std::shared_ptr<TableSchema>> fresh;
    for (const auto& def : cols) {
        auto key = std::make_pair(def.database, def.table);
        if (tables_.count(key) || !selection_.selectsTable(key.first, key.second)) continue;
        auto& t = fresh[key];
        if (!t) {
            t = std::make_shared<TableSchema>();
            t->database = key.first;
            t->name = key.second;
            t->qualified = db::qualified(key.first, key.second);
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
    // Unique keys, in index-name order (PRIMARY first as it sorts before lower-case names only by
    // luck, so pick it out explicitly).
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::pair<std::vector<uint32_t>, bool>>> idx;
    for (size_t i = 0; i < keys.size(); ++i) {
        auto key = std::make_pair(keys.text(i, "TABLE_SCHEMA"), keys.text(i, "TABLE_NAME"));
        auto it = fresh.find(key);
        if (it == fresh.end()) continue;
        const std::string col = keys.text(i, "COLUMN_NAME");
        auto& cs = it->second->columns;
        auto pos = std::find_if(cs.begin(), cs.end(), [&](const ColumnSchema& c) { return c.name == col; });
        auto& entry = idx[key][keys.text(i, "INDEX_NAME")];
        if (pos == cs.end()) {
            entry.second = true;  // expression index: unusable as an identity
            continue;
        }
        entry.first.push_back(static_cast<uint32_t>(pos - cs.begin()));
        if (keys.text(i, "NULLABLE") == "YES") entry.second = true;
    }
    for (auto& [key, t] : fresh) {
        for (auto& [name, def] : idx[key]) {
            if (name == "PRIMARY") {
                t->primaryKey = def.first;
            } else {
                t->uniqueKeys.push_back(def.first);
                if (t->identity.empty() && !def.second && t->primaryKey.empty()) t->identity = def.first;
            }
        }
        if (!t->primaryKey.empty()) t->identity = t->primaryKey;
        t->hint.primaryKey = t->primaryKey;
        tables_[key] = t;
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
