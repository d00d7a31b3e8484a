// Each replicated table's columns, keys, types and signedness at the current point of the stream.
//
// Where definitions come from: at session start, the target's information_schema (the target
// holds every table as of the replay checkpoint, since replay applies each DDL there before
// moving the checkpoint past it), falling back to the source's for tables the target lacks.
// After a DDL the affected tables are reloaded from the *target* right after the DDL ran there,
// which is the definition at that point of the stream — re-reading the source would give its
// current definition, wrong for historical positions. DDL is not parsed into a model of its own.
//
// The tracker also serves binlog::SchemaHints, so TABLE_MAP events without optional metadata get
// column names, signedness, charsets and ENUM/SET labels from it. Not thread-safe: the
// replay coordinator owns it and decodes on its thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/migration_job.h"
#include "runner/binlog/column_hint.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

struct ColumnSchema {
    std::string name;
    std::string dataType;      // lower-case DATA_TYPE ("int", "varchar", ...)
    bool generated = false;    // virtual or stored generated: never written
    bool approximate = false;  // FLOAT/DOUBLE: not usable in equality matches
};

struct TableSchema {
    std::string database, name;
    std::vector<ColumnSchema> columns;              // in ordinal order, as in row images
    std::vector<uint32_t> primaryKey;               // column indexes; empty when none
    std::vector<std::vector<uint32_t>> uniqueKeys;  // other unique keys
    binlog::TableHint hint;
    std::string qualified;  // `db`.`table`

    // The columns that identify a row: the primary key, else the first unique key over NOT NULL
    // columns; empty for tables without such a key.
    std::vector<uint32_t> identity;
};

class SchemaTracker : public binlog::SchemaHints {
public:
    explicit SchemaTracker(const api::ObjectSelection& selection) : selection_(selection) {}

    // Loads every selected table that `conn` (target first, then source) holds and that is not
    // yet tracked.
    void loadAll(db::Connection& conn);
    // Re-reads one table from `conn`; forgets it when `conn` does not have it.
    void reload(db::Connection& conn, const std::string& database, const std::string& table);
    void forget(const std::string& database, const std::string& table);
    void forgetDatabase(const std::string& database);

    // Source storage engines: which selected tables are non-transactional on the source
    // (MyISAM, Aria, MEMORY, ...), whose changes the source keeps even when their binlog group
    // ends in ROLLBACK. Read from the source's information_schema.TABLES at session start (a
    // present-day value), then kept in step with DDL by engineChanged().
    void loadSourceEngines(db::Connection& source);
    // A DDL created or altered the table: `engine` from its ENGINE clause, "" when it named none
    // (a CREATE then gets the default engine, taken as transactional; an ALTER keeps the old one).
    void engineChanged(const std::string& database, const std::string& table, const std::string& engine, bool created);
    void engineRenamed(const std::string& fromDb, const std::string& fromTable, const std::string& toDb,
                       const std::string& toTable);
    bool nonTransactionalAtSource(std::string_view database, std::string_view table) const;
    static bool nonTransactionalEngine(std::string_view engine);

    // The table as tracked now, or null. The pointer stays valid after later DDL (copy-on-write).
    std::shared_ptr<const TableSchema> find(std::string_view database, std::string_view table) const;
    const binlog::TableHint* lookup(std::string_view schema, std::string_view table) const override;
    size_t size() const { return tables_.size(); }

private:
    void load(db::Connection& conn, const std::string& where);
    const api::ObjectSelection& selection_;
    std::set<std::pair<std::string, std::string>, std::less<>> nonTransactional_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableSchema>, std::less<>> tables_;
};

}  // namespace tidemark::replay
