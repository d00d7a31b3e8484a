// A chunk's key range as data: the values of the key columns at its two ends, kept in the
// checkpoint as JSON (values hex-encoded), and turned into SQL only for the server that runs it.
//
// Why not SQL text: one range runs on the source (reading, verifying) and on the target
// (clearing a started chunk, verifying), and the two need not compare strings alike. The source
// compares with its own collations (latin1_swedish_ci), which a TiDB target refuses (1273), and a
// target may order the key differently (that collation mapped to latin1_bin). So the range is
// rendered per server, with that server's collation of each key column, and a target whose order
// differs never gets a range at all (see sameOrder and clearChunk).
//
// Stored form: {"after":["<hex>",...],"through":["<hex>",...]}: `after` the exclusive lower end,
// `through` the inclusive upper end, one value per key column (the bytes keyExpression reads);
// an end left out is open, {} is the whole table. It names no charset or collation.
#pragma once

#include "runner/copy/inspect.h"
#include "runner/copy/target_table.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::copy {

using KeyValues = std::vector<std::string>;  // one value per key column, in key order

struct ChunkRange {
    std::optional<KeyValues> after;    // rows with a key above these values; none: from the first row
    std::optional<KeyValues> through;  // rows with a key at most these values; none: through the last row
    bool whole() const { return !after && !through; }
    bool operator==(const ChunkRange&) const = default;
};

std::string encodeRange(const ChunkRange& r);
// Throws std::invalid_argument (saying what is wrong) for text that is not an encoded range.
ChunkRange decodeRange(std::string_view text);

// How one server compares a table's key columns, one entry per key column in key order.
struct KeyColumnSide {
    std::string charset;    // the column's charset there ("" when not a character column)
    std::string collation;  // its collation there ("" when not a character column)
    std::string dataType;   // its type there, lower case ("" when unknown)
};
struct KeySide {
    std::vector<KeyColumnSide> columns;
};

// The source: each key column's own charset, collation and type.
KeySide sourceKeySide(const TableInfo& t);
// A target table created by the copy: on TiDB each collation goes through the one mapping
// (db::dialect::tidbCollation, as the copy's CREATE TABLE does); elsewhere the source's own.
// MariaDB's INET4/INET6/UUID count as unknown types (the target stores their text form).
KeySide expectedTargetKeySide(const TableInfo& t, bool tidb);
// The target as it is: the key columns' charset, collation and type from its
// information_schema; a column it lacks (or a missing table) as expectedTargetKeySide says.
KeySide targetKeySide(db::Connection& target, const TableInfo& t, bool tidb);
// The same for the table `t`'s rows are written `into` (a routed name).
KeySide targetKeySide(db::Connection& target, const TableInfo& t, const TargetTable& into, bool tidb);

// True when `side` orders and equates every key value as the source does: non-character
// columns of the same kind, character columns with the same charset and collation (utf8mb3 and
// utf8 spelled alike). Only then does a range mean the same rows on both servers.
bool sameOrder(const TableInfo& t, const KeySide& side);

// The condition selecting the range's rows on a server comparing as `side` ("" for the whole
// table); lexicographic over a composite key. Throws CopyError naming the table when the range
// does not fit the key (another number of columns, a non-numeric value for a numeric column).
std::string renderRange(const TableInfo& t, const ChunkRange& r, const KeySide& side);
// `key IN (...)` (a row constructor for a composite key) for exactly these keys, on `side`.
std::string renderKeyIn(const TableInfo& t, const std::vector<KeyValues>& keys, const KeySide& side);

// The key's columns (`a`, `b`) and the expressions ranges compare (keyExpression of each).
std::string keyColumnList(const TableInfo& t);
std::string keyExpressionList(const TableInfo& t);
// The condition `key > literals` / `key <= literals` (lexicographic over a composite key).
std::string keyAbove(const TableInfo& t, const std::vector<std::string>& literals);
std::string keyAtMost(const TableInfo& t, const std::vector<std::string>& literals);

// Removes from the target the rows a started (interrupted) chunk may have written, so that it
// can be copied again without duplicates or stale rows. `source` is a reading session on the
// source, `target` a writing session; returns the number of rows deleted. The whole table is
// truncated; a range is deleted by range when the target orders the key as the source does,
// else by the exact keys the source holds in the range now (the rule is explained in the .cpp).
std::uint64_t clearChunk(db::Connection& source, db::Connection& target, const TableInfo& t, const ChunkRange& r,
                         const KeySide& targetSide);
// The same when `t`'s rows are written `into` a routed table: only the rows `t` wrote there are
// removed, never another source table's rows of a merged table (by its extra columns, else by
// exact keys). Throws CopyError for a keyless table merged without extra columns (the copy
// refuses those before it writes).
std::uint64_t clearChunk(db::Connection& source, db::Connection& target, const TableInfo& t, const TargetTable& into,
                         const ChunkRange& r, const KeySide& targetSide);

}  // namespace tidemark::copy
