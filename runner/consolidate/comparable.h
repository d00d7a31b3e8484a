// Whether a source table and the target table of the same name are meant to hold the same rows,
// so that comparing them by name (continuous validation, its full scan) is meaningful: the table
// is not routed (spec.routes: renamed or merged, or given extra columns) and no event filter or
// row filter (spec.filters, spec.rowFilters) names it. Tables that fail it are left out of those
// comparisons and counted, never reported as differences. (`verify` and the cutover's final
// check compare routed tables by their routes; filtered rows are differences there by design.)
#pragma once

#include "api/migration_job.h"

#include <string_view>

namespace tidemark::consolidate {

bool comparableByName(const api::MigrationJob& job, std::string_view database, std::string_view table);

}  // namespace tidemark::consolidate
