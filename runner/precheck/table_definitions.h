// Private to the precheck: what information_schema says about a set of tables (columns, unique
// keys, foreign keys, collation), read in a few queries for all of them at once, so that the
// items comparing tables (schema, target and shard checks) read them one way.
#pragma once

#include "runner/precheck/checks.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::precheck {

struct ColumnDefinition {
    std::string name, dataType, columnType, charset, collation;
    bool nullable = true;
    bool generated = false;
    bool autoIncrement = false;
};

struct TableDefinition {
    std::vector<ColumnDefinition> columns;                       // ordinal order; empty = no such table
    std::map<std::string, std::vector<std::string>> uniqueKeys;  // index name → columns, in index order
    bool hasForeignKey = false;
    std::string collation;

    bool exists() const { return !columns.empty(); }
    // "name type" per column, the type normalized (db::normalizedColumnType: int(11) = int).
    std::vector<std::string> columnSignature() const;
    // The columns of keys holding an AUTO_INCREMENT column, empty when none does.
    std::vector<std::string> autoIncrementKeyColumns() const;
};

// The first difference between two tables that must share their definition (shards of one
// merged table, also of two sources): a column's name or type (types normalized, names compared
// ignoring case), the primary key, or a unique key by its columns; one line naming `a` and `b` as
// given. "" when they agree.
std::string schemaDifference(const std::string& a, const TableDefinition& defA, const std::string& b,
                             const TableDefinition& defB);

// The databases `tables` are in, quoted for `TABLE_SCHEMA IN (...)` ('' when none).
std::string databaseList(db::Connection& server, const std::vector<TableRef>& tables);

// The definitions of `tables` on `server`: one entry per table asked, empty for a table the
// server does not have. Throws db::DbError.
Definitions describe(db::Connection& server, const std::vector<TableRef>& tables);

}  // namespace tidemark::precheck
