#include "runner/replay/ddl_runner.h"

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

DdlRunner::DdlRunner(const api::ObjectSelection& objects, const ReplayOptions& options, status::StatusSink& sink,
                     Progress& progress, SchemaTracker& tracker, db::Connection& target, Applier& applier,
                     Batcher& batcher)
    : objects_(objects),
      options_(options),
      sink_(sink),
      progress_(progress),
      tracker_(tracker),
      target_(target),
      applier_(applier),
      batcher_(batcher) {}

bool DdlRunner::ddl(const SourceStatement& s) {
    const binlog::Query& q = s.query;
    const Ddl ddl = parseDdl(q.statement, q.schema, objects_.names);
    const std::string stmt = targetStatement(ddl, q.statement, objects_);
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
    const DdlBatch d = batcher_.ddlBatch(s.at, s.end);
    Batch& b = *d.batch;
    b.ddlStatement = stmt;
    b.ddlDatabase = q.schema;
    b.ddlHead = ddl.head;
    b.ddlTimeZone = q.timeZone;
    if (!d.alreadyCommitted && options_.skipDdl.count(b.end.text())) {
        skipByRequest(b, ddl.head);
    } else if (!d.alreadyCommitted) {
        progress_.ddlStarted(ddl.head + " at " + b.end.text(), s.time);
        struct Finished {
            Progress& p;
            ~Finished() { p.ddlFinished(); }
        } finished{progress_};
        const bool applied = applier_.applyDdl(b, d.maybeApplied);
        sink_.note("replay: " + std::string(applied ? "applied " : "already applied: ") + ddl.head + " at " +
                   s.position.text());
    }
    batcher_.ddlDone(s.end);
    refreshTracker(ddl, q.statement);
    return true;
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
