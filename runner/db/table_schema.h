// What information_schema says about a table's columns, read the same way for every stage and
// every server: MySQL 5.6-9.x, MariaDB and TiDB describe columns with small differences
// (MariaDB-only IS_GENERATED, MySQL's DEFAULT_GENERATED mark for expression defaults, integer
// display widths that MySQL 8.0.19+ no longer shows). Precheck, copy and replay all read
// columns through here, so they agree on which columns are generated and which types match.
#pragma once

#include "runner/db/connection.h"

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::db {

struct ColumnDef {
    std::string database;
    std::string table;
    std::string name;
    std::string dataType;    // lower case: int, varchar, json, vector, ...
    std::string columnType;  // as the server spells it: int(10) unsigned, enum('a','b')
    std::string charset;     // "" for non-character columns
    std::string collation;
    bool nullable = true;
    bool generated = false;  // VIRTUAL or STORED generated: never written, recomputed by the target
    bool invisible = false;  // MySQL 8.0.23+ / MariaDB 10.3+ INVISIBLE: absent from SELECT *
};

// From a column's information_schema EXTRA: true for a generated column ("VIRTUAL GENERATED",
// "STORED GENERATED", MariaDB's "PERSISTENT GENERATED" and older "VIRTUAL"/"PERSISTENT"); false
// for MySQL's "DEFAULT_GENERATED", which marks an ordinary column with an expression default.
bool isGeneratedExtra(std::string_view extra);

// The columns of every base table that `where` selects, ordered by schema, table and ordinal
// position. `where` is a condition on information_schema.COLUMNS aliased `c` (for example
// "c.TABLE_SCHEMA = 'shop'"); views are left out. Throws DbError.
std::vector<ColumnDef> readColumns(Connection& server, const std::string& where);

// A column type as it compares across servers and versions: lower case, integer display
// widths dropped unless ZEROFILL gives them meaning (int(11) = int, tinyint(1) = tinyint),
// YEAR(4) = YEAR. MariaDB's JSON is LONGTEXT and stays unequal to MySQL's JSON.
std::string normalizedColumnType(std::string_view dataType, std::string_view columnType);

}  // namespace tidemark::db
