// Binlog event filters (spec.filters): for an event of a source table (a row change or a DDL),
// whether replay applies it, ignores it, or stops on it.
//
// Contracts:
//  - Pure: built from spec.filters and the source's NameCase; no server, no state.
//  - decide(db, table, kind): among the rules whose database and table patterns match and whose
//    events list `kind`, an Ignore rule wins over an Error rule; none = Apply. Statements about a
//    whole database (CREATE/DROP/ALTER DATABASE) pass table "" and match rules with table "*".
//  - The caller counts what it ignores (status.incremental.filtered) and names the rule's
//    index when it stops ("spec.filters[2]").
#pragma once

#include "api/migration_job.h"

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::consolidate {

class EventFilters {
public:
    enum class Verdict { Apply, Ignore, Stop };
    struct Decision {
        Verdict verdict = Verdict::Apply;
        int rule = -1;  // index into spec.filters of the rule that decided; -1 for Apply

        // "spec.filters[2]".
        std::string ruleField() const;
    };

    EventFilters() = default;
    explicit EventFilters(const api::MigrationJob& job);

    Decision decide(std::string_view database, std::string_view table, api::EventKind kind) const;
    // True when some rule could ignore or stop row events (replay then asks per table and kind).
    bool filtersRows() const { return filtersRows_; }
    bool empty() const { return rules_.empty(); }

private:
    std::vector<api::EventFilter> rules_;
    api::NameCase names_ = api::NameCase::Exact;
    bool filtersRows_ = false;
};

}  // namespace tidemark::consolidate
