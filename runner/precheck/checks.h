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
// Item `item`: `side` ("source"/"target") has room for the `needed` connections the job opens.
void checkConnectionLimit(Context& ctx, db::Connection& conn, const std::string& item, int needed,
                          const std::string& side);

// "a, b, c and 4 more" for lists in messages.
std::string summarize(const std::vector<std::string>& names, std::size_t shown = 5);

}  // namespace tidemark::precheck
