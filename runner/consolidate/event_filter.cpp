#include "runner/consolidate/event_filter.h"

#include "api/name_pattern.h"

#include <algorithm>

namespace tidemark::consolidate {
namespace {

bool isRowEvent(api::EventKind k) {
    return k == api::EventKind::Insert || k == api::EventKind::Update || k == api::EventKind::Delete;
}

}  // namespace

std::string EventFilters::Decision::ruleField() const { return "spec.filters[" + std::to_string(rule) + "]"; }

EventFilters::EventFilters(const api::MigrationJob& job)
    : rules_(job.consolidation.filters), names_(job.objects.names) {
    for (const auto& r : rules_)
        filtersRows_ = filtersRows_ || std::any_of(r.events.begin(), r.events.end(), isRowEvent);
}

EventFilters::Decision EventFilters::decide(std::string_view database, std::string_view table,
                                            api::EventKind kind) const {
    Decision out;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const auto& r = rules_[i];
        if (std::find(r.events.begin(), r.events.end(), kind) == r.events.end()) continue;
        if (!api::nameMatches(r.database, database, names_)) continue;
        if (table.empty() ? r.table != "*" : !api::nameMatches(r.table, table, names_)) continue;
        if (r.action == api::EventFilter::Action::Ignore) return {Verdict::Ignore, static_cast<int>(i)};
        if (out.verdict == Verdict::Apply) out = {Verdict::Stop, static_cast<int>(i)};
    }
    return out;
}

}  // namespace tidemark::consolidate
