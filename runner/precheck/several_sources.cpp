// The precheck items of a job of several sources (spec.sources), over all of them at once:
//   sources_apart   the tables of two sources that go into one target table are told apart by
//                   their route's extra columns (the values differ), and the full copy is logical.
//   source_schemas  they have one definition (columns, primary and unique keys: as shard_schemas
//                   checks the shards of one source); like shard_schemas it does not apply to a
//                   job that resumes (replay brings a change shard by shard).
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

namespace {

using Placements = std::map<TableName, std::vector<Placement>>;  // target table -> what each source writes there

// Throws db::DbError naming nothing: the caller names the source.
void place(const api::MigrationJob& job, const db::ConnectOptions& options, Placements& into) {
    auto server = db::Connection::open(options);
    api::MigrationJob named = job;
    named.objects = db::withNameRuleOf(server, job.objects);
    const consolidate::Router router(named);
    std::vector<TableRef> tables;
    for (const auto& [d, t] : db::selectedTables(server, named.objects)) tables.push_back({d, t});
    const auto definitions = describe(server, tables);
    for (const auto& t : tables) {
        const auto route = router.route(t.database, t.table);
        into[{route.database, route.table}].push_back(
            {job.source.id, {t.database, t.table}, route.extras, definitions.at({t.database, t.table})});
    }
}

bool severalSourcesIn(const std::vector<Placement>& placements) {
    std::set<std::string> ids;
    for (const auto& p : placements) ids.insert(p.sourceId);
    return ids.size() > 1;
}

Item sourcesApart(const Placements& into, std::size_t sources, bool physical) {
    std::size_t shared = 0;
    for (const auto& [target, placements] : into) {
        if (!severalSourcesIn(placements)) continue;
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
    return {"sources_apart", State::Pass,
            std::to_string(sources) + " sources; " + std::to_string(shared) +
                " target table(s) written by several of them, their rows told apart by extra columns",
            ""};
}

Item sourceSchemas(const Placements& into) {
    for (const auto& [target, placements] : into) {
        if (!severalSourcesIn(placements)) continue;
        const Placement& first = placements.front();
        for (const auto& p : placements) {
            if (p.sourceId == first.sourceId) continue;
            const auto difference = schemaDifference(describe(first), first.definition, describe(p), p.definition);
            if (!difference.empty())
                return {"source_schemas", State::Failed,
                        "the tables of several sources that go to " + consolidate::displayName(target) +
                            " must have one definition: " + difference,
                        "Make the tables' columns and keys the same on every source before the migration (or route "
                        "them to different target tables)."};
        }
    }
    return {"source_schemas", State::Pass, "the tables several sources write into one target table have one definition",
            ""};
}

}  // namespace

std::vector<Item> checkSources(const std::vector<SourceOfJob>& sources) {
    Placements into;
    for (const auto& [job, options] : sources) {
        try {
            place(job, options, into);
        } catch (const db::DbError& e) {
            const std::string why = "source " + job.source.id + ": cannot list its tables: " + std::string(e.what());
            const std::string fix =
                "Make every source in spec.sources reachable (its source_connection item says why not).";
            return {{"sources_apart", State::Failed, why, fix}, {"source_schemas", State::Failed, why, fix}};
        }
    }
    const bool physical = !sources.empty() && sources.front().first.fullMode == api::FullMode::Physical &&
        sources.front().first.copiesExistingData();
    return {sourcesApart(into, sources.size(), physical), sourceSchemas(into)};
}

}  // namespace tidemark::precheck
