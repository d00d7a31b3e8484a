// Private to the precheck: the state the items share, and the groups of items.
#pragma once

#include "runner/precheck/precheck.h"

#include <map>
#include <optional>

namespace tidemark::precheck {

struct TableRef {
    std::string database;
    std::string table;
    std::string label() const { return "`" + database + "`.`" + table + "`"; }
};

struct TableDefinition;                                // table_definitions.h
using TableKey = std::pair<std::string, std::string>;  // (database, table)
using Definitions = std::map<TableKey, TableDefinition>;

struct Context {
    const api::MigrationJob& job;
    const db::ConnectOptions& sourceOptions;
    const db::ConnectOptions& targetOptions;
    std::optional<db::Connection> source;
    std::optional<db::Connection> target;
    std::map<std::string, std::string> sourceVariables;  // lower-case names
    std::vector<TableRef> tables;                        // selected source tables
    Report& report;

    bool skipped(const std::string& name) const;
    // Adds an item unless the job skips it.
    void add(Item item);
    std::string sourceVariable(const std::string& name) const;
    bool sourceIsMariaDB() const;
};

void checkSource(Context& ctx);   // version, privileges, binlog settings, start position, limits
void checkTarget(Context& ctx);   // privileges, limits
void checkSchemas(Context& ctx);  // selection, keys, foreign keys, charsets, types, target tables
// Items target_tables and physical_target_empty, given the selected tables' `source` definitions:
// the target tables they are routed to (spec.routes) that exist have their columns, plus the
// routes' extra columns; physical mode needs them empty. Nothing without a target connection.
void checkTargetTables(Context& ctx, const Definitions& source);
// Routing, filters and shard merge (spec.routes, spec.filters, spec.rowFilters): the shards of a
// merged target table agree (shard_schemas, shard_auto_increment, shard_key_conflicts,
// shard_full_mode), row filter expressions fit their tables (row_filters), and every rule
// selects something (routes_match). Items appear only when the job has such rules.
void checkConsolidation(Context& ctx);
// The index into spec.routes of the rule that routes `table` (the first that matches, as
// consolidate::Router decides), or -1 when none does.
int routeRuleOf(const api::MigrationJob& job, const TableRef& table);
// Item `item`: `side` ("source"/"target") has room for the `needed` connections the job opens.
void checkConnectionLimit(Context& ctx, db::Connection& conn, const std::string& item, int needed,
                          const std::string& side);

// "a, b, c and 4 more" for lists in messages.
std::string summarize(const std::vector<std::string>& names, std::size_t shown = 5);

}  // namespace tidemark::precheck
