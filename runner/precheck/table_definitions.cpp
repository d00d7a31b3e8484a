#include "runner/precheck/table_definitions.h"

#include "runner/db/table_schema.h"

#include <set>

namespace tidemark::precheck {

namespace {

void readColumns(db::Connection& c, const std::string& where, Definitions& out) {
    for (auto& def : db::readColumns(c, "c." + where)) {
        auto it = out.find({def.database, def.table});
        if (it == out.end()) continue;
        it->second.columns.push_back(
            {def.name, def.dataType, def.columnType, def.charset, def.collation, def.nullable, def.generated, false});
    }
    for (auto& r : c.query("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                           "EXTRA LIKE '%auto_increment%' AND " +
                           where)
                       .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it == out.end()) continue;
        for (auto& column : it->second.columns)
            if (column.name == r[2].value_or("")) column.autoIncrement = true;
    }
}

void readKeys(db::Connection& c, const std::string& where, Definitions& out) {
    for (auto& r :
         c.query("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                 "WHERE NON_UNIQUE = 0 AND " +
                 where + " ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")
             .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.uniqueKeys[r[2].value_or("")].push_back(r[3].value_or(""));
    }
    for (auto& r : c.query("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE "
                           "WHERE REFERENCED_TABLE_NAME IS NOT NULL AND " +
                           where)
                       .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.hasForeignKey = true;
    }
}

void readCollations(db::Connection& c, const std::string& where, Definitions& out) {
    for (auto& r :
         c.query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE " + where)
             .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.collation = r[2].value_or("");
    }
}

}  // namespace

std::vector<std::string> TableDefinition::columnSignature() const {
    std::vector<std::string> out;
    for (const auto& c : columns) out.push_back(c.name + " " + db::normalizedColumnType(c.dataType, c.columnType));
    return out;
}

std::vector<std::string> TableDefinition::autoIncrementKeyColumns() const {
    for (const auto& [name, keyColumns] : uniqueKeys)
        for (const auto& keyColumn : keyColumns)
            for (const auto& c : columns)
                if (c.autoIncrement && c.name == keyColumn) return keyColumns;
    return {};
}

std::string databaseList(db::Connection& server, const std::vector<TableRef>& tables) {
    std::set<std::string> dbs;
    for (const auto& t : tables) dbs.insert(t.database);
    std::string out;
    for (const auto& d : dbs) out += (out.empty() ? "" : ", ") + server.quote(d);
    return out.empty() ? "''" : out;
}

Definitions describe(db::Connection& server, const std::vector<TableRef>& tables) {
    Definitions out;
    for (const auto& t : tables) out[{t.database, t.table}];
    const auto where = "TABLE_SCHEMA IN (" + databaseList(server, tables) + ")";
    readColumns(server, where, out);
    readKeys(server, where, out);
    readCollations(server, where, out);
    return out;
}

}  // namespace tidemark::precheck
