// Items of routing, filters and shard merge (spec.routes, spec.filters, spec.rowFilters):
//   shard_schemas        the source tables routed into one target table have one definition
//   shard_auto_increment their AUTO_INCREMENT keys will collide when nothing tells shards apart
//   shard_key_conflicts  no two of them hold one target key value (the copy would stop there)
//   shard_full_mode      physical mode cannot merge them
//   row_filters          each expression parses and fits every selected table it matches
//   routes_match         each route and event filter rule selects some table
// The shard items appear when the job has routes, row_filters when it has row filters,
// routes_match when it has routes or event filters: a job without them reads as before.
#include "runner/precheck/table_definitions.h"

#include "api/name_pattern.h"
#include "runner/consolidate/router.h"
#include "runner/consolidate/shard_conflicts.h"
#include "runner/filter/row_expression.h"

#include <algorithm>
#include <set>

namespace tidemark::precheck {

namespace {

using consolidate::TableName;
using Groups = std::map<TableName, std::vector<TableName>>;  // merged target table → its shards

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string label(const TableName& t) { return TableRef{t.first, t.second}.label(); }

std::string labels(const std::vector<TableName>& tables) {
    std::vector<std::string> out;
    for (const auto& t : tables) out.push_back(label(t));
    return summarize(out);
}

std::string columnList(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
    return "(" + out + ")";
}

bool matches(const std::string& databasePattern, const std::string& tablePattern, const api::MigrationJob& job,
             const TableRef& t) {
    return api::nameMatches(databasePattern, t.database, job.objects.names) &&
        api::nameMatches(tablePattern, t.table, job.objects.names);
}

std::string patternOf(const std::string& database, const std::string& table) { return database + "." + table; }

// --- shard_schemas

// The columns as shards must share them: names compared ignoring case, types normalized.
std::vector<std::string> comparableColumns(const TableDefinition& t) {
    auto out = t.columnSignature();
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = lower(t.columns[i].name) + out[i].substr(t.columns[i].name.size());
    return out;
}

// The primary key, then every unique key by its columns (index names may differ between shards).
std::pair<std::vector<std::string>, std::set<std::vector<std::string>>> comparableKeys(const TableDefinition& t) {
    std::vector<std::string> primary;
    std::set<std::vector<std::string>> unique;
    for (const auto& [name, columns] : t.uniqueKeys) {
        std::vector<std::string> key;
        for (const auto& c : columns) key.push_back(lower(c));
        if (name == "PRIMARY") primary = key;
        else unique.insert(key);
    }
    return {primary, unique};
}

// The first difference between two shards' definitions, naming both, or "".
}  // namespace

std::string schemaDifference(const std::string& a, const TableDefinition& defA, const std::string& b,
                             const TableDefinition& defB) {
    const auto ca = comparableColumns(defA), cb = comparableColumns(defB);
    if (ca != cb) {
        std::size_t i = 0;
        while (i < ca.size() && i < cb.size() && ca[i] == cb[i]) ++i;
        const auto at = [&](const std::vector<std::string>& v) { return i < v.size() ? v[i] : std::string("nothing"); };
        return "column " + std::to_string(i + 1) + " is " + at(ca) + " in " + a + " but " + at(cb) + " in " + b;
    }
    const auto [pa, ua] = comparableKeys(defA);
    const auto [pb, ub] = comparableKeys(defB);
    if (pa != pb)
        return "the primary key is " + (pa.empty() ? "absent" : columnList(pa)) + " in " + a + " but " +
            (pb.empty() ? "absent" : columnList(pb)) + " in " + b;
    if (ua != ub) {
        for (const auto& k : ua)
            if (!ub.count(k)) return a + " has a unique key " + columnList(k) + " that " + b + " lacks";
        for (const auto& k : ub)
            if (!ua.count(k)) return b + " has a unique key " + columnList(k) + " that " + a + " lacks";
    }
    return "";
}

namespace {

void checkShardSchemas(Context& ctx, const Groups& groups, const Definitions& defs) {
    std::vector<std::string> differences;
    for (const auto& [target, shards] : groups)
        for (std::size_t i = 1; i < shards.size(); ++i) {
            auto d = schemaDifference(label(shards[0]), defs.at(shards[0]), label(shards[i]), defs.at(shards[i]));
            if (d.empty()) continue;
            differences.push_back("shards of " + label(target) + " differ: " + d);
            break;  // one difference per merged table
        }
    if (differences.empty())
        ctx.add({"shard_schemas", State::Pass,
                 groups.empty() ? "no target table merges several source tables"
                                : "the shards of each of " + std::to_string(groups.size()) +
                         " merged target table(s) have the same columns and keys",
                 ""});
    else
        ctx.add({"shard_schemas", State::Failed, summarize(differences, 3),
                 "Give the shards of each merged table the same columns (names, types, order) and the same primary "
                 "and unique keys (ALTER TABLE on the differing shard), or route them to different target tables "
                 "in spec.routes."});
}

// --- shard_auto_increment

void checkShardAutoIncrement(Context& ctx, const Groups& groups, const Definitions& defs,
                             const consolidate::Router& router) {
    std::vector<std::string> colliding;
    for (const auto& [target, shards] : groups) {
        const bool extras = std::all_of(shards.begin(), shards.end(), [&](const TableName& s) {
            return !router.route(s.first, s.second).extras.empty();
        });
        if (extras) continue;
        for (const auto& shard : shards) {
            const auto key = defs.at(shard).autoIncrementKeyColumns();
            if (key.empty()) continue;
            colliding.push_back(label(target) + " (from " + labels(shards) + ", key " + columnList(key) +
                                " with AUTO_INCREMENT, spec.routes[" +
                                std::to_string(routeRuleOf(ctx.job, {shard.first, shard.second})) + "])");
            break;
        }
    }
    if (colliding.empty())
        ctx.add({"shard_auto_increment", State::Pass,
                 "no merged target table takes AUTO_INCREMENT keys from shards its route cannot tell apart", ""});
    else
        ctx.add({"shard_auto_increment", State::Warning,
                 "merged tables whose shards generate AUTO_INCREMENT keys and whose route has no extra column, so "
                 "the ids the shards generate will collide: " +
                     summarize(colliding, 3),
                 "Add an extraColumns entry to the route (e.g. {column: source_table, value: table}) and put it in "
                 "the target table's primary key (tidemark does so when it creates the table), or give each shard its "
                 "own auto_increment_offset / auto_increment_increment so their ids never meet."});
}

// --- shard_key_conflicts

// The one place the precheck asks copy's shard conflict search: the first key value two of
// `shards` share in the target's unique keys, as a line naming both, or "".
std::string shardConflict(Context& ctx, const consolidate::Router& router, const std::vector<TableName>& shards) {
    const auto& first = shards.front();
    const auto keys =
        consolidate::targetUniqueKeys(*ctx.source, first, *ctx.target, router.route(first.first, first.second));
    const auto conflict = consolidate::findShardConflict(*ctx.source, router, shards, keys);
    return conflict ? conflict->text() : "";
}

void checkShardKeyConflicts(Context& ctx, const Groups& groups, const consolidate::Router& router) {
    if (!ctx.target) return;  // the target's keys decide; target_connection says why there are none
    std::vector<std::string> conflicts;
    try {
        for (const auto& [target, shards] : groups)
            if (auto text = shardConflict(ctx, router, shards); !text.empty()) conflicts.push_back(text);
    } catch (const db::DbError& e) {
        ctx.add({"shard_key_conflicts", State::Warning,
                 std::string("cannot look for key values the shards share: ") + e.what(),
                 "Check that the source user may read every selected table and the target user information_schema."});
        return;
    }
    if (conflicts.empty())
        ctx.add({"shard_key_conflicts", State::Pass,
                 groups.empty() ? "no target table merges several source tables"
                                : "no two shards of the " + std::to_string(groups.size()) +
                         " merged target table(s) hold the same key value",
                 ""});
    else
        ctx.add({"shard_key_conflicts", State::Failed, summarize(conflicts, 2),
                 "Add an extra column to the route (spec.routes[].extraColumns) and to the target table's keys, so "
                 "equal keys of different shards become different rows, or make the shards' keys disjoint."});
}

// --- shard_full_mode

void checkShardFullMode(Context& ctx, const Groups& groups) {
    if (ctx.job.fullMode != api::FullMode::Physical || !ctx.job.copiesExistingData()) return;
    std::vector<std::string> merged;
    for (const auto& [target, shards] : groups) merged.push_back(label(target) + " (from " + labels(shards) + ")");
    if (merged.empty())
        ctx.add({"shard_full_mode", State::Pass, "physical mode: no target table merges several source tables", ""});
    else
        ctx.add(
            {"shard_full_mode", State::Failed,
             "physical mode loads each target table from one empty start, so it cannot merge " + summarize(merged, 3),
             "Use fullMode: Logical for a job that merges shards (spec.fullMode)."});
}

// --- row_filters

struct ExpressionField {
    const char* name;
    std::string api::RowFilter::*text;
};
constexpr ExpressionField kExpressionFields[] = {{"insert", &api::RowFilter::insert},
                                                 {"updateOld", &api::RowFilter::updateOld},
                                                 {"updateNew", &api::RowFilter::updateNew},
                                                 {"delete", &api::RowFilter::deleted}};

std::vector<filter::ColumnInfo> columnsOf(const TableDefinition& t) {
    std::vector<filter::ColumnInfo> out;
    for (const auto& c : t.columns) out.push_back({c.name, c.dataType, c.charset});
    return out;
}

// Problems of one expression: "spec.rowFilters[1].insert on `db`.`t`: at 0: ...".
void checkExpression(const std::string& field, const std::string& text, const std::vector<TableRef>& tables,
                     const Definitions& defs, std::vector<std::string>& problems) {
    std::optional<filter::Expression> parsed;
    try {
        parsed = filter::parse(text);
    } catch (const filter::ExpressionError& e) {
        problems.push_back(field + " does not parse: " + e.what());
        return;
    }
    for (const auto& t : tables) {
        try {
            filter::bindToColumns(*parsed, columnsOf(defs.at({t.database, t.table})));
        } catch (const filter::ExpressionError& e) {
            problems.push_back(field + " on " + t.label() + ": " + e.what());
        }
    }
}

void checkRowFilters(Context& ctx, const Definitions& defs) {
    const auto& rules = ctx.job.consolidation.rowFilters;
    if (rules.empty()) return;
    std::vector<std::string> problems, unmatched;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::string field = "spec.rowFilters[" + std::to_string(i) + "]";
        std::vector<TableRef> tables;
        for (const auto& t : ctx.tables)
            if (matches(rules[i].database, rules[i].table, ctx.job, t)) tables.push_back(t);
        if (tables.empty()) unmatched.push_back(field + " (" + patternOf(rules[i].database, rules[i].table) + ")");
        for (const auto& [name, text] : kExpressionFields)
            if (!(rules[i].*text).empty()) checkExpression(field + "." + name, rules[i].*text, tables, defs, problems);
    }
    std::string message, instruction;
    if (!problems.empty()) {
        message = "row filter expressions that do not fit: " + summarize(problems, 3);
        instruction =
            "Fix each expression (runner/filter/README.md has the language): name columns every table the rule "
            "matches has, and compare them with literals of their types; or narrow the rule's database and table "
            "patterns.";
    }
    if (!unmatched.empty()) {
        message += (message.empty() ? "" : "; ") + std::string("rules that match no selected table: ") +
            summarize(unmatched, 3);
        instruction += (instruction.empty() ? "" : " ") +
            std::string("Check the database and table patterns of the rules that match nothing against the selected "
                        "tables (spec.objects), or remove those rules.");
    }
    if (message.empty())
        ctx.add({"row_filters", State::Pass,
                 std::to_string(rules.size()) + " row filter rule(s) parse and fit every selected table they match",
                 ""});
    else ctx.add({"row_filters", problems.empty() ? State::Warning : State::Failed, message, instruction});
}

// --- routes_match

std::vector<std::string> idleRoutes(const Context& ctx) {
    std::vector<std::string> idle;
    const auto& rules = ctx.job.consolidation.routes;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto routes = [&](const TableRef& t) { return routeRuleOf(ctx.job, t) == static_cast<int>(i); };
        if (std::any_of(ctx.tables.begin(), ctx.tables.end(), routes)) continue;
        const auto matched = std::find_if(ctx.tables.begin(), ctx.tables.end(), [&](const TableRef& t) {
            return matches(rules[i].database, rules[i].table, ctx.job, t);
        });
        std::string what = "spec.routes[" + std::to_string(i) + "] (" + patternOf(rules[i].database, rules[i].table);
        if (matched == ctx.tables.end()) what += ") matches no selected table";
        else
            what += ") routes nothing: spec.routes[" + std::to_string(routeRuleOf(ctx.job, *matched)) +
                "] comes first for " + matched->label();
        idle.push_back(what);
    }
    return idle;
}

std::vector<std::string> idleEventFilters(const Context& ctx) {
    std::vector<std::string> idle;
    const auto& rules = ctx.job.consolidation.filters;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto matched = std::any_of(ctx.tables.begin(), ctx.tables.end(), [&](const TableRef& t) {
            return matches(rules[i].database, rules[i].table, ctx.job, t);
        });
        if (!matched)
            idle.push_back("spec.filters[" + std::to_string(i) + "] (" + patternOf(rules[i].database, rules[i].table) +
                           ") matches no selected table");
    }
    return idle;
}

void checkRoutesMatch(Context& ctx) {
    const auto& c = ctx.job.consolidation;
    if (c.routes.empty() && c.filters.empty()) return;
    auto idle = idleRoutes(ctx);
    const auto filters = idleEventFilters(ctx);
    idle.insert(idle.end(), filters.begin(), filters.end());
    if (idle.empty())
        ctx.add({"routes_match", State::Pass,
                 "each of " + std::to_string(c.routes.size()) + " route(s) and " + std::to_string(c.filters.size()) +
                     " event filter(s) applies to a selected table",
                 ""});
    else
        ctx.add({"routes_match", State::Warning, summarize(idle, 3),
                 "Check these rules' database and table patterns against the selected tables (spec.objects; names "
                 "compare by the source's lower_case_table_names), put a more specific route before a broader one, "
                 "or remove the rule."});
}

}  // namespace

int routeRuleOf(const api::MigrationJob& job, const TableRef& table) {
    const auto& rules = job.consolidation.routes;
    for (std::size_t i = 0; i < rules.size(); ++i)
        if (matches(rules[i].database, rules[i].table, job, table)) return static_cast<int>(i);
    return -1;
}

void checkConsolidation(Context& ctx) {
    const auto& c = ctx.job.consolidation;
    if (c.empty() || ctx.tables.empty()) return;
    Definitions defs;
    try {
        defs = describe(*ctx.source, ctx.tables);
    } catch (const db::DbError& e) {
        ctx.add({c.routes.empty() ? "row_filters" : "shard_schemas", State::Warning,
                 std::string("cannot read the selected tables' definitions: ") + e.what(), ""});
        return;
    }
    if (!c.routes.empty()) {
        const consolidate::Router router(ctx.job);
        std::vector<TableName> names;
        for (const auto& t : ctx.tables) names.emplace_back(t.database, t.table);
        const auto groups = consolidate::shardGroups(router, names);
        checkShardSchemas(ctx, groups, defs);
        checkShardAutoIncrement(ctx, groups, defs, router);
        checkShardKeyConflicts(ctx, groups, router);
        checkShardFullMode(ctx, groups);
    }
    checkRowFilters(ctx, defs);
    checkRoutesMatch(ctx);
}

}  // namespace tidemark::precheck
