#include "runner/db/table_schema.h"

#include <algorithm>
#include <regex>

namespace tidemark::db {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool isInteger(std::string_view dataType) {
    return dataType == "tinyint" || dataType == "smallint" || dataType == "mediumint" || dataType == "int" ||
        dataType == "integer" || dataType == "bigint";
}

}  // namespace

bool isGeneratedExtra(std::string_view extra) {
    const auto e = lower(extra);
    if (e.find("default_generated") != std::string::npos) {
        // "DEFAULT_GENERATED" may stand beside other words ("DEFAULT_GENERATED on update ..."),
        // never beside a generation kind.
        return e.find("virtual") != std::string::npos || e.find("stored") != std::string::npos;
    }
    return e.find("generated") != std::string::npos || e.find("virtual") != std::string::npos ||
        e.find("persistent") != std::string::npos || e.find("stored") != std::string::npos;
}

std::vector<ColumnDef> readColumns(Connection& server, const std::string& where) {
    auto rows = server.query(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, "
        "c.COLLATION_NAME, c.IS_NULLABLE, c.EXTRA FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
        "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE' WHERE " +
        where + " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION");
    std::vector<ColumnDef> out;
    out.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ColumnDef c;
        c.database = rows.text(i, "TABLE_SCHEMA");
        c.table = rows.text(i, "TABLE_NAME");
        c.name = rows.text(i, "COLUMN_NAME");
        c.dataType = lower(rows.text(i, "DATA_TYPE"));
        c.columnType = rows.text(i, "COLUMN_TYPE");
        c.charset = rows.text(i, "CHARACTER_SET_NAME");
        c.collation = rows.text(i, "COLLATION_NAME");
        c.nullable = rows.text(i, "IS_NULLABLE") == "YES";
        const auto extra = rows.text(i, "EXTRA");
        c.generated = isGeneratedExtra(extra);
        c.invisible = lower(extra).find("invisible") != std::string::npos;
        out.push_back(std::move(c));
    }
    return out;
}

std::string normalizedColumnType(std::string_view dataType, std::string_view columnType) {
    auto t = lower(columnType);
    const auto d = lower(dataType);
    if (isInteger(d) && t.find("zerofill") == std::string::npos) {
        static const std::regex width(R"(^(\w+)\(\d+\))");
        t = std::regex_replace(t, width, "$1", std::regex_constants::format_first_only);
    }
    if (d == "year") t = "year";
    return t;
}

}  // namespace tidemark::db
