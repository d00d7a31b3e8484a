#include "runner/copy/target_table.h"

#include "runner/copy/full_copy.h"
#include "runner/copy/schema_translate.h"

#include <algorithm>

namespace tidemark::copy {

namespace {

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::vector<std::string> splitLines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (;;) {
        const auto nl = text.find('\n', start);
        lines.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        if (nl == std::string_view::npos) return lines;
        start = nl + 1;
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The column a definition line declares ("  `id` int NOT NULL AUTO_INCREMENT"), or "".
std::string columnOf(const std::string& line) {
    if (!startsWith(line, "  `")) return "";
    return backQuotedAt(line, 2);
}

// The first column of an index line's column list ("  KEY `k` (`a`,`b`)"), or "".
std::string leadingIndexColumn(const std::string& line) {
    const auto open = line.find("(`");
    if (open == std::string::npos) return "";
    return backQuotedAt(line, open + 1);
}

bool isUniqueKey(const std::string& line) {
    return startsWith(line, "  PRIMARY KEY (") || startsWith(line, "  UNIQUE KEY ");
}

// `line` (a PRIMARY or UNIQUE key) with `columns` inserted first in its column list.
std::string withLeadingColumns(const std::string& line, const std::string& columns) {
    const auto open = line.find('(');
    return line.substr(0, open + 1) + columns + "," + line.substr(open + 1);
}

// An index name not among the table's: `base`, else base_1, base_2, ...
std::string freeIndexName(const std::vector<std::string>& lines, const std::string& base) {
    auto taken = [&](const std::string& name) {
        const std::string quoted = "KEY " + db::quoteIdent(name) + " (";
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(quoted) != std::string::npos; });
    };
    std::string name = base;
    for (int i = 1; taken(name); ++i) name = base + "_" + std::to_string(i);
    return name;
}

}  // namespace

std::string TargetTable::qualified() const { return db::qualified(db, name); }

std::string TargetTable::from() const { return consolidate::displayName(source); }

bool TargetTable::renamed() const { return source != consolidate::TableName{db, name}; }

std::string TargetTable::label() const { return renamed() ? from() + " -> " + qualified() : qualified(); }

std::string TargetTable::extrasCondition() const { return consolidate::extrasCondition(extras); }

TargetTable sameAsSource(const TableInfo& source) {
    return {source.db, source.name, {}, false, {source.db, source.name}};
}

TargetTable routedTarget(const TableInfo& source, const consolidate::Route& route, bool merged) {
    return {route.database, route.table, route.extras, merged, {source.db, source.name}};
}

std::string withExtraColumns(std::string_view createSql, const std::vector<consolidate::ExtraValue>& extras) {
    if (extras.empty()) return std::string(createSql);
    auto lines = splitLines(createSql);
    const auto close = std::find_if(lines.begin() + 1, lines.end(), [](auto& l) { return startsWith(l, ")"); });
    if (lines.size() < 3 || close == lines.end())
        throw CopyError("unexpected CREATE TABLE layout: " + std::string(createSql.substr(0, 80)));
    std::vector<std::string> body(lines.begin() + 1, close);
    for (auto& l : body)
        if (!l.empty() && l.back() == ',') l.pop_back();

    std::string extraList;
    std::vector<std::string> out;
    for (auto& e : extras) {
        extraList += (extraList.empty() ? "" : ",") + db::quoteIdent(e.column);
        out.push_back("  " + db::quoteIdent(e.column) + " " + std::string(kExtraColumnType));
    }
    std::vector<std::string> autoIncrement;
    for (auto& l : body) {
        if (isUniqueKey(l)) l = withLeadingColumns(l, extraList);
        if (l.find(" AUTO_INCREMENT") != std::string::npos && !columnOf(l).empty())
            autoIncrement.push_back(columnOf(l));
        out.push_back(l);
    }
    for (auto& column : autoIncrement) {
        const bool leads = std::any_of(body.begin(), body.end(), [&](const std::string& l) {
            return l.find("KEY ") != std::string::npos && lower(leadingIndexColumn(l)) == lower(column);
        });
        if (!leads)
            out.push_back("  KEY " + db::quoteIdent(freeIndexName(body, column)) + " (" + db::quoteIdent(column) + ")");
    }

    std::string sql = lines[0];
    for (std::size_t i = 0; i < out.size(); ++i) sql += "\n" + out[i] + (i + 1 < out.size() ? "," : "");
    for (auto it = close; it != lines.end(); ++it) sql += "\n" + *it;
    return sql;
}

std::string renamedCreate(std::string_view sql, const std::string& dbName, const std::string& table) {
    const auto open = sql.find('`');
    if (open == std::string_view::npos || !startsWith(sql, "CREATE "))
        throw CopyError("unexpected CREATE statement: " + std::string(sql.substr(0, 80)));
    std::size_t end = 0;
    backQuotedAt(sql, open, &end);
    const bool isTable = startsWith(sql, "CREATE TABLE ");
    if (isTable && end < sql.size() && sql[end] == '.') backQuotedAt(sql, end + 1, &end);
    const std::string name = isTable ? db::qualified(dbName, table) : db::quoteIdent(dbName);
    return std::string(sql.substr(0, open)) + name + std::string(sql.substr(end));
}

}  // namespace tidemark::copy
