// bindToColumns(): resolves an Expression's columns against a table and types each comparison, turning
// literals into the values they compare as (exact_number.h, temporal_literal.h,
// literal_charset.h) once, so evaluation does no parsing.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>

#include "runner/filter/expression_tree.h"
#include "runner/filter/literal_charset.h"
#include "runner/filter/row_expression.h"
#include "runner/filter/temporal_literal.h"

namespace tidemark::filter {

using detail::BoundNode;
using detail::BoundOperand;
using detail::Domain;
using detail::Family;
using detail::Literal;
using detail::Node;
using detail::Operand;

BoundExpression::BoundExpression() = default;
BoundExpression::BoundExpression(const BoundExpression& other)
    : text_(other.text_),
      columnsUsed_(other.columnsUsed_),
      columnNames_(other.columnNames_),
      root_(other.root_ ? std::make_unique<BoundNode>(*other.root_) : nullptr) {}
BoundExpression& BoundExpression::operator=(const BoundExpression& other) {
    if (this != &other) *this = BoundExpression(other);
    return *this;
}
BoundExpression::BoundExpression(BoundExpression&&) noexcept = default;
BoundExpression& BoundExpression::operator=(BoundExpression&&) noexcept = default;
BoundExpression::~BoundExpression() = default;

namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The family of a DATA_TYPE, or nullopt for the types row filters refuse to compare.
std::optional<Family> familyOf(std::string_view dataType) {
    static const std::pair<std::vector<std::string_view>, Family> kFamilies[] = {
        {{"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}, Family::Integer},
        {{"decimal", "numeric"}, Family::Decimal},
        {{"year"}, Family::Year},
        {{"bit"}, Family::Bit},
        {{"float", "double", "real", "double precision"}, Family::Float},
        {{"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}, Family::Text},
        {{"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}, Family::Binary},
        {{"enum"}, Family::Enum},
        {{"date"}, Family::Date},
        {{"datetime"}, Family::DateTime},
        {{"timestamp"}, Family::Timestamp},
        {{"time"}, Family::Time},
    };
    const std::string type = lower(dataType);
    for (const auto& [names, family] : kFamilies)
        if (std::find(names.begin(), names.end(), type) != names.end()) return family;
    return std::nullopt;
}

Domain domainOf(Family f) {
    switch (f) {
        case Family::Integer:
        case Family::Decimal:
        case Family::Year:
        case Family::Bit:
        case Family::Literal: return Domain::Exact;
        case Family::Float: return Domain::Approx;
        case Family::Text:
        case Family::Binary:
        case Family::Enum: return Domain::Bytes;
        case Family::Date:
        case Family::DateTime:
        case Family::Timestamp: return Domain::DateTime;
        case Family::Time: return Domain::Time;
    }
    return Domain::Exact;
}

// The domain of a comparison among literals only.
Domain literalDomain(const std::vector<Operand>& operands) {
    for (const auto& o : operands) {
        if (o.literal.type == Literal::Type::Text || o.literal.type == Literal::Type::Hex) return Domain::Bytes;
    }
    return Domain::Exact;
}

class Binder {
public:
    explicit Binder(std::span<const ColumnInfo> columns) : columns_(columns) {}

    BoundNode bindNode(const Node& n) {
        BoundNode b;
        b.kind = n.kind;
        b.negated = n.negated;
        b.op = n.op;
        b.constant = n.constant;
        switch (n.kind) {
            case Node::Kind::And:
            case Node::Kind::Or:
            case Node::Kind::Not:
                for (const auto& child : n.children) b.children.push_back(bindNode(*child));
                return b;
            case Node::Kind::Constant: return b;
            case Node::Kind::IsNull: return bindIsNull(n);
            case Node::Kind::Like: return bindLike(n);
            case Node::Kind::Compare:
            case Node::Kind::In:
            case Node::Kind::Between: bindComparison(n, b); return b;
        }
        return b;
    }

    std::vector<size_t> used() const { return {used_.begin(), used_.end()}; }

private:
    size_t resolve(const Operand& o) {
        for (size_t pass = 0; pass < 2; ++pass)
            for (size_t i = 0; i < columns_.size(); ++i)
                if (pass == 0 ? columns_[i].name == o.column : lower(columns_[i].name) == lower(o.column)) {
                    used_.insert(i);
                    return i;
                }
        throw ExpressionError(o.offset, "no column " + backQuoted(o.column) + " in this table");
    }

    // The column's family; refused types throw.
    Family familyAt(const Operand& o, size_t index) const {
        const ColumnInfo& c = columns_[index];
        if (auto f = familyOf(c.dataType)) return *f;
        throw ExpressionError(o.offset,
                              "column " + backQuoted(c.name) + " is " + lower(c.dataType) +
                                  ": row filters compare numbers, strings, ENUMs, dates and times only "
                                  "(IS NULL works on any column)");
    }

    BoundNode bindIsNull(const Node& n) {
        BoundNode b;
        const Operand& subject = n.operands.front();
        if (!subject.isColumn) {  // NULL IS NULL, 5 IS NOT NULL: known now
            b.kind = Node::Kind::Constant;
            b.constant = (subject.literal.type == Literal::Type::Null) != n.negated;
            return b;
        }
        b.kind = Node::Kind::IsNull;
        b.negated = n.negated;
        BoundOperand column;
        column.column = static_cast<int>(resolve(subject));
        b.operands = {column};
        return b;
    }

    BoundNode bindLike(const Node& n) {
        BoundNode b;
        b.kind = Node::Kind::Like;
        b.negated = n.negated;
        b.domain = Domain::Bytes;
        const Operand& subject = n.operands[0];
        const Operand& pattern = n.operands[1];
        std::string charset = "utf8mb4";
        if (subject.isColumn) {
            const size_t index = resolve(subject);
            const Family family = familyAt(subject, index);
            if (domainOf(family) != Domain::Bytes)
                throw ExpressionError(subject.offset,
                                      "LIKE compares strings, and column " + backQuoted(columns_[index].name) + " is " +
                                          lower(columns_[index].dataType));
            charset = columns_[index].charset;
        }
        b.operands = {bindOperand(subject, Domain::Bytes, Family::Literal, "utf8mb4")};
        try {
            b.pattern =
                LikePattern(pattern.literal.value, [&](std::string_view s) { return literalInCharset(s, charset); });
        } catch (const std::invalid_argument& e) {
            throw ExpressionError(
                pattern.offset,
                "this pattern cannot be matched against column " + backQuoted(subject.column) + ": " + e.what());
        }
        return b;
    }

    // Compare, In, Between: every operand typed in one domain, chosen by the columns.
    void bindComparison(const Node& n, BoundNode& b) {
        std::optional<Domain> domain;
        std::optional<size_t> reference;  // the first column: its family and charset type the literals
        for (const auto& o : n.operands) {
            if (!o.isColumn) continue;
            const size_t index = resolve(o);
            const Family family = familyAt(o, index);
            if (!domain) {
                domain = domainOf(family);
                reference = index;
            } else {
                domain = joinDomains(*domain, *reference, family, index, o);
            }
        }
        b.domain = domain.value_or(literalDomain(n.operands));
        const Family referenceFamily = reference ? *familyOf(columns_[*reference].dataType) : Family::Literal;
        const std::string charset = reference ? columns_[*reference].charset : "utf8mb4";
        b.dateOnly = referenceFamily == Family::Date;
        for (const auto& o : n.operands) b.operands.push_back(bindOperand(o, b.domain, referenceFamily, charset));
    }

    Domain joinDomains(Domain current, size_t reference, Family family, size_t index, const Operand& o) const {
        const Domain next = domainOf(family);
        const Family referenceFamily = *familyOf(columns_[reference].dataType);
        const bool numbers = (current == Domain::Exact || current == Domain::Approx) &&
            (next == Domain::Exact || next == Domain::Approx);
        if (numbers) return current == next ? current : Domain::Approx;
        if (current == next && (current != Domain::DateTime || family == referenceFamily)) return current;
        throw ExpressionError(o.offset,
                              "column " + backQuoted(columns_[index].name) + " (" + lower(columns_[index].dataType) +
                                  ") cannot be compared with column " + backQuoted(columns_[reference].name) + " (" +
                                  lower(columns_[reference].dataType) + ")");
    }

    BoundOperand bindOperand(const Operand& o, Domain domain, Family referenceFamily, const std::string& charset) {
        BoundOperand b;
        if (o.isColumn) {
            const size_t index = resolve(o);
            b.column = static_cast<int>(index);
            b.family = familyAt(o, index);
            return b;
        }
        if (o.literal.type == Literal::Type::Null) {
            b.null = true;
            return b;
        }
        switch (domain) {
            case Domain::Exact:
            case Domain::Approx: return numberLiteral(o, domain, referenceFamily);
            case Domain::Bytes: return bytesLiteral(o, charset);
            case Domain::DateTime:
            case Domain::Time: return temporalLiteral(o, domain, referenceFamily);
        }
        return b;
    }

    BoundOperand numberLiteral(const Operand& o, Domain domain, Family referenceFamily) const {
        const Literal& l = o.literal;
        if (l.type != Literal::Type::Number && l.type != Literal::Type::Boolean)
            throw ExpressionError(o.offset, "a number is compared here: write a number, not a string");
        BoundOperand b;
        b.text = l.type == Literal::Type::Boolean ? (l.boolean ? "1" : "0") : l.value;
        b.approx = std::strtod(b.text.c_str(), nullptr);
        if (referenceFamily == Family::Year && domain == Domain::Exact) checkYear(o, b.text);
        return b;
    }

    // MySQL reads a small number compared with a YEAR as a two-digit year (70 is 1970), so only
    // the numbers that are years as written are accepted.
    static void checkYear(const Operand& o, const std::string& text) {
        const bool digitsOnly = !text.empty() && text.size() <= 4 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        const int year = digitsOnly ? std::stoi(text) : -1;
        if (year != 0 && (year < 1901 || year > 2155))
            throw ExpressionError(o.offset, "a YEAR compares with 0 or a year from 1901 to 2155");
    }

    BoundOperand bytesLiteral(const Operand& o, const std::string& charset) const {
        const Literal& l = o.literal;
        BoundOperand b;
        if (l.type == Literal::Type::Hex) {
            b.text = l.value;
            return b;
        }
        if (l.type != Literal::Type::Text)
            throw ExpressionError(o.offset, "a string is compared here: write a 'string', not a number");
        try {
            b.text = literalInCharset(l.value, charset);
        } catch (const std::invalid_argument& e) {
            throw ExpressionError(o.offset, std::string("this string cannot be compared with the column: ") + e.what());
        }
        return b;
    }

    BoundOperand temporalLiteral(const Operand& o, Domain domain, Family referenceFamily) const {
        const char* format = domain == Domain::Time ? "'[-]hh:mm:ss[.ffffff]'"
            : referenceFamily == Family::Date       ? "'YYYY-MM-DD'"
                                                    : "'YYYY-MM-DD[ hh:mm:ss[.ffffff]]'";
        const std::string expected =
            std::string("a ") + (domain == Domain::Time ? "time" : "date") + " is compared here: write it as " + format;
        if (o.literal.type != Literal::Type::Text) throw ExpressionError(o.offset, expected);
        const auto key = domain == Domain::Time
            ? parseTimeLiteral(o.literal.value)
            : parseDateTimeLiteral(o.literal.value, referenceFamily != Family::Date);
        if (!key)
            throw ExpressionError(o.offset, expected + (domain == Domain::Time ? "" : ", a real date or 0000-00-00"));
        BoundOperand b;
        b.key = *key;
        return b;
    }

    std::span<const ColumnInfo> columns_;
    std::set<size_t> used_;
};
}  // namespace

std::string backQuoted(std::string_view name) {
    std::string out = "`";
    for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
    return out + "`";
}

BoundExpression bindToColumns(const Expression& expr, std::span<const ColumnInfo> columns) {
    Binder binder(columns);
    BoundExpression b;
    b.root_ = std::make_unique<BoundNode>(binder.bindNode(expr.root()));
    b.text_ = expr.text();
    b.columnsUsed_ = binder.used();
    for (const auto& c : columns) b.columnNames_.push_back(c.name);
    return b;
}

}  // namespace tidemark::filter
