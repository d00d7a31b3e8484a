// Row filter expressions: the SQL-like conditions a MigrationJob attaches to a table so that the
// rows for which the condition is TRUE are not migrated (PingCAP DM's expression filter). The
// language is documented for users in runner/filter/README.md; this header is its contract.
//
// Life of an expression: parse() the text once (manifest validation), bindToColumns() it to a table's
// columns (again after every DDL on the table), then either evaluate it per row image with
// matches() (replay) or render it with toSql() / keepCondition() for a SELECT (full copy). The
// two are built to agree row for row: matches(e, row) is true exactly when MySQL or MariaDB
// evaluate toSql(e) to TRUE for that row in a session with time_zone = '+00:00' and the
// migration's sql_mode (db::kMigrationSqlMode, which lets zero dates be compared).
//
// Grammar (keywords case-insensitive; `&&`, `||`, `!` spell AND, OR, NOT):
//   expr      := or
//   or        := and { OR and }
//   and       := not { AND not }
//   not       := NOT not | '(' expr ')' | predicate
//   predicate := operand cmp operand                    cmp: = <> != < <= > >=
//              | operand IS [NOT] NULL
//              | operand [NOT] IN '(' operand { ',' operand } ')'
//              | operand [NOT] BETWEEN operand AND operand
//              | operand [NOT] LIKE 'pattern'
//              | TRUE | FALSE | NULL
//   operand   := column | `back-quoted column` | ['-'|'+'] integer-or-decimal
//              | 'string' | X'hex' | TRUE | FALSE | NULL
// Strings take '' and the MySQL backslash escapes (\' \\ \n \t \r \0 \b \Z; \% and \_ keep the
// backslash for LIKE). There is no arithmetic and no exponent notation. Limits: 8192 bytes of
// text, 64 levels of nesting, 1000 items in an IN list, numbers of at most 65 digits with at
// most 30 after the point (what MySQL reads as an exact DECIMAL).
//
// Semantics: SQL three-valued logic; a comparison with NULL is unknown, and a row is filtered
// only when the whole expression is TRUE. Comparisons are typed at bind time by the column:
//   integer, DECIMAL, YEAR, BIT      exact, against integer and decimal literals (TRUE = 1,
//                                    FALSE = 0); YEAR only against 0 and 1901..2155
//   FLOAT, DOUBLE                    as doubles
//   CHAR/VARCHAR/TEXT, BINARY/BLOB,  byte for byte, in the column's charset (literal_charset.h):
//   ENUM (its label)                 case, accents and trailing spaces count; LIKE is bytewise
//   DATE                             against 'YYYY-MM-DD'
//   DATETIME, TIMESTAMP              against 'YYYY-MM-DD[ hh:mm:ss[.ffffff]]'; TIMESTAMPs in UTC
//   TIME                             against '[-]hh:mm:ss[.ffffff]'
//   SET, JSON, GEOMETRY, VECTOR and any other type are refused at bind time. Two columns
//   compare when they fall in the same row above (integers with FLOAT/DOUBLE as doubles);
//   DATE, DATETIME and TIMESTAMP columns compare only with their own kind. IS [NOT] NULL reads
//   no value and works on every column type. ENUMs compare by label, which the decoder knows
//   from FULL row metadata or from replay's schema hints.
// Columns are matched by name, exactly, else ignoring ASCII case (as MySQL's names are).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runner/binlog/value.h"

namespace tidemark::filter {

namespace detail {
struct Node;
struct BoundNode;
}  // namespace detail

inline constexpr size_t kMaxExpressionLength = 8192;
inline constexpr size_t kMaxNesting = 64;
inline constexpr size_t kMaxListItems = 1000;

// A text that does not parse, or does not bind to the table. what() is one line:
// "at OFFSET: PROBLEM", OFFSET counting bytes from 0 into the expression's text.
class ExpressionError : public std::runtime_error {
public:
    ExpressionError(size_t offset, const std::string& problem);
    size_t offset() const { return offset_; }

private:
    size_t offset_;
};

// A row image the bound expression cannot be evaluated on: a column it reads is not in the
// image (the source logs MINIMAL/NOBLOB row images), or holds a value of another type than the
// column had at bind time (the expression was not bound again after a DDL). The message names
// the column. The caller must stop, not guess: a guess would apply or drop a row wrongly.
class EvaluationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A parsed expression, not yet tied to a table. Made only by parse(); copies are cheap (the tree
// is shared and immutable).
class Expression {
public:
    const std::string& text() const { return text_; }
    // What the parser understood, fully parenthesized, with normalized literals and back-quoted
    // columns: (`a` = 1 AND (NOT `b` IS NULL)).
    std::string canonical() const;
    const detail::Node& root() const { return *root_; }

private:
    Expression() = default;
    friend Expression parse(std::string_view text);
    std::string text_;
    std::shared_ptr<const detail::Node> root_;
};

// Throws ExpressionError.
Expression parse(std::string_view text);

// One column of the table, in ordinal order. replay::TableSchema gives name and dataType per
// column and the charset in hint.columns[i].charset; copy::TableInfo's Column has all three.
struct ColumnInfo {
    std::string name;
    std::string dataType;  // information_schema DATA_TYPE, any case ("int", "varchar", "enum", ...)
    std::string charset;   // CHARACTER_SET_NAME for character columns ("utf8mb4", "latin1"); "" when unknown
};

// An expression tied to one table definition. Made only by bindToColumns(); immutable, so one
// instance may be evaluated by several threads at once.
class BoundExpression {
public:
    BoundExpression(const BoundExpression&);
    BoundExpression& operator=(const BoundExpression&);
    BoundExpression(BoundExpression&&) noexcept;
    BoundExpression& operator=(BoundExpression&&) noexcept;
    ~BoundExpression();

    const std::string& text() const { return text_; }
    // Column indexes the expression reads, ascending; a row image needs these present.
    const std::vector<size_t>& columnsUsed() const { return columnsUsed_; }
    const std::vector<std::string>& columnNames() const { return columnNames_; }
    const detail::BoundNode& root() const { return *root_; }

private:
    BoundExpression();
    friend BoundExpression bindToColumns(const Expression& expr, std::span<const ColumnInfo> columns);
    std::string text_;
    std::vector<size_t> columnsUsed_;
    std::vector<std::string> columnNames_;  // every column of the table, by index
    std::unique_ptr<detail::BoundNode> root_;
};

// Resolves columns and types every comparison. Throws ExpressionError (at the offending
// operand): an unknown column (named), a refused column type, or a literal that cannot be
// compared with the column (a string for a number, a malformed date, a latin1-less character).
BoundExpression bindToColumns(const Expression& expr, std::span<const ColumnInfo> columns);

// Whether the row image (one value per table column, in ordinal order) makes the expression
// TRUE: true means "filter this row out". Unknown (NULL) and FALSE give false. Throws
// EvaluationError for a Missing value in a column the expression reads, or a value of a kind
// the bound column cannot hold.
bool matches(const BoundExpression& expr, std::span<const binlog::Value> image);

using IdentifierQuoter = std::function<std::string(std::string_view)>;
// `name` in back-quotes, inner back-quotes doubled.
std::string backQuoted(std::string_view name);

// A MySQL/MariaDB condition with the expression's truth table: TRUE exactly when matches() is
// true, NULL or FALSE otherwise. Columns are unqualified unless `quote` qualifies them; string
// constants are hex literals, so neither the session charset nor sql_mode's backslash handling
// changes them. Strings compare as CAST(col AS BINARY).
std::string toSql(const BoundExpression& expr, const IdentifierQuoter& quote = backQuoted);

// The condition a full copy ANDs into its WHERE to keep the rows matches() keeps: TRUE exactly
// when the expression is FALSE or NULL ("(<toSql>) IS NOT TRUE").
std::string keepCondition(const BoundExpression& expr, const IdentifierQuoter& quote = backQuoted);

}  // namespace tidemark::filter
