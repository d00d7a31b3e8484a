#include "runner/copy/schema_translate.h"

#include "runner/copy/full_copy.h"
#include "runner/copy/target_table.h"
#include "runner/db/dialect/ddl_translate.h"

#include <algorithm>

namespace tidemark::copy {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// SHOW CREATE TABLE text with the table's name qualified by `dbName`.
std::string qualifiedCreate(std::string_view showCreate, const std::string& dbName) {
    if (!startsWith(showCreate, "CREATE TABLE `"))
        throw CopyError("unexpected SHOW CREATE TABLE output: " + std::string(showCreate.substr(0, 80)));
    std::size_t end = 0;
    const std::string name = backQuotedAt(showCreate, 13, &end);
    return "CREATE TABLE " + db::qualified(dbName, name) + std::string(showCreate.substr(end));
}

// `sql` as the target takes it (one statement), its changes added to `warnings`; a statement the
// target cannot take throws CopyError with the dialect's reason.
std::string translate(const std::string& sql, const db::dialect::ServerInfo& target,
                      std::vector<std::string>& warnings) {
    auto t = db::dialect::translateDdl(sql, target);
    const std::string server = std::string(db::dialect::nameOf(target.flavor)) + " " + target.versionText;
    if (t.refused()) throw CopyError("cannot copy to the target (" + server + "): " + t.refusal);
    if (t.statements.size() != 1)
        throw CopyError("cannot copy to the target (" + server + "): " + sql.substr(0, 80) +
                        " does not translate to one statement");
    for (auto& c : t.changes) warnings.push_back(c);
    return t.statements[0];
}

}  // namespace

std::string backQuotedAt(std::string_view s, std::size_t pos, std::size_t* end) {
    std::string out;
    if (pos >= s.size() || s[pos] != '`') return out;
    std::size_t i = pos + 1;
    while (i < s.size()) {
        if (s[i] == '`') {
            if (i + 1 < s.size() && s[i + 1] == '`') {
                out += '`';
                i += 2;
                continue;
            }
            ++i;
            break;
        }
        out += s[i++];
    }
    if (end) *end = i;
    return out;
}

TranslatedTable translateCreateTable(std::string_view showCreate, const std::string& dbName,
                                     const db::dialect::ServerInfo& target, bool deferSecondary,
                                     const std::string& keepIndex) {
    TranslatedTable out;
    std::vector<std::string> lines;
    {
        std::string cur;
        for (char ch : translate(qualifiedCreate(showCreate, dbName), target, out.warnings)) {
            if (ch == '\n') {
                lines.push_back(cur);
                cur.clear();
            } else cur += ch;
        }
        lines.push_back(cur);
    }

    const bool hasForeignKeys = std::any_of(
        lines.begin(), lines.end(), [](const std::string& l) { return l.find(" FOREIGN KEY ") != std::string::npos; });
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string line = lines[i];
        std::string_view body(line);
        // Unique keys stay: REPLACE needs them to replace a row whose unique value moved to
        // another key range between two snapshots of a resumed copy.
        bool isKey = startsWith(body, "  KEY `");
        if (isKey && deferSecondary && !hasForeignKeys) {
            std::size_t p = line.find('`');
            std::string idx = backQuotedAt(line, p);
            if (idx != keepIndex) {
                std::string clause = line.substr(2);
                if (!clause.empty() && clause.back() == ',') clause.pop_back();
                out.deferred.push_back({idx, "ADD " + clause});
                continue;
            }
        }
        kept.push_back(std::move(line));
    }
    // The line before the closing ") ENGINE=..." must not end with a comma.
    for (std::size_t i = 1; i < kept.size(); ++i) {
        if (startsWith(kept[i], ")") && !kept[i - 1].empty() && kept[i - 1].back() == ',') kept[i - 1].pop_back();
    }
    std::string sql;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        sql += kept[i];
        if (i + 1 < kept.size()) sql += '\n';
    }
    out.createSql = std::move(sql);
    return out;
}

std::string translateCreateDatabase(std::string_view showCreate, const db::dialect::ServerInfo& target,
                                    std::vector<std::string>& warnings) {
    std::string s(showCreate);
    if (startsWith(s, "CREATE DATABASE ") && !startsWith(s, "CREATE DATABASE IF NOT EXISTS "))
        s = "CREATE DATABASE IF NOT EXISTS " + s.substr(16);
    return translate(s, target, warnings);
}

bool isTidb(db::Connection& target) { return db::dialect::detectServer(target).isTidb(); }

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

// An existing target table must hold the source's columns in the source's order, and the
// route's extra columns anywhere.
void checkExistingColumns(db::Connection& target, const TableInfo& table, const TargetTable& into,
                          const std::vector<std::string>& have) {
    std::vector<std::string> rest, want;
    for (auto& c : table.columns) want.push_back(c.name);
    for (auto& e : into.extras) {
        const bool present =
            std::any_of(have.begin(), have.end(), [&](auto& h) { return lower(h) == lower(e.column); });
        if (!present)
            throw CopyError(target.options().endpoint() + ": table " + into.qualified() +
                            " exists without the column " + db::quoteIdent(e.column) +
                            " its route (spec.routes) fills for " + into.from() + "; add it (" +
                            db::quoteIdent(e.column) + " " + std::string(kExtraColumnType) + ") or drop the table");
    }
    for (auto& h : have)
        if (std::none_of(into.extras.begin(), into.extras.end(), [&](auto& e) { return lower(h) == lower(e.column); }))
            rest.push_back(h);
    bool same = rest.size() == want.size();
    for (std::size_t i = 0; same && i < rest.size(); ++i) same = lower(rest[i]) == lower(want[i]);
    if (!same)
        throw CopyError(target.options().endpoint() + ": table " + into.qualified() +
                        " exists with different columns (source" +
                        (into.renamed() ? " " + into.from() : std::string()) + ": " + joined(want) +
                        "; target: " + joined(have) + "); drop it or give it the source's columns");
}

}  // namespace

PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table, bool tidb,
                                 bool deferSecondary) {
    return prepareTargetTable(source, target, table, sameAsSource(table), tidb, deferSecondary);
}

PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table,
                                 const TargetTable& into, bool /*tidb: detected here with the version*/,
                                 bool deferSecondary) {
    PreparedTable out;
    auto targetColumns = target.query(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + target.quote(into.db) +
        " AND TABLE_NAME = " + target.quote(into.name) + " ORDER BY ORDINAL_POSITION");
    if (!targetColumns.empty()) {
        std::vector<std::string> have;
        for (auto& r : targetColumns.rows) have.push_back(r[0].value_or(""));
        checkExistingColumns(target, table, into, have);
        out.exists = true;
        return out;
    }
    auto dbRows = source.query("SHOW CREATE DATABASE " + db::quoteIdent(table.db));
    if (dbRows.empty() || dbRows.rows[0].size() < 2)
        throw CopyError(source.options().endpoint() + ": cannot read the definition of database " +
                        db::quoteIdent(table.db));
    const auto server = db::dialect::detectServer(target);
    out.createDatabase = renamedCreate(translateCreateDatabase(dbRows.rows[0][1].value_or(""), server, out.warnings),
                                       into.db, into.name);
    auto tRows = source.query("SHOW CREATE TABLE " + table.qualified());
    if (tRows.empty() || tRows.rows[0].size() < 2)
        throw CopyError(source.options().endpoint() + ": cannot read the definition of " + table.qualified());
    auto translated =
        translateCreateTable(tRows.rows[0][1].value_or(""), table.db, server, deferSecondary, table.keyName);
    out.createTable = withExtraColumns(renamedCreate(translated.createSql, into.db, into.name), into.extras);
    out.deferred = std::move(translated.deferred);
    for (auto& w : translated.warnings) out.warnings.push_back(into.label() + ": " + w);
    return out;
}

}  // namespace tidemark::copy
