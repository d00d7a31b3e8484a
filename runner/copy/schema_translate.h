// Target tables from the source's definitions: SHOW CREATE TABLE, translated for the target by
// db::dialect::translateDdl (on TiDB: collations and options it lacks mapped or dropped, with a
// warning; what it cannot take refused with a CopyError naming the table). Secondary indexes can
// be held back and added after the data (the bulk path is much faster into a table without them).
#pragma once

#include "runner/copy/inspect.h"
#include "runner/copy/target_table.h"
#include "runner/db/dialect/flavor.h"

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

// Pure text translation of a SHOW CREATE TABLE result for `target`. `deferSecondary` holds back
// plain (non-unique) KEY lines except `keepIndex`; nothing is held back when the table has
// foreign keys (they need their indexes). A table the target cannot take throws CopyError.
TranslatedTable translateCreateTable(std::string_view showCreate, const std::string& db,
                                     const db::dialect::ServerInfo& target, bool deferSecondary,
                                     const std::string& keepIndex);
// SHOW CREATE DATABASE text -> CREATE DATABASE IF NOT EXISTS, translated for `target`.
std::string translateCreateDatabase(std::string_view showCreate, const db::dialect::ServerInfo& target,
                                    std::vector<std::string>& warnings);

// True when `target` is a TiDB server (db::dialect::detectServer).
bool isTidb(db::Connection& target);

struct PreparedTable {
    bool exists = false;         // an existing table with the same columns is reused
    std::string createDatabase;  // to run when !exists
    std::string createTable;     // to run when !exists
    std::vector<DeferredIndex> deferred;
    std::vector<std::string> warnings;
};

// Decides how the target table comes to be, running nothing on the target but reads: reuse (an
// existing table must have the same column names in the same order, else CopyError naming it
// and both column lists) or the statements to create it, translated for the target's flavor and
// version (detected on `target`; the `tidb` flag its callers pass is that same answer).
PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table, bool tidb,
                                 bool deferSecondary);
// The same for a routed table, written `into` its target table: an existing one must also have
// the route's extra columns (anywhere; CopyError naming the table and the column); a new one
// is created under the target's name with them (withExtraColumns), its database from the
// source database's definition.
PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table,
                                 const TargetTable& into, bool tidb, bool deferSecondary);

// The back-quoted identifier starting at `pos` of a SHOW CREATE text (doubled back-quotes inside),
// "" when none starts there; `end`, when given, is set past its closing back-quote.
std::string backQuotedAt(std::string_view s, std::size_t pos, std::size_t* end = nullptr);

}  // namespace tidemark::copy
