#include "runner/consolidate/comparable.h"

#include "api/name_pattern.h"

namespace tidemark::consolidate {

Comparable::Comparable(const api::MigrationJob& job)
    : rules_(job.consolidation), names_(job.objects.names), router_(job) {}

bool Comparable::operator()(std::string_view database, std::string_view table) const {
    if (rules_.empty()) return true;
    auto matches = [&](const auto& rule) { return api::ruleNamesTable(rule, database, table, names_); };
    for (const auto& f : rules_.filters)
        if (matches(f)) return false;
    for (const auto& f : rules_.rowFilters)
        if (matches(f)) return false;
    const auto route = router_.route(database, table);
    return !route.renamed && route.extras.empty();
}

}  // namespace tidemark::consolidate
