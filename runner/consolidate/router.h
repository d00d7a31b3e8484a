// Table routing (spec.routes): which target table each selected source table is written to, and
// the extra target columns that record where a row came from (DM's table routes and
// extract-schema / extract-table / extract-source). The one place that answers "where does this
// source table go": the copy, replay (rows and DDL), precheck, verify and status all ask it.
//
// Contracts:
//  - Pure: built from the job (spec.routes, spec.source.id, the source's NameCase in
//    spec.objects.names); no server.
//  - route(db, table): the first rule whose patterns match wins; a table no rule matches keeps
//    its name and has no extra columns (`renamed` false). A rule without targetTable keeps the
//    table's name in its targetDatabase.
//  - Extra column values are the names as the source stores them (and spec.source.id).
//  - Thread-safe for reads (const). Cost: one pattern match per rule per call; callers that
//    route per row cache the answer per table.
#pragma once

#include "api/migration_job.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidemark::consolidate {

// A target column filled with a constant for every row of one source table.
struct ExtraValue {
    std::string column;
    std::string value;
};

struct Route {
    std::string database, table;     // on the target
    std::vector<ExtraValue> extras;  // in rule order
    bool renamed = false;            // the target name differs from the source's

    // `db`.`table`, quoted.
    std::string qualified() const;
};

class Router {
public:
    Router() = default;
    Router(const api::MigrationJob& job);  // NOLINT: a job routes

    Route route(std::string_view database, std::string_view table) const;
    // The target database of statements about a whole source database (CREATE DATABASE): the
    // first rule whose database pattern matches and whose table pattern is "*", else the name.
    std::string routeDatabase(std::string_view database) const;
    bool hasRules() const { return !rules_.empty(); }
    // The job reads several sources (spec.sources): their tables may meet in one target table.
    bool severalSources() const { return severalSources_; }

private:
    std::vector<api::RouteRule> rules_;
    std::string sourceId_;
    bool severalSources_ = false;
    api::NameCase names_ = api::NameCase::Exact;
};

using TableName = std::pair<std::string, std::string>;  // (database, table)

// True when the target table of `route` holds rows of other source tables too (it is merged):
// `tablesHere` of this source's tables go there, or the job reads several sources and the route
// marks its rows with extra columns (other sources' tables may go there: their rows are told
// apart by those columns, precheck sources_apart). The one answer to "is this table merged" that
// the copy, verify, precheck and replay (shard DDL, shard definitions) ask.
bool sharesTarget(const Router& router, const Route& route, std::size_t tablesHere);

// Target tables that receive rows from more than one of `sourceTables` (shard groups), each with
// its source tables in the order given. In a job of several sources (spec.sources) also a target
// table one of `sourceTables` is routed to with extra columns, alone: the other sources' tables
// may go there too, so its rows are this source's only by their extra column values.
std::map<TableName, std::vector<TableName>> shardGroups(const Router& router,
                                                        const std::vector<TableName>& sourceTables);

// An extra column's value as a SQL literal, hex-encoded UTF-8 (`CONVERT(X'..' USING utf8mb4)`), so
// neither the session's character set nor its sql_mode changes it: what every statement that
// writes or matches an extra column uses (copy, replay, shard DDL).
std::string extraLiteral(std::string_view value);
// "`c1` = <literal> AND `c2` = <literal>": the rows one source table owns in its routed table;
// "" without extra columns.
std::string extrasCondition(const std::vector<ExtraValue>& extras);

// "<db>.<t>", as error messages and status name a table.
std::string displayName(const TableName& table);

}  // namespace tidemark::consolidate
