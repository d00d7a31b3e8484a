// consolidate::Comparable: whether a source table and the target table of its name hold the same rows,
// so that comparing them by name (continuous validation, its full scan) is meaningful: the table
// is not routed (spec.routes: renamed or merged, or given extra columns) and no event filter or
// row filter (spec.filters, spec.rowFilters) names it. Tables that fail it are left out of those
// comparisons and counted, never reported as differences. (`verify` and the cutover's final
// check compare routed tables by their routes; filtered rows are differences there by design.)
#pragma once

#include "api/migration_job.h"
#include "runner/consolidate/router.h"

#include <string_view>

namespace tidemark::consolidate {

// Per table and call: a pattern match per rule. Thread-safe (const).
class Comparable {
public:
    explicit Comparable(const api::MigrationJob& job);
    bool operator()(std::string_view database, std::string_view table) const;

private:
    api::Consolidation rules_;
    api::NameCase names_;
    Router router_;
};

}  // namespace tidemark::consolidate
