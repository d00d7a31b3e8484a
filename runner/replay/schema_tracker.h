// Each replicated table's columns, keys, types and signedness at the current point of the stream.
//
// Where definitions come from: at session start, the target's information_schema (the target
// holds every table as of the replay checkpoint, since replay applies each DDL there before
// moving the checkpoint past it), falling back to the source's for tables the target lacks.
// A routed table (spec.routes, consolidate/router.h) is read from its target table, less the
// route's extra columns, and keeps its source name; `qualified` names the target table and
// `extras` the constant columns every statement adds. A table merged with others (a shard) is
// read from its shadow table (shard_shadows.h), which holds the shard's own definition.
// After a DDL the affected tables are reloaded from the *target* right after the DDL ran there,
// which is the definition at that point of the stream — re-reading the source would give its
// current definition, wrong for historical positions. DDL is not parsed into a model of its own.
//
// The tracker also serves binlog::SchemaHints, so TABLE_MAP events without optional metadata get
// column names, signedness, charsets and ENUM/SET labels from it. Not thread-safe: the
// replay coordinator owns it and decodes on its thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/migration_job.h"
#include "runner/binlog/column_hint.h"
#include "runner/consolidate/router.h"
#include "runner/db/connection.h"
#include "runner/replay/shard_shadows.h"

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
    std::string qualified;  // `db`.`table` on the target (the route's; the same name when not routed)
    // The route's extra columns (router.h): written with every row, and part of every key match.
    std::vector<consolidate::ExtraValue> extras;
    // qualified + the extras' values: which rows of the target table this source table owns
    // (causality.h keys changes by it, so two shards' equal keys are different rows).
    std::string rowsKey;
    // A shard under pessimistic shard DDL (shard_ddl_locks.h): how many changes of its merged table
    // it had issued when this definition was tracked; its rows are held while the merged table
    // has applied fewer. 0 for every other table.
    uint64_t shardStep = 0;

    // The columns that identify a row: the primary key, else the first unique key over NOT NULL
    // columns; empty for tables without such a key.
    std::vector<uint32_t> identity;
};

class SchemaTracker : public binlog::SchemaHints {
public:
    explicit SchemaTracker(const api::ObjectSelection& selection, consolidate::Router router = {},
                           std::string instanceKey = {})
        : selection_(selection), router_(std::move(router)), instanceKey_(std::move(instanceKey)) {}

    // The source's selected tables (db::selectedTables), so that loading from the target knows
    // which source tables each routed target table stands for. Needed only with routes.
    void expectSourceTables(const std::vector<consolidate::TableName>& tables);

    enum class Side { Target, Source };
    // Loads every selected table that `conn` (target first, then source) holds and that is not
    // yet tracked.
    void loadAll(db::Connection& conn, Side side);
    // Re-reads one source table from the target `conn` (its routed table); forgets it when the
    // target does not have it.
    void reload(db::Connection& conn, const std::string& database, const std::string& table);
    void forget(const std::string& database, const std::string& table);
    // The step a shard is at (TableSchema::shardStep), for the definitions tracked from now on: set
    // before the shard is (re)loaded.
    void setShardStep(const consolidate::TableName& source, uint64_t step) { shardSteps_[source] = step; }
    uint64_t shardStep(const consolidate::TableName& source) const {
        auto it = shardSteps_.find(source);
        return it == shardSteps_.end() ? 0 : it->second;
    }
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
    // The source tables known to route to the target table `target` (expectSourceTables, then
    // kept in step with the tables tracked and forgotten). Empty without routes.
    std::vector<consolidate::TableName> sourcesOf(const consolidate::TableName& target) const;
    // Target table -> the source tables routed to it (merged when two or more).
    const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups() const { return routedFrom_; }
    // Where the target holds `source`'s definition: its shadow (shard_shadows.h) when it is merged
    // with other tables, else its routed table (itself when not routed).
    consolidate::TableName definitionTable(const consolidate::TableName& source) const;
    const binlog::TableHint* lookup(std::string_view schema, std::string_view table) const override;
    size_t size() const { return tables_.size(); }

private:
    struct FoundKey {
        std::string name;                  // index name; "PRIMARY" for the primary key
        std::vector<std::string> columns;  // in key order
        bool nullable = false;
    };
    // Reads the tables `where` selects from `conn`; each found table is tracked for the source
    // tables sourcesOf() names (itself, when not routed).
    void load(db::Connection& conn, const std::string& where, bool fromTarget,
              const std::function<std::vector<consolidate::TableName>(const consolidate::TableName&)>& sourcesOf);
    void track(const consolidate::TableName& source, const TableSchema& found, const std::vector<FoundKey>& keys,
               bool fromTarget);
    const api::ObjectSelection& selection_;
    consolidate::Router router_;
    std::string instanceKey_;
    std::map<consolidate::TableName, std::vector<consolidate::TableName>> routedFrom_;  // target -> sources
    std::map<consolidate::TableName, uint64_t> shardSteps_;
    std::set<std::pair<std::string, std::string>, std::less<>> nonTransactional_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableSchema>, std::less<>> tables_;
};

}  // namespace tidemark::replay
