#include "runner/copy/schema_translate.h"

#include "runner/copy/full_copy.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace tidemark::copy {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The identifier in backticks starting at `pos` (doubled backticks inside); npos-safe.
std::string identAt(std::string_view s, std::size_t pos, std::size_t* end = nullptr) {
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

// Replaces every collation and charset word TiDB lacks; records what changed.
std::string translateWords(std::string text, std::vector<std::string>& warnings) {
    std::string out;
    std::size_t i = 0;
    std::set<std::string> noted;
    bool inQuote = false;
    char quote = 0;
    while (i < text.size()) {
        char ch = text[i];
        if (inQuote) {
            out += ch;
            if (ch == '\\' && i + 1 < text.size()) {
                out += text[++i];
            } else if (ch == quote) inQuote = false;
            ++i;
            continue;
        }
        if (ch == '\'' || ch == '"' || ch == '`') {
            inQuote = true;
            quote = ch;
            out += ch;
            ++i;
            continue;
        }
        if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') {
            std::size_t j = i;
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
            std::string word = text.substr(i, j - i);
            std::string lw = lower(word);
            std::string repl = word;
            if (lw == "utf8mb3") repl = "utf8";
            else if (lw.find('_') != std::string::npos &&
                     (startsWith(lw, "utf8") || startsWith(lw, "latin1") || startsWith(lw, "ascii") ||
                      startsWith(lw, "gbk") || startsWith(lw, "binary")) &&
                     (lw.size() > 3 &&
                      (lw.ends_with("_ci") || lw.ends_with("_bin") || lw.ends_with("_cs") ||
                       lw.find("_nopad_") != std::string::npos)))
                repl = tidbCollation(lw);
            else if (lw == "aria" || lw == "myisam") repl = "InnoDB";
            if (repl != word && noted.insert(lw).second)
                warnings.push_back("'" + word + "' is not available on TiDB; using '" + repl + "'");
            out += repl;
            i = j;
            continue;
        }
        out += ch;
        ++i;
    }
    return out;
}

std::string dropTableOptions(std::string line, std::vector<std::string>& warnings) {
    for (const char* opt : {"PAGE_CHECKSUM=", "TRANSACTIONAL=", "PAGE_COMPRESSED=", "PAGE_COMPRESSION_LEVEL="}) {
        auto p = line.find(opt);
        if (p == std::string::npos) continue;
        auto e = line.find(' ', p);
        std::string option = line.substr(p, e == std::string::npos ? std::string::npos : e - p);
        line.erase(p, e == std::string::npos ? std::string::npos : e - p + 1);
        warnings.push_back("table option " + option + " dropped for TiDB");
    }
    return line;
}

}  // namespace

std::string tidbCollation(const std::string& collation) {
    static const std::set<std::string> supported = {"utf8mb4_bin",
                                                    "utf8mb4_general_ci",
                                                    "utf8mb4_unicode_ci",
                                                    "utf8mb4_0900_ai_ci",
                                                    "utf8mb4_0900_bin",
                                                    "utf8_bin",
                                                    "utf8_general_ci",
                                                    "utf8_unicode_ci",
                                                    "latin1_bin",
                                                    "ascii_bin",
                                                    "binary",
                                                    "gbk_bin",
                                                    "gbk_chinese_ci"};
    std::string c = lower(collation);
    if (startsWith(c, "utf8mb3_")) c = "utf8_" + c.substr(8);
    if (supported.count(c)) return c;
    const std::string charset = c.substr(0, c.find('_'));
    const bool bin = c.ends_with("_bin") || c.ends_with("_cs");
    if (charset == "utf8mb4" || charset == "utf8") {
        if (bin) return charset + "_bin";
        if (c.find("unicode") != std::string::npos || c.find("uca") != std::string::npos)
            return charset + "_unicode_ci";
        return charset + "_general_ci";
    }
    if (charset == "gbk") return bin ? "gbk_bin" : "gbk_chinese_ci";
    if (charset == "latin1" || charset == "ascii") return charset + "_bin";
    return "utf8mb4_bin";
}

TranslatedTable translateCreateTable(std::string_view showCreate, const std::string& dbName, bool tidb,
                                     bool deferSecondary, const std::string& keepIndex) {
    TranslatedTable out;
    std::vector<std::string> lines;
    {
        std::string cur;
        for (char ch : showCreate) {
            if (ch == '\n') {
                lines.push_back(cur);
                cur.clear();
            } else cur += ch;
        }
        lines.push_back(cur);
    }
    if (lines.empty() || !startsWith(lines[0], "CREATE TABLE "))
        throw CopyError("unexpected SHOW CREATE TABLE output: " + std::string(showCreate.substr(0, 80)));
    std::size_t end = 0;
    const std::string name = identAt(lines[0], 13, &end);
    lines[0] = "CREATE TABLE " + db::qualified(dbName, name) + lines[0].substr(end);

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
            std::string idx = identAt(line, p);
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
        std::string line = kept[i];
        if (tidb) {
            if (startsWith(line, ")")) line = dropTableOptions(line, out.warnings);
            if (i > 0) line = translateWords(line, out.warnings);
        }
        sql += line;
        if (i + 1 < kept.size()) sql += '\n';
    }
    if (tidb) {
        for (auto& d : out.deferred) d.clause = translateWords(d.clause, out.warnings);
    }
    out.createSql = std::move(sql);
    return out;
}

std::string translateCreateDatabase(std::string_view showCreate, bool tidb, std::vector<std::string>& warnings) {
    std::string s(showCreate);
    if (startsWith(s, "CREATE DATABASE ") && !startsWith(s, "CREATE DATABASE IF NOT EXISTS "))
        s = "CREATE DATABASE IF NOT EXISTS " + s.substr(16);
    if (tidb) {
        // Only the part after the name: names stay as they are.
        std::size_t end = 0;
        identAt(s, s.find('`'), &end);
        s = s.substr(0, end) + translateWords(s.substr(end), warnings);
    }
    return s;
}

bool isTidb(db::Connection& target) {
    try {
        return target.scalar("SELECT tidb_version()").has_value();
    } catch (const db::DbError&) {
        return false;
    }
}

PreparedTable prepareTargetTable(db::Connection& source, db::Connection& target, const TableInfo& table, bool tidb,
                                 bool deferSecondary) {
    PreparedTable out;
    auto targetColumns = target.query(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + target.quote(table.db) +
        " AND TABLE_NAME = " + target.quote(table.name) + " ORDER BY ORDINAL_POSITION");
    if (!targetColumns.empty()) {
        std::vector<std::string> have, want;
        for (auto& r : targetColumns.rows) have.push_back(r[0].value_or(""));
        for (auto& c : table.columns) want.push_back(c.name);
        bool same = have.size() == want.size();
        for (std::size_t i = 0; same && i < have.size(); ++i) same = lower(have[i]) == lower(want[i]);
        if (!same) {
            auto join = [](const std::vector<std::string>& v) {
                std::string s;
                for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
                return s;
            };
            throw CopyError(target.options().endpoint() + ": table " + table.qualified() +
                            " exists with different columns (source: " + join(want) + "; target: " + join(have) +
                            "); drop it or give it the source's columns");
        }
        out.exists = true;
        return out;
    }
    auto dbRows = source.query("SHOW CREATE DATABASE " + db::quoteIdent(table.db));
    if (dbRows.empty() || dbRows.rows[0].size() < 2)
        throw CopyError(source.options().endpoint() + ": cannot read the definition of database " +
                        db::quoteIdent(table.db));
    out.createDatabase = translateCreateDatabase(dbRows.rows[0][1].value_or(""), tidb, out.warnings);
    auto tRows = source.query("SHOW CREATE TABLE " + table.qualified());
    if (tRows.empty() || tRows.rows[0].size() < 2)
        throw CopyError(source.options().endpoint() + ": cannot read the definition of " + table.qualified());
    auto translated =
        translateCreateTable(tRows.rows[0][1].value_or(""), table.db, tidb, deferSecondary, table.keyName);
    out.createTable = translated.createSql;
    out.deferred = std::move(translated.deferred);
    for (auto& w : translated.warnings) out.warnings.push_back(table.qualified() + ": " + w);
    return out;
}

}  // namespace tidemark::copy
