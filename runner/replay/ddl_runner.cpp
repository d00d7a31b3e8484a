#include "runner/replay/ddl_runner.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "runner/replay/held_rows.h"

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
                     Applier& applier, Batcher& batcher, ShardDdlLocks* locks)
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
      batcher_(batcher),
      locks_(locks),
      instanceKey_(job.instanceKey()) {}

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
        if (locks_ && ddl.kind == DdlKind::CreateTable)
            locks_->join(target_, {route.database, route.table}, shard->shard);
        if (locks_ && ddl.kind == DdlKind::DropTable)
            locks_->leave(target_, {route.database, route.table}, shard->shard);
        sink_.note("replay: not run: " + shard->reason + " (" + s.end.text() + ")");
        refreshTracker(ddl, q.statement);
        reportShardDefinitions();
        return false;
    }
    const bool skipListed = options_.skipDdl.count(s.end.text()) > 0;
    if (shard && waitsForShards(ddl, *shard)) return coordinate(ddl, s, stmt, *shard, skipListed);
    if (shard && !skipListed && shard->action == ShardDdlPlan::Action::Replace && holdReplace(s, ddl, *shard))
        return true;
    if (shard && shard->action == ShardDdlPlan::Action::Replace) stmt = shard->statement;
    const DdlBatch d = openDdlBatch(ddl, s, stmt);
    Batch& b = *d.batch;
    if (!d.alreadyCommitted && shard && shard->action == ShardDdlPlan::Action::Refuse && !skipListed)
        throw DdlRejectedError(shard->reason, b.end.text(), q.statement.substr(0, 300), shard->reason);
    // The shard's own definition changes first: a crash before the checkpoint re-reads the
    // statement, which then finds its change there (shard_shadows.h).
    if (!d.alreadyCommitted && shard) shadows_.applyDdl(target_, ddl, q.statement, shard->shard);
    if (!d.alreadyCommitted && skipListed) {
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

namespace {

bool issuedBy(const ShardIssue& issue, const ShardMember& member) {
    return issue.instance == member.instance && issue.shard == member.shard;
}
bool sameShard(const ShardIssue& a, const ShardIssue& b) { return a.instance == b.instance && a.shard == b.shard; }

// A shard as status names it: "db.table", and for a job of several sources "db.table@<suffix>"
// (the suffix of the reading source's instance key, api sourceKeySuffix).
std::string memberName(const std::string& instance, const consolidate::TableName& shard) {
    const auto at = instance.rfind('@');
    return consolidate::displayName(shard) + (at == std::string::npos ? "" : instance.substr(at));
}

}  // namespace

// A shard that joined after changes were applied is at the merged table's step.
uint64_t DdlRunner::stepOf(const consolidate::TableName& shard, const consolidate::TableName& merged) const {
    return std::max(tracker_.shardStep(shard), locks_->applied(db::qualified(merged.first, merged.second)));
}

bool DdlRunner::waitsForShards(const Ddl& ddl, const ShardDdlPlan& plan) const {
    if (!locks_) return false;
    if (plan.action != ShardDdlPlan::Action::RunOnce && plan.action != ShardDdlPlan::Action::Refuse) return false;
    return (ddl.kind == DdlKind::AlterTable && !ddl.hasRename) || ddl.kind == DdlKind::CreateIndex ||
        ddl.kind == DdlKind::DropIndex;
}

DdlRunner::StepState DdlRunner::readStep(db::Connection& c, const consolidate::TableName& merged, uint64_t step) const {
    StepState state;
    state.applied = locks_->lock(c, merged);
    state.issued = locks_->issuedAt(c, merged, step);
    state.members = locks_->members(c, merged);
    state.everySourceRegistered = locks_->everySourceRegistered(c);
    for (const auto& shard : tracker_.sourcesOf(merged)) {
        const ShardMember mine{instanceKey_, shard};
        if (std::find(state.members.begin(), state.members.end(), mine) == state.members.end())
            state.members.push_back(mine);
    }
    return state;
}

DdlRunner::StepState DdlRunner::peekStep(const consolidate::TableName& merged, uint64_t step) {
    target_.execute("START TRANSACTION");
    try {
        auto state = readStep(target_, merged, step);
        target_.execute("ROLLBACK");
        return state;
    } catch (...) {
        try {
            target_.execute("ROLLBACK");
        } catch (const db::DbError&) {}
        throw;
    }
}

void DdlRunner::checkSameChange(const std::vector<ShardIssue>& issued, const ShardIssue& issue,
                                const consolidate::TableName& merged, uint64_t step) const {
    auto said = [](const ShardIssue& i) {
        return "`" + consolidate::displayName(i.shard) + "` issued \"" + i.statement.substr(0, 300) + "\" (at " +
            i.position + ")";
    };
    for (const auto& other : issued) {
        if (sameShard(other, issue) || other.statement == issue.statement) continue;
        const std::string table = "`" + consolidate::displayName(merged) + "`";
        throw DdlRejectedError("replay: shards of " + table + " disagree on change " + std::to_string(step) + ": " +
                                   said(other) + ", " + said(issue) +
                                   ". spec.shardDdl.mode Pessimistic runs a change once every shard issued the same "
                                   "statement: to have " +
                                   table +
                                   " take the first one, list this position in spec.ddl.skip (the shard then counts "
                                   "as having issued it; its own definition keeps its statement)",
                               issue.position, issue.statement.substr(0, 300), "conflicting shard DDL");
    }
}

bool DdlRunner::completes(const StepState& state, const ShardIssue& issue) const {
    if (!state.everySourceRegistered) return false;  // a source not replaying yet may have shards here
    for (const auto& member : state.members) {
        if (issuedBy(issue, member)) continue;
        if (std::none_of(state.issued.begin(), state.issued.end(),
                         [&](const ShardIssue& i) { return issuedBy(i, member); }))
            return false;
    }
    return true;
}

DdlBatch DdlRunner::openDdlBatch(const Ddl& ddl, const SourceStatement& s, const std::string& statement) {
    DdlBatch d = batcher_.ddlBatch(s.at, s.end);
    Batch& b = *d.batch;
    b.ddlStatement = statement;
    b.ddlDatabase = s.query.schema;
    b.ddlHead = ddl.head;
    b.ddlTimeZone = s.query.timeZone;
    return d;
}

bool DdlRunner::coordinate(const Ddl& ddl, const SourceStatement& s, const std::string& statement,
                           const ShardDdlPlan& plan, bool skipListed) {
    const binlog::Query& q = s.query;
    const auto route = router_.route(plan.shard.first, plan.shard.second);
    const consolidate::TableName merged{route.database, route.table};
    const DdlBatch d = openDdlBatch(ddl, s, statement);
    Batch& b = *d.batch;
    if (!d.alreadyCommitted) {
        // The shard's own definition first: a crash before the checkpoint finds it there.
        shadows_.applyDdl(target_, ddl, q.statement, plan.shard);
        const uint64_t step = stepOf(plan.shard, merged) + 1;
        ShardIssue issue{plan.shard, instanceKey_, statement, b.end.text()};
        const auto state = peekStep(merged, step);
        locks_->setApplied(merged, state.applied);
        // Listed in spec.ddl.skip: counts as this shard's issue of the change the others issued.
        if (skipListed && !state.issued.empty()) issue.statement = state.issued.front().statement;
        checkSameChange(state.issued, issue, merged, step);
        if (completes(state, issue)) completeStep(b, s, merged, step, skipListed);
        else awaitShards(b, merged, step, issue);
        tracker_.setShardStep(plan.shard, step);
    }
    batcher_.ddlDone(s.end);
    refreshTracker(ddl, q.statement);
    reportShardDefinitions();
    return true;
}

// The last shard issued change `step`: it runs on the merged table (unless spec.ddl.skip lists
// it: the user ran it), then its held rows are applied with the DDL's checkpoint.
void DdlRunner::completeStep(const Batch& b, const SourceStatement& s, const consolidate::TableName& merged,
                             uint64_t step, bool skipListed) {
    uint64_t released = 0;
    // In parts of half a target transaction; the last marks the step applied with the checkpoint.
    const size_t part = std::max<size_t>(options_.limits.maxTxnBytes / 2, 1);
    int parts = 0;
    auto release = [&](db::Connection& c) {
        ++parts;
        locks_->lock(c, merged);
        if (!releaseHeldRows(c, locks_->jobKey(), merged, step, part, released)) return false;
        locks_->markApplied(c, merged, step);
        return true;
    };
    if (skipListed) {
        applier_.skipDdl(b, release);
    } else {
        progress_.ddlStarted(b.ddlHead + " at " + b.end.text(), s.time);
        struct Finished {
            Progress& p;
            ~Finished() { p.ddlFinished(); }
        } finished{progress_};
        // The change may have run before a crash without this checkpoint: "already there" is done.
        applier_.applyDdl(b, true, release);
    }
    locks_->setApplied(merged, step);
    sink_.note("replay: " + std::string(skipListed ? "not run (spec.ddl.skip): " : "applied: ") + b.ddlHead + " at " +
               b.end.text() + ", change " + std::to_string(step) + " of `" + consolidate::displayName(merged) +
               "`, which every shard issued; " + std::to_string(released) + " held row statements applied in " +
               std::to_string(parts) + " target transaction(s)");
}

// Not the last shard: its issue of change `step` is recorded with the DDL's checkpoint, and from
// then on its rows are held.
void DdlRunner::awaitShards(const Batch& b, const consolidate::TableName& merged, uint64_t step,
                            const ShardIssue& issue) {
    applier_.skipDdl(b, [&](db::Connection& c) {
        const auto now = readStep(c, merged, step);
        checkSameChange(now.issued, issue, merged, step);
        if (completes(now, issue))
            throw ReplayError("replay: the last other shard of `" + consolidate::displayName(merged) +
                                  "` issued change " + std::to_string(step) + " meanwhile; deciding again",
                              true);
        locks_->recordIssue(c, merged, step, issue);
        return true;
    });
    sink_.note("replay: waiting: " + b.ddlHead + " of `" + consolidate::displayName(issue.shard) + "` at " +
               b.end.text() + " is change " + std::to_string(step) + " of `" + consolidate::displayName(merged) +
               "`, run once every shard issued it; the shard's rows are held until then");
}

bool DdlRunner::holdReplace(const SourceStatement& s, const Ddl& ddl, const ShardDdlPlan& plan) {
    if (!locks_) return false;
    const auto route = router_.route(plan.shard.first, plan.shard.second);
    const consolidate::TableName merged{route.database, route.table};
    const uint64_t step = stepOf(plan.shard, merged);
    if (step <= locks_->applied(route.qualified())) return false;
    const DdlBatch d = batcher_.ddlBatch(s.at, s.end);
    Batch& b = *d.batch;
    b.ddlStatement = plan.statement;
    b.ddlHead = ddl.head;
    if (!d.alreadyCommitted)
        applier_.skipDdl(b, [&](db::Connection& c) {
            // Rows held before it must go first: held too, unless the step was applied meanwhile.
            if (locks_->lock(c, merged) >= step) c.execute(plan.statement);
            else
                c.execute(holdStatement(locks_->jobKey(), instanceKey_, merged, plan.shard, step,
                                        HeldOrder{b.seq, 0, 0, 0}, plan.statement));
            return true;
        });
    sink_.note("replay: " + ddl.head + " of `" + consolidate::displayName(plan.shard) + "` at " + s.end.text() +
               " deletes its rows of `" + consolidate::displayName(merged) + "` after its held rows");
    batcher_.ddlDone(s.end);
    return true;
}

// Each pending step of `merged`: its statement, the shards that issued it and those it waits for.
nlohmann::json DdlRunner::pendingSteps(const consolidate::TableName& merged,
                                       const std::vector<consolidate::TableName>& shards) {
    nlohmann::json out = nlohmann::json::array();
    auto members = locks_->members(target_, merged);
    for (const auto& shard : shards) {
        const ShardMember mine{instanceKey_, shard};
        if (std::find(members.begin(), members.end(), mine) == members.end()) members.push_back(mine);
    }
    for (const auto& step : locks_->pending(target_, merged)) {
        nlohmann::json issued = nlohmann::json::array(), waiting = nlohmann::json::array();
        for (const auto& i : step.issued) issued.push_back(memberName(i.instance, i.shard));
        for (const auto& member : members)
            if (std::none_of(step.issued.begin(), step.issued.end(),
                             [&](const ShardIssue& i) { return issuedBy(i, member); }))
                waiting.push_back(memberName(member.instance, member.shard));
        out.push_back({{"change", step.step},
                       {"statement", step.issued.empty() ? "" : step.issued[0].statement.substr(0, 300)},
                       {"issued", issued},
                       {"waiting", waiting}});
    }
    return out;
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
        nlohmann::json entry = {{"table", consolidate::displayName(merged)}};
        if (locks_) {
            const auto steps = pendingSteps(merged, shards);
            if (!steps.empty()) {
                entry["pending"] = steps;
                entry["heldRows"] = heldRowCount(target_, locks_->jobKey(), merged);
            }
        }
        if (byDefinition.size() < 2 && !entry.contains("pending")) continue;
        nlohmann::json definitions = nlohmann::json::array();
        for (auto& [columns, names] : byDefinition) definitions.push_back({{"columns", columns}, {"shards", names}});
        entry["definitions"] = definitions;
        list.push_back(entry);
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
        auto all = tracker_.sourcesOf({route.database, route.table});
        if (std::find(all.begin(), all.end(), consolidate::TableName{t.database, t.table}) == all.end())
            all.push_back({t.database, t.table});
        if (!consolidate::sharesTarget(router_, route, all.size())) continue;
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
