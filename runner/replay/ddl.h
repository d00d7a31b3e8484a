// What a DDL statement from a QUERY event does to replicated objects, and the statement to run
// on the target instead (made safe to run twice: CREATE ... IF NOT EXISTS, DROP ... IF EXISTS;
// unselected tables removed from multi-table statements, names qualified). What the target's
// dialect makes of that statement is db::dialect::translateDdl's to say, at apply time.
//
// Only the statement head is parsed (a tokenizer that knows quoting, comments and versioned
// comments); the body of CREATE/ALTER TABLE is passed through.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/migration_job.h"
#include "runner/consolidate/router.h"

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
    Sequence,  // MariaDB's CREATE/ALTER/DROP SEQUENCE (tables: the sequences)
    Skipped,   // users, grants, routines, triggers, events, views, temporary tables, maintenance
    Unknown,   // not recognised: skipped and logged
};

struct TableName {
    std::string database, table;
    bool operator==(const TableName&) const = default;
};

// Where the statement writes a table name in another case than the source stores it: the
// bytes [begin, end) of the statement (`db`.`t` or `t`) and the name as stored.
struct WrittenName {
    std::size_t begin = 0, end = 0;
    TableName stored;
};

struct Ddl {
    DdlKind kind = DdlKind::Unknown;
    std::string database;           // database statements
    std::vector<TableName> tables;  // affected tables; RenameTable: from, to, from, to, ...
    std::string renamedTo;          // ALTER TABLE ... RENAME TO (qualified into renamedTable)
    TableName renamedTable;
    bool hasRename = false;
    std::string head;  // "CREATE TABLE", for logs
    // Names written in another case than stored (NameCase::Lower only), including CREATE TABLE's
    // LIKE source: targetStatement writes them as stored, since the target compares names exactly.
    std::vector<WrittenName> folded;
    // Every table name the statement writes, where, and as stored: routing (spec.routes) writes
    // each as its target table.
    std::vector<WrittenName> written;
};

// Parses the head of `statement`; `defaultDb` qualifies unqualified names. Database and table
// names are as the source stores them under `names` (lower case for NameCase::Lower, as written
// otherwise), so they match the binlog's row events and the tables the copy made.
Ddl parseDdl(std::string_view statement, std::string_view defaultDb, api::NameCase names = api::NameCase::Exact);

// `statement` (parsed as `ddl`) with every table name it writes replaced by nameFor(name as stored).
std::string statementWithNames(const Ddl& ddl, std::string_view statement,
                               const std::function<std::string(const TableName&)>& nameFor);

// The statement to run on the target for `ddl` restricted to the selected objects, or "" when
// nothing selected is touched. Tables created later are selected by `selection` the way
// selectsTable() says (whole-database includes take new tables, table lists do not; the shadow
// tables of gh-ost and pt-online-schema-change go with their table). Names `ddl.folded` lists
// are written as stored. With routes, every table name is written as its route's target table
// and database statements name the routed database; DROP DATABASE and ALTER DATABASE of a routed
// database are not run (it may hold other databases' tables). Whether a statement about a table
// merged with others may run at all is the DDL runner's to decide (shard_ddl.h).
std::string targetStatement(const Ddl& ddl, std::string_view statement, const api::ObjectSelection& selection,
                            const consolidate::Router& router = {});

}  // namespace tidemark::replay
