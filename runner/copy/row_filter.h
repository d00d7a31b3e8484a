// The insert row filters of spec.rowFilters as the full copy applies them: the rows for which a
// matching filter's `insert` expression is TRUE are not read (runner/filter/row_expression.h has
// the language; its keepCondition renders the SQL).
#pragma once

#include "api/migration_job.h"
#include "runner/copy/inspect.h"

#include <string>

namespace tidemark::copy {

// The condition (ANDed into the table's reads) keeping the rows no matching filter's insert
// expression makes TRUE; "" when no filter with an insert expression matches `table`. Filters
// match by name pattern on the source's database and table (api::nameMatches, the job's
// NameCase). Throws CopyError naming the table and the field (spec.rowFilters[i].insert) when
// an expression does not parse or does not fit the table's columns.
std::string rowFilterCondition(const api::MigrationJob& job, const TableInfo& table);

}  // namespace tidemark::copy
