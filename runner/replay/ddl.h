// What a DDL statement from a QUERY event does to replicated objects, and the statement to run
// on the target instead (translated: CREATE ... IF NOT EXISTS, DROP ... IF EXISTS, unselected
// tables removed from multi-table statements, names qualified).
//
// Only the statement head is parsed (a tokenizer that knows quoting, comments and versioned
// comments); the body of CREATE/ALTER TABLE is passed through.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/migration_job.h"

namespace tidemark::replay {

enum class DdlKind {
    CreateDatabase,
    AlterDatabase,
    DropDatabase,
    CreateTable,
    AlterTable,
    DropTable,
    RenameTable,
    TruncateTable,
    CreateIndex,
    DropIndex,
    Skipped,  // users, grants, routines, triggers, events, views, temporary tables, maintenance
    Unknown,  // not recognised: skipped and logged
};

struct TableName {
    std::string database, table;
    bool operator==(const TableName&) const = default;
};

struct Ddl {
    DdlKind kind = DdlKind::Unknown;
    std::string database;           // database statements
    std::vector<TableName> tables;  // affected tables; RenameTable: from, to, from, to, ...
    std::string renamedTo;          // ALTER TABLE ... RENAME TO (qualified into renamedTable)
    TableName renamedTable;
    bool hasRename = false;
    std::string head;  // "CREATE TABLE", for logs
};

// Parses the head of `statement`; `defaultDb` qualifies unqualified names.
Ddl parseDdl(std::string_view statement, std::string_view defaultDb);

// The statement to run on the target for `ddl` restricted to the selected objects, or "" when
// nothing selected is touched. Tables created later are selected by `selection` the way
// selectsTable() says (whole-database includes take new tables, table lists do not).
std::string targetStatement(const Ddl& ddl, std::string_view statement, const api::ObjectSelection& selection);

// Rewrites collations TiDB lacks (MariaDB's uca1400/unicode_520/nopad ones, MySQL 8's other
// 0900 variants, single-byte ones beyond latin1_bin) to the closest it has: *_ci -> the charset's
// general_ci, else its _bin. Everything else passes through. For TiDB targets only.
std::string translateForTidb(std::string_view statement, std::vector<std::string>* changes = nullptr);

}  // namespace tidemark::replay
