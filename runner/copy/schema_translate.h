// Target tables from the source's definitions: SHOW CREATE TABLE, translated for TiDB when the
// target is TiDB (collations and options it lacks are mapped or dropped, with a warning), kept
// as they are on other MySQL-compatible targets. Secondary indexes can be held back and added
// after the data (the bulk path is much faster into a table without them).
#pragma once

#include "runner/copy/inspect.h"

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::copy {

struct DeferredIndex {
    std::string name;    // index name
    std::string clause;  // "ADD KEY `k` (`c`)"
};

struct TranslatedTable {
    std::string createSql;                // CREATE TABLE `db`.`name` (...)
    std::vector<DeferredIndex> deferred;  // held back from createSql
    std::vector<std::string> warnings;    // what was mapped or dropped for the target
};

// Pure text translation of a SHOW CREATE TABLE result. `deferSecondary` holds back plain
// (non-unique) KEY lines except `keepIndex`; nothing is held back when the table has
// foreign keys (they need their indexes).
TranslatedTable translateCreateTable(std::string_view showCreate, const std::string& db, bool tidb, bool deferSecondary,
                                     const std::string& keepIndex);
// SHOW CREATE DATABASE text -> CREATE DATABASE IF NOT EXISTS, translated for TiDB.
std::string translateCreateDatabase(std::string_view showCreate, bool tidb, std::vector<std::string>& warnings);
// Maps a collation TiDB lacks to one it has (identity for the ones it has).
std::string tidbCollation(const std::string& collation);

// True when the server answers SELECT tidb_version().
bool isTidb(db::Connection& target);

struct PreparedTable {
    bool exists = false;         // an existing table with the same columns is reused
    std::string createDatabase;  // to run when !exists
    std::string createTable;     // to run when !exists
    std::vector<DeferredIndex> deferred;
    std::vector<std::string> warnings;
};

// Decides how the target table comes to be, running nothing on the target: reuse (an existing
// table must have the same column names in the same order, else CopyError naming it and both
// column lists) or the translated statements to create it.
PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table, bool tidb,
                                 bool deferSecondary);

}  // namespace tidemark::copy
