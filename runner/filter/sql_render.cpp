// toSql() and keepCondition(): the bound tree as a MySQL/MariaDB condition with the truth table
// matches() computes. Every comparison is written so the server compares in the same domain:
// strings as binary (CAST(col AS BINARY) against X'..'), BIT as an integer, temporal literals in
// their canonical full form, doubles as double literals.
#include "runner/filter/expression_tree.h"
#include "runner/filter/row_expression.h"
#include "runner/filter/temporal_literal.h"

namespace tidemark::filter {

using detail::BoundNode;
using detail::BoundOperand;
using detail::CompareOp;
using detail::Domain;
using detail::Family;
using detail::Node;

namespace {
const char* opSql(CompareOp op) {
    static constexpr const char* kText[] = {"=", "<>", "<", "<=", ">", ">="};
    return kText[static_cast<int>(op)];
}

class Renderer {
public:
    Renderer(const BoundExpression& e, const IdentifierQuoter& quote) : e_(e), quote_(quote) {}

    std::string node(const BoundNode& n) const {
        const auto& o = n.operands;
        const std::string notWord = n.negated ? "NOT " : "";
        switch (n.kind) {
            case Node::Kind::And:
            case Node::Kind::Or: return chain(n, n.kind == Node::Kind::And ? " AND " : " OR ");
            case Node::Kind::Not: return "(NOT " + node(n.children.front()) + ")";
            case Node::Kind::Constant: return n.constant ? (*n.constant ? "TRUE" : "FALSE") : "NULL";
            case Node::Kind::IsNull: return "(" + column(o[0]) + " IS " + notWord + "NULL)";
            case Node::Kind::Compare: return comparison(n, n.op, o[0], o[1]);
            case Node::Kind::In: {
                std::string items;
                for (size_t i = 1; i < o.size(); ++i) items += (i > 1 ? ", " : "") + operand(n, o[i]);
                return "(" + operand(n, o[0]) + " " + notWord + "IN (" + items + "))";
            }
            case Node::Kind::Between: {
                const std::string range = "(" + comparison(n, CompareOp::Ge, o[0], o[1]) + " AND " +
                    comparison(n, CompareOp::Le, o[0], o[2]) + ")";
                return n.negated ? "(NOT " + range + ")" : range;
            }
            case Node::Kind::Like:
                // '!' as the escape: the default '\' depends on sql_mode's NO_BACKSLASH_ESCAPES.
                return "(" + operand(n, o[0]) + " " + notWord + "LIKE " +
                    detail::hexLiteral(n.pattern.bytesEscapedWith('!')) + " ESCAPE '!')";
        }
        return "NULL";
    }

private:
    std::string chain(const BoundNode& n, const char* joiner) const {
        std::string out = "(";
        for (size_t i = 0; i < n.children.size(); ++i) out += (i ? joiner : "") + node(n.children[i]);
        return out + ")";
    }

    std::string comparison(const BoundNode& n, CompareOp op, const BoundOperand& a, const BoundOperand& b) const {
        return "(" + operand(n, a) + " " + opSql(op) + " " + operand(n, b) + ")";
    }

    std::string column(const BoundOperand& o) const { return quote_(e_.columnNames().at(o.column)); }

    std::string operand(const BoundNode& n, const BoundOperand& o) const {
        if (o.column >= 0) return columnIn(n.domain, o);
        if (o.null) return "NULL";
        switch (n.domain) {
            case Domain::Exact: return o.text;
            case Domain::Approx: return o.text + "e0";
            case Domain::Bytes: return detail::hexLiteral(o.text);
            case Domain::DateTime: return "'" + formatDateTimeKey(o.key, n.dateOnly) + "'";
            case Domain::Time: return "'" + formatTimeMicros(o.key) + "'";
        }
        return "NULL";
    }

    std::string columnIn(Domain d, const BoundOperand& o) const {
        const std::string name = column(o);
        if (d == Domain::Bytes) return "CAST(" + name + " AS BINARY)";
        if (o.family == Family::Bit) return "(" + name + " + 0)";  // else BIT compares as a binary string
        return name;
    }

    const BoundExpression& e_;
    const IdentifierQuoter& quote_;
};
}  // namespace

std::string detail::hexLiteral(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out = "X'";
    for (char b : bytes) {
        out += kDigits[static_cast<unsigned char>(b) >> 4];
        out += kDigits[static_cast<unsigned char>(b) & 0xF];
    }
    return out + "'";
}

std::string toSql(const BoundExpression& expr, const IdentifierQuoter& quote) {
    return Renderer(expr, quote).node(expr.root());
}

std::string keepCondition(const BoundExpression& expr, const IdentifierQuoter& quote) {
    return "(" + toSql(expr, quote) + " IS NOT TRUE)";
}

}  // namespace tidemark::filter
