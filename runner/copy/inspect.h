// What the copy needs to know about a source table: its columns (and how each value travels),
// the key it is chunked on, and its size estimates.
#pragma once

#include "runner/db/connection.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tidemark::copy {

// How a column's value is read and written. Values are read as text on a `SET NAMES binary`
// session, so strings arrive as their stored bytes.
enum class ValueKind {
    Number,    // integers, DECIMAL, FLOAT, DOUBLE: the text is a valid SQL literal
    Bit,       // BIT: read as `col + 0` (an unsigned integer)
    EnumSet,   // ENUM/SET: written by value, compared by ordinal in key ranges
    Text,      // character strings (CHAR, VARCHAR, TEXT, ...): bytes in `charset`
    Json,      // MySQL/TiDB JSON: utf8mb4 text, written as such (a binary string is refused, 3144)
    TextForm,  // MariaDB INET4, INET6, UUID: their text form, written as ASCII characters (a binary
               // string is taken as the value's binary form, and text in it is refused)
    Binary,    // BINARY, VARBINARY, BLOB, GEOMETRY, VECTOR
    Temporal,  // DATE, TIME, DATETIME, TIMESTAMP, YEAR
};

struct Column {
    std::string name;
    std::string dataType;    // lower case: int, varchar, ...
    std::string columnType;  // full: int(10) unsigned
    std::string charset;     // for Text
    std::string collation;   // for Text
    ValueKind kind = ValueKind::Text;
    bool generated = false;  // virtual/stored generated: never written
    bool nullable = true;
};

struct TableInfo {
    std::string db;
    std::string name;
    std::vector<Column> columns;   // in ordinal order, generated ones included
    std::vector<std::size_t> key;  // chunk key: PRIMARY or a NOT NULL UNIQUE key; empty = none
    std::string keyName;           // that index's name
    std::uint64_t estimatedRows = 0;
    std::uint64_t estimatedBytes = 0;
    std::uint64_t avgRowLength = 0;

    std::string qualified() const;             // `db`.`name`
    std::vector<std::size_t> written() const;  // indexes of the non-generated columns
};

// Reads a table's definition from information_schema. Throws CopyError if it does not exist.
TableInfo inspectTable(db::Connection& source, const std::string& db, const std::string& table);

// What a written value of `c` is wrapped in, around `value` (a placeholder, literal or LOAD DATA
// variable): CONVERT(value USING utf8mb4) for JSON and CONVERT(value USING ascii) for TextForm,
// which must not arrive as binary strings; else `value` as is.
std::string writeExpression(const Column& c, std::string_view value);
// True when writeExpression wraps `c`'s values (LOAD DATA then reads them into a variable).
bool convertedOnWrite(const Column& c);

// The expression that reads column `c` (`col`; `col + 0` for BIT; `col + 0e0` for FLOAT).
std::string readExpression(const Column& c);
// The expression key ranges compare for key column `c` (ENUM/SET by ordinal, as indexed).
std::string keyExpression(const Column& c);

// `value` (bytes as read by keyExpression) as an SQL literal that compares the way the
// column's index orders it on the source: numbers bare, strings with their charset and collation.
// Throws std::invalid_argument when a numeric column's value is not a number (values are data:
// nothing but a number is ever written bare).
std::string keyLiteral(const Column& c, std::string_view value);
// The same for a server where the column has `charset` and `collation` (a target's, which may be
// spelled differently or differ): the bytes stay in the source's charset, converted when the
// server's differs, and compare with `collation` ("" = the column's own on that server).
std::string keyLiteral(const Column& c, std::string_view value, std::string_view charset, std::string_view collation);

}  // namespace tidemark::copy
