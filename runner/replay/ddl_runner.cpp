#include "runner/replay/ddl_runner.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace tidemark::replay {

namespace {

// The engine a CREATE/ALTER TABLE names ("ENGINE = MyISAM", "engine=Aria"), "" when none.
std::string engineClause(const std::string& statement) {
    std::string upper = statement;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (size_t at = upper.find("ENGINE"); at != std::string::npos; at = upper.find("ENGINE", at + 6)) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(upper[at - 1])) || upper[at - 1] == '_')) continue;
        size_t i = at + 6;
        while (i < upper.size() && (upper[i] == ' ' || upper[i] == '=' || upper[i] == '\t' || upper[i] == '\n')) ++i;
        if (i == at + 6) continue;
        size_t j = i;
        while (j < statement.size() && (std::isalnum(static_cast<unsigned char>(statement[j])) || statement[j] == '_'))
            ++j;
        if (j > i) return statement.substr(i, j - i);
    }
    return "";
}

}  // namespace

DdlRunner::DdlRunner(const api::MigrationJob& job, const ReplayOptions& options, status::StatusSink& sink,
                     Progress& progress, SchemaTracker& tracker, ShardShadows& shadows, db::Connection& target,
                     Applier& applier, Batcher& batcher)
    : objects_(job.objects),
      router_(job),
      filters_(job),
      options_(options),
      sink_(sink),
      progress_(progress),
      tracker_(tracker),
      shadows_(shadows),
      target_(target),
      applier_(applier),
      batcher_(batcher) {}

bool DdlRunner::ddl(const SourceStatement& s) {
    const binlog::Query& q = s.query;
    const Ddl ddl = parseDdl(q.statement, q.schema, objects_.names);
    std::string stmt = targetStatement(ddl, q.statement, objects_, router_);
    if (stmt.empty()) {
        if (ddl.kind == DdlKind::Skipped || ddl.kind == DdlKind::Unknown)
            sink_.note("replay: skipped " + ddl.head + " at " + s.position.text() +
                       " (users, grants, routines, triggers, events and views are not migrated)");
        return false;
    }
    if (options_.tableStarts.skipDdl(ddl.tables, s.end)) {
        sink_.note("replay: skipped " + ddl.head + " at " + s.end.text() + " (the full copy read the table after it)");
        return false;
    }
    if (!passesFilters(ddl, s)) return false;
    const auto shard = shardPlan(ddl, s);
    if (shard && shard->action == ShardDdlPlan::Action::Skip) {
        const auto route = router_.route(shard->shard.first, shard->shard.second);
        if (ddl.kind == DdlKind::CreateTable &&
            !target_.scalar("SELECT 1 FROM information_schema.TABLES WHERE "
                            "TABLE_SCHEMA = " +
                            target_.quote(route.database) + " AND TABLE_NAME = " + target_.quote(route.table)))
            throw DdlRejectedError("replay: " + ddl.head + " at " + s.end.text() + " creates a shard of `" +
                                       route.database + "." + route.table +
                                       "`, which the target does not have: create it there (with the route's extra "
                                       "columns in its keys), then list this position in spec.ddl.skip",
                                   s.end.text(), q.statement.substr(0, 300), "merged table missing");
        shadows_.applyDdl(target_, ddl, q.statement, shard->shard);
        sink_.note("replay: not run: " + shard->reason + " (" + s.end.text() + ")");
        refreshTracker(ddl, q.statement);
        reportShardDefinitions();
        return false;
    }
    if (shard && shard->action == ShardDdlPlan::Action::Replace) stmt = shard->statement;
    const DdlBatch d = batcher_.ddlBatch(s.at, s.end);
    Batch& b = *d.batch;
    b.ddlStatement = stmt;
    b.ddlDatabase = q.schema;
    b.ddlHead = ddl.head;
    b.ddlTimeZone = q.timeZone;
    const bool skipRequested = options_.skipDdl.count(b.end.text()) > 0;
    if (!d.alreadyCommitted && shard && shard->action == ShardDdlPlan::Action::Refuse && !skipRequested)
        throw DdlRejectedError(shard->reason, b.end.text(), q.statement.substr(0, 300), shard->reason);
    // The shard's own definition changes first: a crash before the checkpoint re-reads the
    // statement, which then finds its change there (shard_shadows.h).
    if (!d.alreadyCommitted && shard) shadows_.applyDdl(target_, ddl, q.statement, shard->shard);
    if (!d.alreadyCommitted && skipRequested) {
        skipByRequest(b, ddl.head);
    } else if (!d.alreadyCommitted) {
        // Every shard of a merged table issues the same ADD: the first one's is there already.
        const bool onceForShards = shard && shard->action == ShardDdlPlan::Action::RunOnce;
        progress_.ddlStarted(ddl.head + " at " + b.end.text(), s.time);
        struct Finished {
            Progress& p;
            ~Finished() { p.ddlFinished(); }
        } finished{progress_};
        const bool applied = applier_.applyDdl(b, d.maybeApplied || onceForShards);
        sink_.note("replay: " + std::string(applied ? "applied " : "already applied: ") + ddl.head + " at " +
                   s.position.text() + (onceForShards && !applied ? " (another shard's made the same change)" : ""));
    }
    batcher_.ddlDone(s.end);
    refreshTracker(ddl, q.statement);
    if (shard) reportShardDefinitions();
    return true;
}

void DdlRunner::reportShardDefinitions() {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [merged, shards] : tracker_.groups()) {
        if (shards.size() < 2) continue;
        std::map<std::string, nlohmann::json> byDefinition;  // "col type, ..." -> shards
        for (const auto& shard : shards) {
            const auto t = tracker_.find(shard.first, shard.second);
            std::string columns;
            if (t)
                for (const auto& c : t->columns) columns += (columns.empty() ? "" : ", ") + c.name + " " + c.dataType;
            byDefinition[t ? columns : "(unknown)"].push_back(consolidate::displayName(shard));
        }
        if (byDefinition.size() < 2) continue;
        nlohmann::json definitions = nlohmann::json::array();
        for (auto& [columns, names] : byDefinition) definitions.push_back({{"columns", columns}, {"shards", names}});
        list.push_back({{"table", consolidate::displayName(merged)}, {"definitions", definitions}});
    }
    sink_.report("incremental", {{"shardDdl", list}});
}

bool DdlRunner::passesFilters(const Ddl& ddl, const SourceStatement& s) {
    if (filters_.empty()) return true;
    std::optional<api::EventKind> kind;
    switch (ddl.kind) {
        case DdlKind::CreateDatabase: kind = api::EventKind::CreateDatabase; break;
        case DdlKind::DropDatabase: kind = api::EventKind::DropDatabase; break;
        case DdlKind::AlterDatabase: kind = api::EventKind::AlterDatabase; break;
        case DdlKind::CreateTable: kind = api::EventKind::CreateTable; break;
        case DdlKind::AlterTable: kind = api::EventKind::AlterTable; break;
        case DdlKind::DropTable: kind = api::EventKind::DropTable; break;
        case DdlKind::RenameTable: kind = api::EventKind::RenameTable; break;
        case DdlKind::TruncateTable: kind = api::EventKind::TruncateTable; break;
        case DdlKind::CreateIndex: kind = api::EventKind::CreateIndex; break;
        case DdlKind::DropIndex: kind = api::EventKind::DropIndex; break;
        default: return true;
    }
    const bool aboutDatabase = ddl.tables.empty();
    const std::string database = aboutDatabase ? ddl.database : ddl.tables[0].database;
    const std::string table = aboutDatabase ? "" : ddl.tables[0].table;
    const auto decision = filters_.decide(database, table, *kind);
    if (decision.verdict == consolidate::EventFilters::Verdict::Apply) return true;
    if (decision.verdict == consolidate::EventFilters::Verdict::Stop)
        throw ReplayError("replay: " + decision.ruleField() + " stops on " + ddl.head + " of `" + database +
                              (table.empty() ? "" : "`.`" + table) + "` at " + s.end.text() +
                              " (action Error); change the rule, or list the position in spec.ddl.skip",
                          false);
    progress_.filteredDdl();
    sink_.note("replay: ignored " + ddl.head + " at " + s.end.text() + " (" + decision.ruleField() + ")");
    return false;
}

std::optional<ShardDdlPlan> DdlRunner::shardPlan(const Ddl& ddl, const SourceStatement& s) const {
    if (!router_.hasRules()) return std::nullopt;
    for (const auto& t : ddl.tables) {
        const auto route = router_.route(t.database, t.table);
        const auto group = tracker_.sourcesOf({route.database, route.table});
        const bool merged =
            group.size() > 1 || (group.size() == 1 && group[0] != consolidate::TableName{t.database, t.table});
        if (!merged) continue;
        auto all = group;
        if (std::find(all.begin(), all.end(), consolidate::TableName{t.database, t.table}) == all.end())
            all.push_back({t.database, t.table});
        if (ddl.tables.size() > 1 && ddl.kind == DdlKind::DropTable)
            return ShardDdlPlan{ShardDdlPlan::Action::Refuse,
                                "",
                                "replay: " + ddl.head + " at " + s.end.text() + " names `" + t.database + "." +
                                    t.table + "`, which is merged into `" + route.database + "." + route.table +
                                    "`: drop the other tables yourself and list this position in spec.ddl.skip",
                                {t.database, t.table}};
        return planShardDdl(ddl, s.query.statement, t, route, all, s.end.text());
    }
    return std::nullopt;
}

// spec.ddl.skip names this DDL: checkpointed without running, and listed in the status.
void DdlRunner::skipByRequest(const Batch& b, const std::string& head) {
    applier_.skipDdl(b);
    skipped_.push_back({b.end.text(), b.ddlStatement.substr(0, 300), status::rfc3339Now()});
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : skipped_)
        list.push_back({{"position", e.position}, {"statement", e.statement}, {"time", e.time}});
    sink_.report("incremental", {{"skippedDdl", list}, {"failedDdl", nullptr}});
    sink_.note("replay: skipped " + head + " at " + b.end.text() + " (spec.ddl.skip)");
}

// The target now holds the definition as of this point of the stream; the source's engine comes
// from the statement (the target's is not the source's).
void DdlRunner::refreshTracker(const Ddl& ddl, const std::string& statement) {
    const std::string engine = engineClause(statement);
    switch (ddl.kind) {
        case DdlKind::DropDatabase: tracker_.forgetDatabase(ddl.database); break;
        case DdlKind::DropTable:
            for (auto& t : ddl.tables) tracker_.forget(t.database, t.table);
            break;
        case DdlKind::RenameTable:
            for (size_t k = 0; k + 1 < ddl.tables.size(); k += 2) {
                tracker_.forget(ddl.tables[k].database, ddl.tables[k].table);
                tracker_.reload(target_, ddl.tables[k + 1].database, ddl.tables[k + 1].table);
                tracker_.engineRenamed(ddl.tables[k].database, ddl.tables[k].table, ddl.tables[k + 1].database,
                                       ddl.tables[k + 1].table);
            }
            break;
        default:
            for (auto& t : ddl.tables) {
                tracker_.reload(target_, t.database, t.table);
                if (ddl.kind == DdlKind::CreateTable || ddl.kind == DdlKind::AlterTable)
                    tracker_.engineChanged(t.database, t.table, engine, ddl.kind == DdlKind::CreateTable);
            }
            if (ddl.hasRename) {
                tracker_.reload(target_, ddl.renamedTable.database, ddl.renamedTable.table);
                if (!ddl.tables.empty())
                    tracker_.engineRenamed(ddl.tables[0].database, ddl.tables[0].table, ddl.renamedTable.database,
                                           ddl.renamedTable.table);
            }
    }
}

}  // namespace tidemark::replay
