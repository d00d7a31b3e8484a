// matches(): the bound tree evaluated on one row image with SQL's three-valued logic.
#include <cstdlib>

#include "runner/filter/exact_number.h"
#include "runner/filter/expression_tree.h"
#include "runner/filter/row_expression.h"
#include "runner/filter/temporal_literal.h"

namespace tidemark::filter {

using binlog::Value;
using detail::BoundNode;
using detail::BoundOperand;
using detail::CompareOp;
using detail::Domain;
using detail::Node;

namespace {
enum class Truth { False, True, Unknown };

Truth truth(bool b) { return b ? Truth::True : Truth::False; }
Truth negate(Truth t) { return t == Truth::Unknown ? t : truth(t == Truth::False); }

// One operand's value in its comparison's domain. Not copied once filled: `text` may point into
// `owned`.
struct Scalar {
    bool null = false;
    std::string owned;
    std::string_view text;  // Exact: normalized decimal; Bytes: the bytes
    double approx = 0;
    int64_t key = 0;
};

class Evaluator {
public:
    Evaluator(const BoundExpression& e, std::span<const Value> image) : e_(e), image_(image) {}

    Truth eval(const BoundNode& n) {
        switch (n.kind) {
            case Node::Kind::And: return conjunction(n);
            case Node::Kind::Or: return negate(conjunctionOfNegations(n));
            case Node::Kind::Not: return negate(eval(n.children.front()));
            case Node::Kind::Constant: return n.constant ? truth(*n.constant) : Truth::Unknown;
            case Node::Kind::IsNull: return truth(value(n.operands.front()).isNull() != n.negated);
            case Node::Kind::Compare: return compare(n, n.op, n.operands[0], n.operands[1]);
            case Node::Kind::In: return withNegation(n, in(n));
            case Node::Kind::Between: return withNegation(n, between(n));
            case Node::Kind::Like: return withNegation(n, like(n));
        }
        return Truth::Unknown;
    }

private:
    static Truth withNegation(const BoundNode& n, Truth t) { return n.negated ? negate(t) : t; }

    Truth conjunction(const BoundNode& n) {
        Truth result = Truth::True;
        for (const auto& child : n.children) {
            const Truth t = eval(child);
            if (t == Truth::False) return t;
            if (t == Truth::Unknown) result = t;
        }
        return result;
    }
    // a OR b is NOT (NOT a AND NOT b).
    Truth conjunctionOfNegations(const BoundNode& n) {
        Truth result = Truth::True;
        for (const auto& child : n.children) {
            const Truth t = negate(eval(child));
            if (t == Truth::False) return t;
            if (t == Truth::Unknown) result = t;
        }
        return result;
    }

    Truth in(const BoundNode& n) {
        Truth result = Truth::False;
        for (size_t i = 1; i < n.operands.size(); ++i) {
            const Truth t = compare(n, CompareOp::Eq, n.operands[0], n.operands[i]);
            if (t == Truth::True) return t;
            if (t == Truth::Unknown) result = t;
        }
        return result;
    }

    Truth between(const BoundNode& n) {
        const Truth low = compare(n, CompareOp::Ge, n.operands[0], n.operands[1]);
        const Truth high = compare(n, CompareOp::Le, n.operands[0], n.operands[2]);
        if (low == Truth::False || high == Truth::False) return Truth::False;
        return low == Truth::True && high == Truth::True ? Truth::True : Truth::Unknown;
    }

    Truth like(const BoundNode& n) {
        Scalar subject;
        read(n.operands.front(), Domain::Bytes, subject);
        if (subject.null) return Truth::Unknown;
        return truth(n.pattern.matches(subject.text));
    }

    Truth compare(const BoundNode& n, CompareOp op, const BoundOperand& a, const BoundOperand& b) {
        Scalar x, y;
        read(a, n.domain, x);
        read(b, n.domain, y);
        if (x.null || y.null) return Truth::Unknown;
        const int c = order(n.domain, x, y);
        switch (op) {
            case CompareOp::Eq: return truth(c == 0);
            case CompareOp::Ne: return truth(c != 0);
            case CompareOp::Lt: return truth(c < 0);
            case CompareOp::Le: return truth(c <= 0);
            case CompareOp::Gt: return truth(c > 0);
            case CompareOp::Ge: return truth(c >= 0);
        }
        return Truth::Unknown;
    }

    static int order(Domain d, const Scalar& x, const Scalar& y) {
        switch (d) {
            case Domain::Exact: return compareDecimal(x.text, y.text);
            case Domain::Approx: return x.approx < y.approx ? -1 : x.approx > y.approx ? 1 : 0;
            case Domain::Bytes: {
                const int c = x.text.compare(y.text);  // std::string_view compares as unsigned bytes
                return c < 0 ? -1 : c > 0 ? 1 : 0;
            }
            case Domain::DateTime:
            case Domain::Time: return x.key < y.key ? -1 : x.key > y.key ? 1 : 0;
        }
        return 0;
    }

    const Value& value(const BoundOperand& o) const {
        const std::string& name = e_.columnNames().at(o.column);
        if (static_cast<size_t>(o.column) >= image_.size())
            throw EvaluationError("the row image has " + std::to_string(image_.size()) +
                                  " values, too few for column " + backQuoted(name) + " of row filter: " + e_.text());
        const Value& v = image_[o.column];
        if (!v.isPresent())
            throw EvaluationError("column " + backQuoted(name) +
                                  " is not in the row image (the source logs partial row images; row filters need "
                                  "binlog_row_image=FULL): row filter " +
                                  e_.text());
        return v;
    }

    void read(const BoundOperand& o, Domain d, Scalar& out) const {
        if (o.column < 0) {
            out.null = o.null;
            out.text = o.text;
            out.approx = o.approx;
            out.key = o.key;
            return;
        }
        const Value& v = value(o);
        if (v.isNull()) {
            out.null = true;
            return;
        }
        if (!readValue(v, d, out))
            throw EvaluationError(
                "column " + backQuoted(e_.columnNames().at(o.column)) + " holds a " + binlog::kindName(v.kind) +
                " value, not the type it had when the row filter was bound (bind it again after DDL): " + e_.text());
    }

    // False when `v` is of a kind the domain does not compare.
    static bool readValue(const Value& v, Domain d, Scalar& out) {
        switch (d) {
            case Domain::Exact: return readExact(v, out);
            case Domain::Approx: return readApprox(v, out);
            case Domain::Bytes:
                if (v.kind != Value::Kind::String && v.kind != Value::Kind::Bytes && v.kind != Value::Kind::Enum)
                    return false;
                out.text = v.data();
                return true;
            case Domain::DateTime:
                if (v.kind == Value::Kind::Timestamp) out.key = timestampKey(v.i, v.t.micro);
                else if (v.kind == Value::Kind::Date || v.kind == Value::Kind::DateTime) out.key = dateTimeKey(v.t);
                else return false;
                return true;
            case Domain::Time:
                if (v.kind != Value::Kind::Time) return false;
                out.key = timeMicros(v.t);
                return true;
        }
        return false;
    }

    static bool readExact(const Value& v, Scalar& out) {
        switch (v.kind) {
            case Value::Kind::Int: out.owned = decimalFromInt(v.i); break;
            case Value::Kind::UInt:
            case Value::Kind::Year:
            case Value::Kind::Bit: out.owned = decimalFromUInt(v.u); break;
            case Value::Kind::Decimal: {
                auto normalized = normalizeDecimal(v.text);
                if (!normalized) return false;
                out.owned = std::move(*normalized);
                break;
            }
            default: return false;
        }
        out.text = out.owned;
        return true;
    }

    static bool readApprox(const Value& v, Scalar& out) {
        switch (v.kind) {
            case Value::Kind::Float: out.approx = v.f; return true;
            case Value::Kind::Double: out.approx = v.d; return true;
            case Value::Kind::Int: out.approx = static_cast<double>(v.i); return true;
            case Value::Kind::UInt:
            case Value::Kind::Year:
            case Value::Kind::Bit: out.approx = static_cast<double>(v.u); return true;
            case Value::Kind::Decimal: out.approx = std::strtod(v.text.c_str(), nullptr); return true;
            default: return false;
        }
    }

    const BoundExpression& e_;
    std::span<const Value> image_;
};
}  // namespace

bool matches(const BoundExpression& expr, std::span<const binlog::Value> image) {
    return Evaluator(expr, image).eval(expr.root()) == Truth::True;
}

}  // namespace tidemark::filter
