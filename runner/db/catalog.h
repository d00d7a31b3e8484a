// What a server holds that a job selects, with names compared the way that server compares them.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"

#include <string>
#include <utility>
#include <vector>

namespace tidemark::db {

// `objects` comparing names by `server`'s lower_case_table_names (dialect::lowerCaseTableNames).
// Every stage that matches the selection against what the source reports (its tables, binlog
// rows, logged DDL) uses the selection this returns for the source.
api::ObjectSelection withNameRuleOf(Connection& server, api::ObjectSelection objects);

// The base tables (database, table) on `server` that `objects` selects, sorted, as the server
// names them; never the system schemas or tidemark_meta. Names are compared by `server`'s rule
// (withNameRuleOf). Only tables the connection's user can see are listed.
std::vector<std::pair<std::string, std::string>> selectedTables(Connection& server,
                                                                const api::ObjectSelection& objects);

}  // namespace tidemark::db
