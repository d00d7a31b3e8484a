// Row images for the filter unit tests: binlog::Values built by hand, and a table whose columns
// cover every family row filters compare (and the types they refuse).
#pragma once

#include <string>
#include <vector>

#include "runner/binlog/value.h"
#include "runner/filter/row_expression.h"

namespace tidemark::filter::testing {

using binlog::Value;

inline Value valueOf(Value::Kind kind) {
    Value v;
    v.kind = kind;
    return v;
}
inline Value nullValue() { return valueOf(Value::Kind::Null); }
inline Value missing() { return valueOf(Value::Kind::Missing); }
inline Value intValue(int64_t i) {
    Value v = valueOf(Value::Kind::Int);
    v.i = i;
    return v;
}
inline Value unsignedValue(uint64_t u, Value::Kind kind = Value::Kind::UInt) {
    Value v = valueOf(kind);
    v.u = u;
    return v;
}
inline Value decimalValue(std::string text) {
    Value v = valueOf(Value::Kind::Decimal);
    v.text = std::move(text);
    return v;
}
inline Value floatValue(float f) {
    Value v = valueOf(Value::Kind::Float);
    v.f = f;
    return v;
}
inline Value doubleValue(double d) {
    Value v = valueOf(Value::Kind::Double);
    v.d = d;
    return v;
}
inline Value bytesValue(std::string bytes, Value::Kind kind = Value::Kind::String) {
    Value v = valueOf(kind);
    v.setOwned(std::move(bytes));
    return v;
}
inline Value enumValue(uint64_t index, std::string label) {
    Value v = bytesValue(std::move(label), Value::Kind::Enum);
    v.u = index;
    return v;
}
inline Value temporalValue(Value::Kind kind, binlog::Temporal t) {
    Value v = valueOf(kind);
    v.t = t;
    return v;
}
inline Value timestampValue(int64_t seconds, uint32_t micro = 0) {
    Value v = valueOf(Value::Kind::Timestamp);
    v.i = seconds;
    v.t.micro = micro;
    return v;
}

// The test table: one column per family, then the refused types.
inline const std::vector<ColumnInfo>& testColumns() {
    static const std::vector<ColumnInfo> columns = {
        {"i", "int", ""},
        {"u", "bigint", ""},
        {"de", "decimal", ""},
        {"f", "float", ""},
        {"d", "double", ""},
        {"bt", "bit", ""},
        {"y", "year", ""},
        {"s", "varchar", "utf8mb4"},
        {"l1", "char", "latin1"},
        {"a", "varchar", "ascii"},
        {"vb", "varbinary", "binary"},
        {"e", "enum", "utf8mb4"},
        {"dt", "date", ""},
        {"dtm", "datetime", ""},
        {"ts", "timestamp", ""},
        {"tm", "time", ""},
        {"j", "json", ""},
        {"st", "set", "utf8mb4"},
        {"g", "geometry", ""},
        {"v", "vector", ""},
        {"Mixed Case", "INT", ""},
        {"i2", "int", ""},
        {"u16", "varchar", "utf16"},
    };
    return columns;
}

// A row of the test table with every value NULL, for a test to fill in.
inline std::vector<Value> nullRow() { return std::vector<Value>(testColumns().size(), nullValue()); }

inline size_t columnIndex(const std::string& name) {
    const auto& columns = testColumns();
    for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return i;
    throw std::runtime_error("no test column " + name);
}

inline BoundExpression bound(const std::string& text) { return bindToColumns(parse(text), testColumns()); }

// Whether `text` matches a row whose column `name` holds `v` (every other column NULL).
inline bool matchesWith(const std::string& text, const std::string& name, Value v) {
    auto row = nullRow();
    row[columnIndex(name)] = std::move(v);
    return matches(bound(text), row);
}

}  // namespace tidemark::filter::testing
