// The precheck item of a job of several sources (spec.sources), over all of them at once:
//   sources_apart  the tables of two sources that go into one target table are told apart by
//                  their route's extra columns (the values differ), have one definition (columns,
//                  primary and unique keys: as shard_schemas checks the shards of one source), and
//                  the full copy is logical.
// Without that, one source's chunk redo or TRUNCATE would delete the other's rows (both are
// matched by the extra columns), and nothing could say which source a row came from.
#include "runner/precheck/precheck.h"
#include "runner/precheck/table_definitions.h"

#include "runner/consolidate/router.h"
#include "runner/db/catalog.h"

#include <map>
#include <set>

namespace tidemark::precheck {

namespace {

using consolidate::TableName;

// Where a table of one source goes, and the extra column values that mark its rows.
struct Placement {
    std::string sourceId;
    TableName from;
    std::vector<consolidate::ExtraValue> extras;
    TableDefinition definition;
};

std::string describe(const Placement& p) { return "source " + p.sourceId + "'s " + consolidate::displayName(p.from); }

bool sameMarks(const Placement& a, const Placement& b) {
    if (a.extras.size() != b.extras.size()) return false;
    for (std::size_t i = 0; i < a.extras.size(); ++i)
        if (a.extras[i].column != b.extras[i].column || a.extras[i].value != b.extras[i].value) return false;
    return true;
}

}  // namespace

Item checkSourcesApart(const std::vector<SourceOfJob>& sources) {
    std::map<TableName, std::vector<Placement>> into;  // target table -> what each source writes there
    for (const auto& [job, options] : sources) {
        try {
            auto server = db::Connection::open(options);
            auto selection = db::withNameRuleOf(server, job.objects);
            api::MigrationJob named = job;
            named.objects = selection;
            const consolidate::Router router(named);
            std::vector<TableRef> tables;
            for (const auto& [d, t] : db::selectedTables(server, selection)) tables.push_back({d, t});
            const auto definitions = describe(server, tables);
            for (const auto& t : tables) {
                const auto route = router.route(t.database, t.table);
                into[{route.database, route.table}].push_back(
                    {job.source.id, {t.database, t.table}, route.extras, definitions.at({t.database, t.table})});
            }
        } catch (const db::DbError& e) {
            return {"sources_apart", State::Failed,
                    "source " + job.source.id + ": cannot list its tables: " + std::string(e.what()),
                    "Make every source in spec.sources reachable (its own source_connection item says why not)."};
        }
    }
    const bool physical = !sources.empty() && sources.front().first.fullMode == api::FullMode::Physical &&
        sources.front().first.copiesExistingData();
    std::size_t shared = 0;
    for (const auto& [target, placements] : into) {
        std::set<std::string> ids;
        for (const auto& p : placements) ids.insert(p.sourceId);
        if (ids.size() < 2) continue;
        ++shared;
        if (physical)
            return {"sources_apart", State::Failed,
                    "physical mode loads each target table from one empty start, so it cannot fill " +
                        consolidate::displayName(target) + " from several sources",
                    "Use fullMode: Logical for a job whose sources write one target table (spec.fullMode)."};
        for (std::size_t i = 0; i < placements.size(); ++i)
            for (std::size_t j = i + 1; j < placements.size(); ++j)
                if (placements[i].sourceId != placements[j].sourceId && sameMarks(placements[i], placements[j]))
                    return {"sources_apart", State::Failed,
                            describe(placements[i]) + " and " + describe(placements[j]) + " both go to " +
                                consolidate::displayName(target) +
                                (placements[i].extras.empty() ? " with no extra column"
                                                              : " with the same extra column values") +
                                " to tell their rows apart",
                            "Route them with an extra column of value source (spec.routes[].extraColumns: "
                            "{column: source_id, value: source}) and make it part of the target table's keys."};
    }
    for (const auto& [target, placements] : into)
        for (const auto& p : placements) {
            const Placement& first = placements.front();
            if (p.sourceId == first.sourceId) continue;
            const auto difference = schemaDifference(describe(first), first.definition, describe(p), p.definition);
            if (!difference.empty())
                return {"sources_apart", State::Failed,
                        "the tables of several sources that go to " + consolidate::displayName(target) +
                            " must have one definition: " + difference,
                        "Make the tables' columns and keys the same on every source before the migration (or route "
                        "them to different target tables)."};
        }
    return {"sources_apart", State::Pass,
            std::to_string(sources.size()) + " sources; " + std::to_string(shared) +
                " target table(s) written by several of them, their rows told apart by extra columns",
            ""};
}

}  // namespace tidemark::precheck
