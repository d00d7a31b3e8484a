#include "runner/copy/inspect.h"

#include "runner/copy/full_copy.h"
#include "runner/db/dialect/collations.h"
#include "runner/db/table_schema.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace tidemark::copy {

namespace {

ValueKind kindOf(const std::string& dataType) {
    static const std::map<std::string, ValueKind> kinds = {
        {"tinyint", ValueKind::Number},
        {"smallint", ValueKind::Number},
        {"mediumint", ValueKind::Number},
        {"int", ValueKind::Number},
        {"bigint", ValueKind::Number},
        {"decimal", ValueKind::Number},
        {"float", ValueKind::Number},
        {"double", ValueKind::Number},
        {"bit", ValueKind::Bit},
        {"enum", ValueKind::EnumSet},
        {"set", ValueKind::EnumSet},
        {"date", ValueKind::Temporal},
        {"time", ValueKind::Temporal},
        {"datetime", ValueKind::Temporal},
        {"timestamp", ValueKind::Temporal},
        {"year", ValueKind::Temporal},
        {"binary", ValueKind::Binary},
        {"varbinary", ValueKind::Binary},
        {"tinyblob", ValueKind::Binary},
        {"blob", ValueKind::Binary},
        {"mediumblob", ValueKind::Binary},
        {"longblob", ValueKind::Binary},
        {"geometry", ValueKind::Binary},
        {"point", ValueKind::Binary},
        {"linestring", ValueKind::Binary},
        {"polygon", ValueKind::Binary},
        {"multipoint", ValueKind::Binary},
        {"multilinestring", ValueKind::Binary},
        {"multipolygon", ValueKind::Binary},
        {"geometrycollection", ValueKind::Binary},
        {"vector", ValueKind::Binary},
        {"json", ValueKind::Json},
        {"inet4", ValueKind::TextForm},
        {"inet6", ValueKind::TextForm},
        {"uuid", ValueKind::TextForm},
    };
    auto it = kinds.find(dataType);
    return it == kinds.end() ? ValueKind::Text : it->second;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::uint64_t number(const std::string& s) {
    try {
        return s.empty() ? 0 : std::stoull(s);
    } catch (...) {
        return 0;
    }
}

}  // namespace

std::string TableInfo::qualified() const { return db::qualified(db, name); }

std::vector<std::size_t> TableInfo::written() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (!columns[i].generated) out.push_back(i);
    return out;
}

TableInfo inspectTable(db::Connection& c, const std::string& dbName, const std::string& table) {
    TableInfo t;
    t.db = dbName;
    t.name = table;
    const std::string where = " WHERE TABLE_SCHEMA = " + c.quote(dbName) + " AND TABLE_NAME = " + c.quote(table);
    auto sizes = c.query("SELECT TABLE_ROWS, DATA_LENGTH, AVG_ROW_LENGTH FROM information_schema.TABLES" + where);
    if (sizes.empty())
        throw CopyError(c.options().endpoint() + ": table " + db::qualified(dbName, table) + " does not exist");
    t.estimatedRows = number(sizes.text(0, "TABLE_ROWS"));
    t.estimatedBytes = number(sizes.text(0, "DATA_LENGTH"));
    t.avgRowLength = number(sizes.text(0, "AVG_ROW_LENGTH"));

    for (auto& def :
         db::readColumns(c, "c.TABLE_SCHEMA = " + c.quote(dbName) + " AND c.TABLE_NAME = " + c.quote(table))) {
        Column col;
        col.name = std::move(def.name);
        col.dataType = std::move(def.dataType);
        col.columnType = std::move(def.columnType);
        col.charset = std::move(def.charset);
        col.collation = std::move(def.collation);
        col.nullable = def.nullable;
        col.generated = def.generated;
        col.kind = kindOf(col.dataType);
        if (col.kind == ValueKind::Text && col.charset == "binary") col.kind = ValueKind::Binary;
        t.columns.push_back(std::move(col));
    }

    // The chunk key: PRIMARY, else the NOT NULL unique key with the fewest columns (no prefixes).
    auto idx = c.query(
        "SELECT INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX, SUB_PART, NON_UNIQUE FROM "
        "information_schema.STATISTICS" +
        where + " ORDER BY INDEX_NAME, SEQ_IN_INDEX");
    std::map<std::string, std::vector<std::string>> uniques;
    std::map<std::string, bool> usable;
    for (std::size_t i = 0; i < idx.size(); ++i) {
        if (idx.text(i, "NON_UNIQUE") != "0") continue;
        const auto name = idx.text(i, "INDEX_NAME");
        uniques[name].push_back(idx.text(i, "COLUMN_NAME"));
        bool ok = usable.count(name) ? usable[name] : true;
        if (!idx.text(i, "SUB_PART").empty()) ok = false;
        usable[name] = ok;
    }
    auto columnIndex = [&](const std::string& name) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < t.columns.size(); ++i)
            if (lower(t.columns[i].name) == lower(name)) return i;
        return std::nullopt;
    };
    std::string best;
    for (auto& [name, columns] : uniques) {
        if (!usable[name]) continue;
        bool ok = true;
        for (auto& cn : columns) {
            auto ci = columnIndex(cn);
            if (!ci || t.columns[*ci].nullable || t.columns[*ci].generated) ok = false;
        }
        if (!ok) continue;
        if (name == "PRIMARY") {
            best = name;
            break;
        }
        if (best.empty() || columns.size() < uniques[best].size()) best = name;
    }
    if (!best.empty()) {
        t.keyName = best;
        for (auto& cn : uniques[best]) t.key.push_back(*columnIndex(cn));
    }
    return t;
}

std::string writeExpression(const Column& c, std::string_view value) {
    if (c.kind == ValueKind::Json) return "CONVERT(" + std::string(value) + " USING utf8mb4)";
    if (c.kind == ValueKind::TextForm) return "CONVERT(" + std::string(value) + " USING ascii)";
    return std::string(value);
}

bool convertedOnWrite(const Column& c) { return c.kind == ValueKind::Json || c.kind == ValueKind::TextForm; }

std::string readExpression(const Column& c) {
    if (c.kind == ValueKind::Bit) return "(" + db::quoteIdent(c.name) + " + 0)";
    // FLOAT prints with 6 digits; as a DOUBLE (exact) it prints with all the digits it needs.
    // Multiplied, not added: -0 + 0 is +0 on MySQL, -0 * 1 keeps the sign.
    if (c.dataType == "float") return "(" + db::quoteIdent(c.name) + " * 1e0)";
    return db::quoteIdent(c.name);
}

std::string keyExpression(const Column& c) {
    if (c.kind == ValueKind::Bit || c.kind == ValueKind::EnumSet) return "(" + db::quoteIdent(c.name) + " + 0)";
    return db::quoteIdent(c.name);
}

namespace {

// One spelling for the names servers give one charset (utf8mb3 is utf8 on some): the dialect's.
std::string charsetKey(std::string_view charset) { return db::dialect::tidbCharset(charset); }

bool isDigits(std::string_view v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

// An integer, decimal or floating-point number as the server prints one.
bool isNumber(std::string_view v) {
    std::size_t i = 0;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    const std::size_t digits = i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    bool any = i > digits;
    if (i < v.size() && v[i] == '.') {
        const std::size_t frac = ++i;
        while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
        any = any || i > frac;
    }
    if (!any) return false;
    if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
        ++i;
        if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
        const std::size_t exp = i;
        while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
        if (i == exp) return false;
    }
    return i == v.size();
}

}  // namespace

std::string keyLiteral(const Column& c, std::string_view value) { return keyLiteral(c, value, c.charset, c.collation); }

std::string keyLiteral(const Column& c, std::string_view value, std::string_view charset, std::string_view collation) {
    switch (c.kind) {
        case ValueKind::Number:
            if (!isNumber(value)) throw std::invalid_argument("not a number: " + db::hexLiteral(value));
            return std::string(value);
        case ValueKind::Bit:
        case ValueKind::EnumSet:  // by ordinal, as keyExpression reads it
            if (value.empty()) return "0";
            if (!isDigits(value)) throw std::invalid_argument("not an unsigned integer: " + db::hexLiteral(value));
            return std::string(value);
        case ValueKind::Binary:
        case ValueKind::Json: return db::hexLiteral(value);
        case ValueKind::Temporal: return "CAST(" + db::hexLiteral(value) + " AS CHAR CHARACTER SET latin1)";
        case ValueKind::TextForm: return "CAST(" + db::hexLiteral(value) + " AS CHAR CHARACTER SET ascii)";
        case ValueKind::Text: {
            if (c.charset.empty()) return db::hexLiteral(value);
            const std::string collate = collation.empty() ? std::string() : " COLLATE " + std::string(collation);
            // The bytes are in the source's charset: introduced as such (under the server's
            // spelling of the same charset), or converted to the server's.
            if (charset.empty() || charsetKey(charset) == charsetKey(c.charset))
                return "_" + std::string(charset.empty() ? c.charset : charset) + " " + db::hexLiteral(value) + collate;
            return "CONVERT(_" + c.charset + " " + db::hexLiteral(value) + " USING " + std::string(charset) + ")" +
                collate;
        }
    }
    return db::hexLiteral(value);
}

}  // namespace tidemark::copy
