#include "runner/precheck/checks.h"

#include "runner/db/table_schema.h"

#include <algorithm>
#include <map>
#include <set>

namespace tidemark::precheck {

namespace {

struct Column {
    std::string name, dataType, columnType, charset, collation;
    bool nullable = true;
    bool generated = false;
};

struct TableInfo {
    std::vector<Column> columns;
    std::map<std::string, std::vector<std::string>> uniqueKeys;  // index name → columns
    bool hasForeignKey = false;
    std::string collation;
};

std::string inList(db::Connection& c, const std::set<std::string>& values) {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "" : ", ") + c.quote(v);
    return out.empty() ? "''" : out;
}

// Reads columns, unique keys and foreign keys of every selected table in a few queries.
std::map<std::pair<std::string, std::string>, TableInfo> describe(db::Connection& c,
                                                                  const std::vector<TableRef>& tables) {
    std::map<std::pair<std::string, std::string>, TableInfo> out;
    std::set<std::string> dbs;
    for (const auto& t : tables) {
        dbs.insert(t.database);
        out[{t.database, t.table}];
    }
    const auto where = "TABLE_SCHEMA IN (" + inList(c, dbs) + ")";
    for (auto& def : db::readColumns(c, "c." + where)) {
        auto it = out.find({def.database, def.table});
        if (it == out.end()) continue;
        it->second.columns.push_back(
            {def.name, def.dataType, def.columnType, def.charset, def.collation, def.nullable, def.generated});
    }
    for (auto& r :
         c.query("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                 "WHERE NON_UNIQUE = 0 AND " +
                 where + " ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")
             .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.uniqueKeys[r[2].value_or("")].push_back(r[3].value_or(""));
    }
    for (auto& r : c.query("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE "
                           "WHERE REFERENCED_TABLE_NAME IS NOT NULL AND " +
                           where)
                       .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.hasForeignKey = true;
    }
    for (auto& r :
         c.query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE " + where)
             .rows) {
        auto it = out.find({r[0].value_or(""), r[1].value_or("")});
        if (it != out.end()) it->second.collation = r[2].value_or("");
    }
    return out;
}

bool hasUsableKey(const TableInfo& t) {
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

// Character sets and collations TiDB implements (with its new collation framework).
bool tidbHasCharset(const std::string& cs) {
    static const std::set<std::string> kCharsets = {"",      "utf8",   "utf8mb3", "utf8mb4",
                                                    "ascii", "latin1", "binary",  "gbk"};
    return kCharsets.count(cs) > 0;
}
bool tidbHasCollation(std::string co) {
    if (co.rfind("utf8mb3_", 0) == 0) co = "utf8_" + co.substr(8);
    static const std::set<std::string> kCollations = {"",
                                                      "utf8mb4_bin",
                                                      "utf8mb4_general_ci",
                                                      "utf8mb4_unicode_ci",
                                                      "utf8mb4_0900_ai_ci",
                                                      "utf8mb4_0900_bin",
                                                      "utf8_bin",
                                                      "utf8_general_ci",
                                                      "utf8_unicode_ci",
                                                      "ascii_bin",
                                                      "latin1_bin",
                                                      "binary",
                                                      "gbk_bin",
                                                      "gbk_chinese_ci"};
    return kCollations.count(co) > 0;
}

bool tidbLacksType(const std::string& dataType) {
    static const std::set<std::string> kMissing = {
        "geometry",           "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
        "geometrycollection", "inet4", "inet6",      "uuid"};
    return kMissing.count(dataType) > 0;
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

    std::map<std::pair<std::string, std::string>, TableInfo> info;
    try {
        info = describe(*ctx.source, ctx.tables);
    } catch (const db::DbError& e) {
        ctx.add({"primary_keys", State::Warning, std::string("cannot read table definitions: ") + e.what(), ""});
        return;
    }

    std::vector<std::string> noKey, withFk, badCharset, badType;
    for (const auto& t : ctx.tables) {
        const auto& ti = info[{t.database, t.table}];
        if (!hasUsableKey(ti)) noKey.push_back(t.label());
        if (ti.hasForeignKey) withFk.push_back(t.label());
        if (!tidbHasCollation(ti.collation)) badCharset.push_back(t.label() + " (" + ti.collation + ")");
        for (const auto& c : ti.columns) {
            if (!tidbHasCharset(c.charset) || !tidbHasCollation(c.collation))
                badCharset.push_back(t.label() + "." + c.name + " (" + c.collation + ")");
            if (tidbLacksType(c.dataType)) badType.push_back(t.label() + "." + c.name + " (" + c.columnType + ")");
        }
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
        ctx.add({"charsets", State::Warning,
                 "charsets or collations TiDB lacks: " + summarize(badCharset) +
                     "; on a TiDB target they are mapped to "
                     "utf8mb4_bin / the charset's _bin collation, so sorting and comparison may differ",
                 "Convert these columns to utf8mb4 with a supported collation (utf8mb4_general_ci, utf8mb4_unicode_ci, "
                 "utf8mb4_bin) if exact ordering matters."});

    if (badType.empty()) ctx.add({"column_types", State::Pass, "every column type exists in TiDB", ""});
    else
        ctx.add({"column_types", State::Failed, "types TiDB lacks (spatial, INET, UUID): " + summarize(badType),
                 "Exclude these tables in spec.objects.exclude, or convert the columns (for example to VARBINARY or "
                 "VARCHAR) on the source."});

    if (!ctx.target) return;
    // Existing target tables must have the same columns (they are reused); physical mode also
    // needs them empty.
    std::vector<std::string> differ, nonEmpty;
    std::map<std::pair<std::string, std::string>, TableInfo> targetInfo;
    try {
        targetInfo = describe(*ctx.target, ctx.tables);
    } catch (const db::DbError& e) {
        ctx.add(
            {"target_tables", State::Warning, std::string("cannot read target table definitions: ") + e.what(), ""});
        return;
    }
    for (const auto& t : ctx.tables) {
        const auto& target = targetInfo[{t.database, t.table}];
        if (target.columns.empty()) continue;  // absent: it will be created
        const auto& source = info[{t.database, t.table}];
        std::vector<std::string> a, b;
        // Types compare normalized: MySQL 8.0.19+ and TiDB spell int(11) as int, and so on.
        for (const auto& c : source.columns)
            a.push_back(c.name + " " + db::normalizedColumnType(c.dataType, c.columnType));
        for (const auto& c : target.columns)
            b.push_back(c.name + " " + db::normalizedColumnType(c.dataType, c.columnType));
        if (a != b) {
            // Name the first difference, so the user sees what to change.
            std::size_t i = 0;
            while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
            const auto side = [&](const std::vector<std::string>& v) {
                return i < v.size() ? v[i] : std::string("nothing");
            };
            differ.push_back(t.label() + " (source " + side(a) + ", target " + side(b) + ")");
        }
        if (ctx.job.fullMode == api::FullMode::Physical) {
            try {
                if (!ctx.target->query("SELECT 1 FROM " + db::qualified(t.database, t.table) + " LIMIT 1").empty())
                    nonEmpty.push_back(t.label());
            } catch (const db::DbError&) {}
        }
    }
    if (differ.empty())
        ctx.add({"target_tables", State::Pass, "existing target tables (if any) have the source's columns", ""});
    else
        ctx.add({"target_tables", State::Failed,
                 "target tables " + summarize(differ) + " exist with columns that differ from the source's",
                 "Drop or rename these tables on the target so tidemark creates them, or make their columns match the "
                 "source's."});
    if (ctx.job.fullMode == api::FullMode::Physical) {
        if (nonEmpty.empty())
            ctx.add({"physical_target_empty", State::Pass,
                     "every existing target table is empty, as physical mode needs", ""});
        else
            ctx.add({"physical_target_empty", State::Failed,
                     "physical mode needs empty target tables, but " + summarize(nonEmpty) + " hold rows",
                     "Empty these target tables (TRUNCATE) or use fullMode: Logical, which replaces duplicate rows."});
    }
}

}  // namespace tidemark::precheck
