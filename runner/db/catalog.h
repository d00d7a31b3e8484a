// What a server holds that a job selects.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"

#include <string>
#include <utility>
#include <vector>

namespace tidemark::db {

// The base tables (database, table) on `server` that `objects` selects, sorted; never the
// system schemas or tidemark_meta. Only tables the connection's user can see are listed.
std::vector<std::pair<std::string, std::string>> selectedTables(Connection& server,
                                                                const api::ObjectSelection& objects);

}  // namespace tidemark::db
