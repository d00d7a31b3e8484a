#include "runner/replay/shard_ddl.h"

#include "runner/db/connection.h"
#include "runner/db/dialect/sql_tokens.h"

namespace tidemark::replay {

namespace {

using db::dialect::Token;

std::string groupText(const std::vector<consolidate::TableName>& group) {
    std::string out;
    for (const auto& t : group) out += (out.empty() ? "" : ", ") + consolidate::displayName(t);
    return out;
}

}  // namespace

bool alterOnlyAdds(std::string_view statement) {
    const auto toks = db::dialect::tokenize(statement);
    // Past "ALTER [ONLINE] [IGNORE] TABLE name": the first clause starts after the name.
    size_t i = 0;
    while (i < toks.size() && !toks[i].is("TABLE")) ++i;
    if (i >= toks.size()) return false;
    ++i;                                                       // TABLE
    if (i < toks.size()) ++i;                                  // name or db
    if (i + 1 < toks.size() && toks[i].isSymbol('.')) i += 2;  // .name
    if (i < toks.size() && toks[i].is("WAIT")) i += 2;         // MariaDB's WAIT n
    if (i < toks.size() && toks[i].is("NOWAIT")) ++i;
    bool clauseStart = true, any = false;
    int depth = 0;
    for (; i < toks.size(); ++i) {
        const Token& t = toks[i];
        if (t.isSymbol('(')) ++depth;
        if (t.isSymbol(')')) --depth;
        if (depth == 0 && t.isSymbol(',')) {
            clauseStart = true;
            continue;
        }
        if (!clauseStart) continue;
        clauseStart = false;
        any = true;
        if (t.is("ALGORITHM") || t.is("LOCK")) continue;
        if (!t.is("ADD")) return false;
        if (i + 1 < toks.size() && (toks[i + 1].is("PARTITION") || toks[i + 1].is("PERIOD"))) return false;
    }
    return any;
}

namespace {

ShardDdlPlan planFor(const Ddl& ddl, std::string_view sourceStatement, const TableName& shard,
                     const consolidate::Route& route, const std::vector<consolidate::TableName>& group,
                     const std::string& position) {
    const std::string shardName = shard.database + "." + shard.table;
    const std::string merged = route.database + "." + route.table;
    const std::string context = "`" + shardName + "` is merged into `" + merged + "` with " +
        std::to_string(group.size() - 1) + " other table(s) (" + groupText(group) + ")";
    switch (ddl.kind) {
        case DdlKind::CreateTable:
            return {
                ShardDdlPlan::Action::Skip, "", "CREATE TABLE of " + context + ": the merged table takes its rows", {}};
        case DdlKind::CreateIndex: return {ShardDdlPlan::Action::RunOnce, "", "", {}};
        case DdlKind::AlterTable:
            if (!ddl.hasRename && alterOnlyAdds(sourceStatement)) return {ShardDdlPlan::Action::RunOnce, "", "", {}};
            break;
        case DdlKind::DropTable:
            return {ShardDdlPlan::Action::Skip, "", "DROP TABLE of " + context + ": the merged table is kept", {}};
        case DdlKind::TruncateTable: {
            if (route.extras.empty()) break;
            return {ShardDdlPlan::Action::Replace,
                    "DELETE FROM " + route.qualified() + " WHERE " + consolidate::extrasCondition(route.extras),
                    "",
                    {}};
        }
        default: break;
    }
    return {ShardDdlPlan::Action::Refuse,
            "",
            "replay: " + ddl.head + " at " + position + " changes one shard: " + context +
                "; the other shards' rows still have the old definition, so it is not run automatically (only "
                "ADD COLUMN/INDEX and CREATE INDEX are). Run the change on `" +
                merged + "` yourself once, then list this position (and each other shard's) in spec.ddl.skip",
            {}};
}

}  // namespace

ShardDdlPlan planShardDdl(const Ddl& ddl, std::string_view sourceStatement, const TableName& shard,
                          const consolidate::Route& route, const std::vector<consolidate::TableName>& group,
                          const std::string& position) {
    auto plan = planFor(ddl, sourceStatement, shard, route, group, position);
    plan.shard = {shard.database, shard.table};
    return plan;
}

}  // namespace tidemark::replay
