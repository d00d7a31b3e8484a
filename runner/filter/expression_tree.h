// The trees behind filter::Expression (as parsed: names and literals as written) and
// filter::BoundExpression (column indexes resolved, every comparison typed). Internal to
// runner/filter: the parser builds the first, the binder turns it into the second, and the
// evaluator and the SQL renderer walk the second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/filter/like_pattern.h"

namespace tidemark::filter::detail {

enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

struct Literal {
    enum class Type : uint8_t { Null, Boolean, Number, Text, Hex };
    Type type = Type::Null;
    std::string value;  // Number: normalized decimal (exact_number.h); Text: UTF-8, escapes undone; Hex: the bytes
    bool boolean = false;
};

struct Operand {
    size_t offset = 0;  // where it starts in the expression text
    bool isColumn = false;
    std::string column;  // as written, back-quotes removed
    Literal literal;
};

struct Node {
    enum class Kind : uint8_t { And, Or, Not, Constant, Compare, IsNull, In, Between, Like };
    Kind kind = Kind::Constant;
    size_t offset = 0;
    std::vector<std::shared_ptr<const Node>> children;  // And, Or: two or more; Not: one
    std::optional<bool> constant;                       // Constant: TRUE, FALSE, or NULL (nullopt)
    CompareOp op = CompareOp::Eq;                       // Compare
    bool negated = false;                               // IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE
    // Compare: left, right. IsNull: subject. In: subject, then the items. Between: subject, low,
    // high. Like: subject, pattern (a Text literal).
    std::vector<Operand> operands;
};

// What a column's values are, from its information_schema DATA_TYPE.
enum class Family : uint8_t {
    Integer,
    Decimal,
    Year,
    Bit,
    Float,
    Text,
    Binary,
    Enum,
    Date,
    DateTime,
    Timestamp,
    Time,
    Literal
};

// What a comparison compares as: exact numbers, doubles, bytes, datetime keys or TIME lengths
// (temporal_literal.h).
enum class Domain : uint8_t { Exact, Approx, Bytes, DateTime, Time };

struct BoundOperand {
    int column = -1;                  // index into the row image; -1 for a constant
    Family family = Family::Literal;  // the column's; Literal for a constant
    bool null = false;                // a NULL constant
    std::string text;                 // Exact: normalized decimal; Bytes: the bytes
    double approx = 0;                // Approx
    int64_t key = 0;                  // DateTime: datetime key; Time: microseconds
};

struct BoundNode {
    Node::Kind kind = Node::Kind::Constant;
    std::vector<BoundNode> children;
    std::optional<bool> constant;
    CompareOp op = CompareOp::Eq;
    bool negated = false;
    Domain domain = Domain::Exact;
    bool dateOnly = false;  // DateTime constants compared with a DATE column: rendered as 'YYYY-MM-DD'
    std::vector<BoundOperand> operands;
    LikePattern pattern;  // Like
};

// X'..' with the bytes in upper-case hex (X'' when empty): how the canonical text and the SQL
// write bytes.
std::string hexLiteral(std::string_view bytes);

}  // namespace tidemark::filter::detail
