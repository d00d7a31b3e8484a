#include "runner/precheck/table_definitions.h"

#include "runner/db/dialect/collations.h"
#include "runner/db/dialect/flavor.h"
#include "runner/db/dialect/types.h"

#include <algorithm>
#include <map>
#include <set>

namespace tidemark::precheck {

namespace {

bool hasUsableKey(const TableDefinition& t) {
    for (const auto& [name, cols] : t.uniqueKeys) {
        if (name == "PRIMARY") return true;
        bool allNotNull = std::all_of(cols.begin(), cols.end(), [&](const std::string& col) {
            for (const auto& c : t.columns)
                if (c.name == col) return !c.nullable;
            return false;
        });
        if (allNotNull) return true;
    }
    return false;
}

// The selected tables that are not base tables: MariaDB's sequences and system-versioned tables.
// The copy lists base tables only, so these would silently stay behind.
std::pair<std::vector<std::string>, std::vector<std::string>> otherTables(Context& ctx) {
    std::vector<std::string> sequences, versioned;
    for (auto& r : ctx.source
                       ->query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
                               "TABLE_TYPE IN ('SEQUENCE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN (" +
                               databaseList(*ctx.source, ctx.tables) + ")")
                       .rows) {
        const std::string database = r[0].value_or(""), table = r[1].value_or("");
        if (!ctx.job.objects.selectsTable(database, table)) continue;
        const std::string label = TableRef{database, table}.label();
        (r[2].value_or("") == "SEQUENCE" ? sequences : versioned).push_back(label);
    }
    return {sequences, versioned};
}

// The selected tables whose engine keeps no MVCC snapshot, as "`db`.`t` (MyISAM)". The copy
// reads them after its snapshot is taken, so rows written meanwhile are both copied and replayed
// (or neither): the copy is not consistent with the position replay starts from.
std::vector<std::string> nonTransactionalTables(Context& ctx) {
    static const std::set<std::string> kTransactional = {"innodb", "rocksdb", "tokudb", "ndbcluster", "ndb"};
    std::set<std::pair<std::string, std::string>> selected;
    for (const auto& t : ctx.tables) selected.insert({t.database, t.table});
    std::vector<std::string> out;
    for (auto& r : ctx.source
                       ->query("SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE "
                               "TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (" +
                               databaseList(*ctx.source, ctx.tables) + ") ORDER BY TABLE_SCHEMA, TABLE_NAME")
                       .rows) {
        const std::string database = r[0].value_or(""), table = r[1].value_or(""), engine = r[2].value_or("");
        std::string lower = engine;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (engine.empty() || kTransactional.count(lower) || !selected.count({database, table})) continue;
        out.push_back(TableRef{database, table}.label() + " (" + engine + ")");
    }
    return out;
}

}  // namespace

void checkSchemas(Context& ctx) {
    if (ctx.tables.empty()) {
        ctx.add({"object_selection", State::Failed,
                 "the job's objects select no table on the source (system schemas mysql, information_schema, "
                 "performance_schema and sys are never migrated)",
                 "Check spec.objects: the databases and tables must exist on the source and be visible to the user."});
        return;
    }
    std::set<std::string> dbs;
    for (const auto& t : ctx.tables) dbs.insert(t.database);
    ctx.add({"object_selection", State::Pass,
             std::to_string(ctx.tables.size()) + " table(s) in " + std::to_string(dbs.size()) +
                 " database(s) selected (system schemas are never migrated)",
             ""});

    Definitions info;
    try {
        info = describe(*ctx.source, ctx.tables);
    } catch (const db::DbError& e) {
        ctx.add({"primary_keys", State::Warning, std::string("cannot read table definitions: ") + e.what(), ""});
        return;
    }

    // Charsets and collations against the one mapping the copy and replay use (db::dialect):
    // a collation TiDB lacks is mapped; a charset TiDB lacks refuses the table.
    std::vector<std::string> noKey, withFk, badCharset, badType;
    bool charsetMissing = false;
    const auto checkCollation = [&](const std::string& what, const std::string& charset, const std::string& collation) {
        using namespace db::dialect;
        if (tidbHasCharset(charset) && tidbHasCollation(collation)) return;
        badCharset.push_back(what + " (" + (collation.empty() ? charset : collation) + ")");
        if (!tidbHasCharset(charset) || !tidbHasCollation(tidbCollation(collation))) charsetMissing = true;
    };
    for (const auto& t : ctx.tables) {
        const auto& ti = info[{t.database, t.table}];
        if (!hasUsableKey(ti)) noKey.push_back(t.label());
        if (ti.hasForeignKey) withFk.push_back(t.label());
        checkCollation(t.label(), "", ti.collation);
        for (const auto& c : ti.columns) {
            checkCollation(t.label() + "." + c.name, c.charset, c.collation);
            if (db::dialect::tidbLacksType(c.dataType))
                badType.push_back(t.label() + "." + c.name + " (" + c.columnType + ")");
        }
    }
    // On a TiDB target a charset it lacks stops the copy: say so now. Other targets take them.
    bool targetIsTidb = false;
    if (ctx.target) {
        try {
            targetIsTidb = db::dialect::detectServer(*ctx.target).isTidb();
        } catch (const db::DbError&) {}
    }

    if (noKey.empty())
        ctx.add({"primary_keys", State::Pass, "every selected table has a primary key or a not-null unique key", ""});
    else
        ctx.add(
            {"primary_keys", State::Warning,
             "no primary key or not-null unique key: " + summarize(noKey) +
                 ". tidemark copies each such table as "
                 "one unit and commits replay checkpoints with the data, so restarts do not duplicate rows; but a "
                 "restart after an error replays in safe mode, which can duplicate rows in them, and chunked parallel "
                 "copy is not possible",
             "Add a primary key to these tables if you can, before the migration."});

    if (withFk.empty()) ctx.add({"foreign_keys", State::Pass, "no selected table has foreign keys", ""});
    else
        ctx.add({"foreign_keys", State::Warning,
                 "foreign keys in " + summarize(withFk) +
                     "; tidemark writes with foreign_key_checks=0 and parallel "
                     "workers, so the target relies on the source having kept them consistent",
                 "Include the referenced tables in the job so the target's foreign keys stay satisfied."});

    if (badCharset.empty()) ctx.add({"charsets", State::Pass, "every charset and collation has a TiDB equivalent", ""});
    else
        ctx.add({"charsets", charsetMissing && targetIsTidb ? State::Failed : State::Warning,
                 "charsets or collations TiDB lacks: " + summarize(badCharset) + "; " +
                     std::string(db::dialect::collationMappingRule()) + ", so sorting and comparison may differ",
                 "Convert these columns to utf8mb4 with a collation TiDB has (utf8mb4_bin, utf8mb4_general_ci, "
                 "utf8mb4_unicode_ci, utf8mb4_0900_ai_ci) if exact ordering matters; a charset TiDB lacks must be "
                 "converted, or its tables excluded in spec.objects.exclude."});

    if (badType.empty()) ctx.add({"column_types", State::Pass, "every column type exists in TiDB", ""});
    else
        ctx.add({"column_types", State::Failed,
                 "types TiDB lacks (spatial types; MariaDB's INET4, INET6, UUID): " + summarize(badType),
                 "Exclude these tables in spec.objects.exclude, or convert the columns (for example to VARBINARY or "
                 "VARCHAR) on the source."});

    try {
        const auto [sequences, versioned] = otherTables(ctx);
        std::string message;
        if (!versioned.empty())
            message =
                "system-versioned tables are not migrated (TiDB has none, and the copy takes base tables "
                "only): " +
                summarize(versioned);
        if (!sequences.empty())
            message += (message.empty() ? "" : "; ") +
                std::string("MariaDB sequences are not migrated (and a replicated change of one stops the replay): ") +
                summarize(sequences);
        if (!message.empty())
            ctx.add({"unsupported_tables", versioned.empty() ? State::Warning : State::Failed, message,
                     "Run ALTER TABLE ... DROP SYSTEM VERSIONING on the source, or exclude these tables in "
                     "spec.objects.exclude; create sequences on the target after the cutover, starting at the "
                     "source's next value."});
        else ctx.add({"unsupported_tables", State::Pass, "no selected sequence or system-versioned table", ""});
    } catch (const db::DbError& e) {
        ctx.add({"unsupported_tables", State::Warning,
                 std::string("cannot read the selected databases' table kinds: ") + e.what(), ""});
    }

    try {
        const auto plain = nonTransactionalTables(ctx);
        if (plain.empty())
            ctx.add({"non_transactional_tables", State::Pass, "every selected table has a transactional engine", ""});
        else
            ctx.add({"non_transactional_tables", State::Warning,
                     std::to_string(plain.size()) +
                         " selected table(s) with an engine that keeps no snapshot: " + summarize(plain) +
                         "; the copy reads them outside its consistent snapshot, so rows written to them during the "
                         "copy may be missing or duplicated on the target",
                     "Convert them on the source (ALTER TABLE ... ENGINE=InnoDB), or stop writes to them from the "
                     "start of the copy until it ends, or exclude them in spec.objects.exclude."});
    } catch (const db::DbError& e) {
        ctx.add({"non_transactional_tables", State::Warning,
                 std::string("cannot read the selected tables' engines: ") + e.what(), ""});
    }

    checkTargetTables(ctx, info);
}

}  // namespace tidemark::precheck
