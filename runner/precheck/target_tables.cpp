// Items target_tables and physical_target_empty. A source table is written to the target table
// its route names (consolidate::Router; its own name without one). An existing target table is
// reused, so it must have the source table's columns, in order, plus the route's extra columns
// (which the source must not have); physical mode also needs it empty.
#include "runner/precheck/table_definitions.h"

#include "runner/consolidate/router.h"
#include "runner/copy/target_table.h"

#include <algorithm>
#include <set>

namespace tidemark::precheck {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Column names compare ignoring case, as MySQL compares them.
bool isExtra(const consolidate::Route& route, const std::string& column) {
    return std::any_of(route.extras.begin(), route.extras.end(),
                       [&](const consolidate::ExtraValue& e) { return lower(e.column) == lower(column); });
}

std::string targetLabel(const consolidate::Route& route) { return TableRef{route.database, route.table}.label(); }

// What messages call a source table: "`db`.`t`", or "`db`.`t` -> `shop`.`orders`" when routed.
std::string routedLabel(const TableRef& source, const consolidate::Route& route) {
    return route.renamed ? source.label() + " -> " + targetLabel(route) : source.label();
}

// The column signature the source table must match: the target's without the route's extras.
std::vector<std::string> signatureWithoutExtras(const TableDefinition& target, const consolidate::Route& route) {
    std::vector<std::string> out;
    const auto all = target.columnSignature();
    for (std::size_t i = 0; i < all.size(); ++i)
        if (!isExtra(route, target.columns[i].name)) out.push_back(all[i]);
    return out;
}

// "(source amount decimal(10,2), target amount decimal(12,2))": the first place they differ.
std::string firstDifference(const std::vector<std::string>& source, const std::vector<std::string>& target) {
    std::size_t i = 0;
    while (i < source.size() && i < target.size() && source[i] == target[i]) ++i;
    const auto side = [&](const std::vector<std::string>& v) { return i < v.size() ? v[i] : std::string("nothing"); };
    return "(source " + side(source) + ", target " + side(target) + ")";
}

bool hasColumn(const TableDefinition& table, const std::string& column) {
    return std::any_of(table.columns.begin(), table.columns.end(),
                       [&](const ColumnDefinition& c) { return lower(c.name) == lower(column); });
}

// What is wrong with the target tables, one list per kind of problem.
struct Findings {
    std::vector<std::string> differ;          // "`db`.`t` (source ..., target ...)"
    std::vector<std::string> missingExtra;    // "`shop`.`orders`.`source_table`"
    std::vector<std::string> sourceHasExtra;  // "`db`.`t`.`source_table` (spec.routes[0])"
};

void compare(const TableRef& source, const TableDefinition& sourceDef, const consolidate::Route& route,
             const TableDefinition& target, int rule, Findings& f) {
    for (const auto& extra : route.extras) {
        if (hasColumn(sourceDef, extra.column))
            f.sourceHasExtra.push_back(source.label() + ".`" + extra.column + "` (spec.routes[" + std::to_string(rule) +
                                       "])");
        if (target.exists() && !hasColumn(target, extra.column)) {
            const auto missing = targetLabel(route) + ".`" + extra.column + "`";
            if (std::find(f.missingExtra.begin(), f.missingExtra.end(), missing) == f.missingExtra.end())
                f.missingExtra.push_back(missing);
        }
    }
    if (!target.exists()) return;  // absent: it will be created
    const auto a = sourceDef.columnSignature();
    const auto b = signatureWithoutExtras(target, route);
    if (a != b) f.differ.push_back(routedLabel(source, route) + " " + firstDifference(a, b));
}

void addTargetTablesItem(Context& ctx, const Findings& f) {
    std::string message, instruction;
    const auto part = [](std::string& into, const std::string& text) { into += (into.empty() ? "" : "; ") + text; };
    if (!f.differ.empty()) {
        part(message, "target tables " + summarize(f.differ) + " exist with columns that differ from the source's");
        part(instruction,
             "Drop or rename these tables on the target so tidemark creates them, or make their columns match the "
             "source's");
    }
    if (!f.missingExtra.empty()) {
        part(message, "existing target tables lack the extra columns their routes fill: " + summarize(f.missingExtra));
        part(instruction,
             "Add each such column to its target table (" + std::string(copy::kExtraColumnType) +
                 ", first in the primary key), or drop the table so tidemark creates it with them");
    }
    if (!f.sourceHasExtra.empty()) {
        part(message,
             "source tables already hold a column named like their route's extra column: " +
                 summarize(f.sourceHasExtra));
        part(instruction, "Name the extra columns in spec.routes[].extraColumns differently from every source column");
    }
    if (message.empty())
        ctx.add({"target_tables", State::Pass,
                 "existing target tables (if any) have the source's columns and their routes' extra columns", ""});
    else ctx.add({"target_tables", State::Failed, message, instruction + "."});
}

void addPhysicalTargetEmptyItem(Context& ctx, const std::vector<consolidate::Route>& targets,
                                const Definitions& targetDefs) {
    std::vector<std::string> nonEmpty;
    for (const auto& route : targets) {
        if (!targetDefs.at({route.database, route.table}).exists()) continue;
        try {
            if (!ctx.target->query("SELECT 1 FROM " + route.qualified() + " LIMIT 1").empty())
                nonEmpty.push_back(targetLabel(route));
        } catch (const db::DbError&) {}
    }
    if (nonEmpty.empty())
        ctx.add(
            {"physical_target_empty", State::Pass, "every existing target table is empty, as physical mode needs", ""});
    else
        ctx.add({"physical_target_empty", State::Failed,
                 "physical mode needs empty target tables, but " + summarize(nonEmpty) + " hold rows",
                 "Empty these target tables (TRUNCATE) or use fullMode: Logical, which replaces duplicate rows."});
}

}  // namespace

void checkTargetTables(Context& ctx, const Definitions& source) {
    if (!ctx.target) return;
    const consolidate::Router router(ctx.job);
    std::vector<consolidate::Route> routes, targets;
    std::vector<TableRef> targetRefs;
    std::set<TableKey> seen;
    for (const auto& t : ctx.tables) {
        routes.push_back(router.route(t.database, t.table));
        if (!seen.insert({routes.back().database, routes.back().table}).second) continue;
        targets.push_back(routes.back());
        targetRefs.push_back({routes.back().database, routes.back().table});
    }
    Definitions targetDefs;
    try {
        targetDefs = describe(*ctx.target, targetRefs);
    } catch (const db::DbError& e) {
        ctx.add(
            {"target_tables", State::Warning, std::string("cannot read target table definitions: ") + e.what(), ""});
        return;
    }
    Findings findings;
    for (std::size_t i = 0; i < ctx.tables.size(); ++i) {
        const auto& t = ctx.tables[i];
        compare(t, source.at({t.database, t.table}), routes[i], targetDefs.at({routes[i].database, routes[i].table}),
                routeRuleOf(ctx.job, t), findings);
    }
    addTargetTablesItem(ctx, findings);
    if (ctx.job.fullMode == api::FullMode::Physical) addPhysicalTargetEmptyItem(ctx, targets, targetDefs);
}

}  // namespace tidemark::precheck
