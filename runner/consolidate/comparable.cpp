#include "runner/consolidate/comparable.h"

#include "api/name_pattern.h"
#include "runner/consolidate/router.h"

namespace tidemark::consolidate {

bool comparableByName(const api::MigrationJob& job, std::string_view database, std::string_view table) {
    const auto& c = job.consolidation;
    if (c.empty()) return true;
    const auto names = job.objects.names;
    auto matches = [&](const auto& rule) {
        return api::nameMatches(rule.database, database, names) && api::nameMatches(rule.table, table, names);
    };
    for (const auto& f : c.filters)
        if (matches(f)) return false;
    for (const auto& f : c.rowFilters)
        if (matches(f)) return false;
    const auto route = Router(job).route(database, table);
    return !route.renamed && route.extras.empty();
}

}  // namespace tidemark::consolidate
