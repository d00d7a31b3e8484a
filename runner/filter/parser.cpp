// parse(): the recursive descent over lexer.h's tokens that builds expression_tree.h's Node
// tree, and Expression::canonical(), which writes that tree back.
#include <algorithm>
#include <cctype>

#include "runner/filter/exact_number.h"
#include "runner/filter/expression_tree.h"
#include "runner/filter/lexer.h"
#include "runner/filter/row_expression.h"

namespace tidemark::filter {

using detail::CompareOp;
using detail::Literal;
using detail::Node;
using detail::Operand;
using detail::Token;

ExpressionError::ExpressionError(size_t offset, const std::string& problem)
    : std::runtime_error("at " + std::to_string(offset) + ": " + problem), offset_(offset) {}

namespace {
constexpr size_t kMaxDigits = 65, kMaxScale = 30;

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

bool isReserved(std::string_view word) {
    for (std::string_view k : {"AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE"})
        if (equalsIgnoringCase(word, k)) return true;
    return false;
}

CompareOp compareOp(std::string_view op) {
    if (op == "=") return CompareOp::Eq;
    if (op == "<>" || op == "!=") return CompareOp::Ne;
    if (op == "<") return CompareOp::Lt;
    if (op == "<=") return CompareOp::Le;
    if (op == ">") return CompareOp::Gt;
    return CompareOp::Ge;
}

std::shared_ptr<Node> node(Node::Kind kind, size_t offset) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->offset = offset;
    return n;
}

class Parser {
public:
    Parser(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {}

    std::shared_ptr<const Node> run() {
        auto root = parseOr();
        if (peek().kind == Token::Kind::RParen) throw error(peek(), "this ')' closes no '('");
        if (peek().kind != Token::Kind::End)
            throw error(peek(), "expected AND, OR or the end of the expression, found " + shown(peek()));
        return root;
    }

private:
    const Token& peek() const { return tokens_[pos_]; }
    const Token& advance() { return tokens_[pos_++]; }
    bool peekWord(std::string_view keyword) const {
        return peek().kind == Token::Kind::Word && equalsIgnoringCase(peek().value, keyword);
    }
    bool acceptWord(std::string_view keyword) {
        if (!peekWord(keyword)) return false;
        ++pos_;
        return true;
    }
    ExpressionError error(const Token& at, const std::string& problem) const {
        return ExpressionError(at.offset, problem);
    }
    std::string shown(const Token& t) const {
        if (t.kind == Token::Kind::End) return "the end of the expression";
        return "'" + std::string(text_.substr(t.offset, std::min<size_t>(t.length, 40))) + "'";
    }

    std::shared_ptr<const Node> parseOr() {
        return parseChain(Node::Kind::Or, "OR", Token::Kind::OrOr, [this] { return parseAnd(); });
    }
    std::shared_ptr<const Node> parseAnd() {
        return parseChain(Node::Kind::And, "AND", Token::Kind::AndAnd, [this] { return parseNot(); });
    }

    // `next { keyword next }` as one n-ary node, or the single operand when there is no keyword.
    template <typename Next>
    std::shared_ptr<const Node> parseChain(Node::Kind kind, std::string_view keyword, Token::Kind symbol, Next next) {
        const size_t offset = peek().offset;
        std::vector<std::shared_ptr<const Node>> children{next()};
        while (peekWord(keyword) || peek().kind == symbol) {
            advance();
            children.push_back(next());
        }
        if (children.size() == 1) return children.front();
        auto n = node(kind, offset);
        n->children = std::move(children);
        return n;
    }

    std::shared_ptr<const Node> parseNot() {
        const Token& first = peek();
        const bool isNot = peekWord("NOT") || first.kind == Token::Kind::Bang;
        if (!isNot && first.kind != Token::Kind::LParen) return parsePredicate();
        if (++depth_ > kMaxNesting)
            throw error(first, "the expression nests deeper than " + std::to_string(kMaxNesting) + " levels");
        advance();
        std::shared_ptr<const Node> result;
        if (isNot) {
            auto n = node(Node::Kind::Not, first.offset);
            n->children = {parseNot()};
            result = n;
        } else {
            result = parseOr();
            if (peek().kind != Token::Kind::RParen)
                throw error(
                    peek(),
                    "expected ')' to close the '(' at " + std::to_string(first.offset) + ", found " + shown(peek()));
            advance();
        }
        --depth_;
        return result;
    }

    std::shared_ptr<const Node> parsePredicate() {
        const Operand subject = parseOperand();
        const Token& t = peek();
        if (t.kind == Token::Kind::Compare) {
            advance();
            auto n = node(Node::Kind::Compare, subject.offset);
            n->op = compareOp(t.value);
            n->operands = {subject, parseOperand()};
            return n;
        }
        if (acceptWord("IS")) return parseIsNull(subject);
        const bool negated = acceptWord("NOT");
        if (acceptWord("IN")) return parseIn(subject, negated);
        if (acceptWord("BETWEEN")) return parseBetween(subject, negated);
        if (acceptWord("LIKE")) return parseLike(subject, negated);
        if (negated) throw error(peek(), "expected IN, BETWEEN or LIKE after NOT, found " + shown(peek()));
        return constantOrFail(subject);
    }

    std::shared_ptr<const Node> parseIsNull(const Operand& subject) {
        auto n = node(Node::Kind::IsNull, subject.offset);
        n->negated = acceptWord("NOT");
        if (!acceptWord("NULL"))
            throw error(
                peek(),
                std::string("expected NULL after IS") + (n->negated ? " NOT" : "") + ", found " + shown(peek()));
        n->operands = {subject};
        return n;
    }

    std::shared_ptr<const Node> parseIn(const Operand& subject, bool negated) {
        auto n = node(Node::Kind::In, subject.offset);
        n->negated = negated;
        if (peek().kind != Token::Kind::LParen) throw error(peek(), "expected '(' after IN, found " + shown(peek()));
        const size_t open = advance().offset;
        n->operands = {subject};
        do {
            if (n->operands.size() > kMaxListItems)
                throw error(peek(), "an IN list holds at most " + std::to_string(kMaxListItems) + " items");
            n->operands.push_back(parseOperand());
        } while (peek().kind == Token::Kind::Comma && (advance(), true));
        if (peek().kind != Token::Kind::RParen)
            throw error(
                peek(),
                "expected ',' or ')' in the IN list opened at " + std::to_string(open) + ", found " + shown(peek()));
        advance();
        return n;
    }

    std::shared_ptr<const Node> parseBetween(const Operand& subject, bool negated) {
        auto n = node(Node::Kind::Between, subject.offset);
        n->negated = negated;
        const Operand low = parseOperand();
        if (!acceptWord("AND")) throw error(peek(), "expected AND in BETWEEN ... AND ..., found " + shown(peek()));
        n->operands = {subject, low, parseOperand()};
        return n;
    }

    std::shared_ptr<const Node> parseLike(const Operand& subject, bool negated) {
        auto n = node(Node::Kind::Like, subject.offset);
        n->negated = negated;
        if (peek().kind != Token::Kind::Text)
            throw error(peek(), "expected a 'string' pattern after LIKE, found " + shown(peek()));
        n->operands = {subject, parseOperand()};
        return n;
    }

    // TRUE, FALSE and NULL stand alone as conditions; anything else needs a comparison.
    std::shared_ptr<const Node> constantOrFail(const Operand& subject) {
        const auto type = subject.literal.type;
        if (!subject.isColumn && (type == Literal::Type::Boolean || type == Literal::Type::Null)) {
            auto n = node(Node::Kind::Constant, subject.offset);
            if (type == Literal::Type::Boolean) n->constant = subject.literal.boolean;
            return n;
        }
        std::string_view written = text_.substr(subject.offset, peek().offset - subject.offset);
        while (!written.empty() && std::isspace(static_cast<unsigned char>(written.back()))) written.remove_suffix(1);
        throw error(peek(),
                    "expected a comparison (=, <>, <, <=, >, >=, IS, IN, BETWEEN or LIKE) after " +
                        std::string(written) + ", found " + shown(peek()));
    }

    Operand parseOperand() {
        const Token& t = peek();
        Operand o;
        o.offset = t.offset;
        switch (t.kind) {
            case Token::Kind::QuotedName:
                o.isColumn = true;
                o.column = advance().value;
                if (o.column.empty()) throw error(t, "`` is not a column name");
                return o;
            case Token::Kind::Word: return word(o);
            case Token::Kind::Sign:
            case Token::Kind::Number: return number(o);
            case Token::Kind::Text:
            case Token::Kind::Hex:
                o.literal.type = t.kind == Token::Kind::Text ? Literal::Type::Text : Literal::Type::Hex;
                o.literal.value = advance().value;
                return o;
            default: break;
        }
        throw error(t, "expected a column, a value, NOT or '(', found " + shown(t));
    }

    Operand word(Operand& o) {
        const Token& t = advance();
        if (equalsIgnoringCase(t.value, "NULL")) return o;
        if (equalsIgnoringCase(t.value, "TRUE") || equalsIgnoringCase(t.value, "FALSE")) {
            o.literal.type = Literal::Type::Boolean;
            o.literal.boolean = equalsIgnoringCase(t.value, "TRUE");
            return o;
        }
        if (isReserved(t.value))
            throw error(t, "expected a column or a value, found " + shown(t) + " (back-quote a column of that name)");
        o.isColumn = true;
        o.column = t.value;
        return o;
    }

    Operand number(Operand& o) {
        std::string sign;
        if (peek().kind == Token::Kind::Sign) {
            sign = advance().value;
            if (peek().kind != Token::Kind::Number)
                throw error(tokens_[pos_ - 1], "a sign must come right before a number: arithmetic is not supported");
        }
        const Token& t = advance();
        const std::string normalized = *normalizeDecimal(sign + t.value);
        const size_t dot = normalized.find('.');
        const size_t scale = dot == std::string::npos ? 0 : normalized.size() - dot - 1;
        const size_t digits =
            std::count_if(normalized.begin(), normalized.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits > kMaxDigits || scale > kMaxScale)
            throw error(t, "numbers have at most 65 digits, 30 of them after the point");
        o.literal.type = Literal::Type::Number;
        o.literal.value = normalized;
        return o;
    }

    std::string_view text_;
    std::vector<Token> tokens_;
    size_t pos_ = 0;
    size_t depth_ = 0;
};

// Canonical text -------------------------------------------------------------------------------

std::string quotedText(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        switch (c) {
            case '\'': out += "''"; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\0': out += "\\0"; break;
            default: out += c;
        }
    }
    return out + "'";
}

std::string operandText(const Operand& o) {
    if (o.isColumn) return backQuoted(o.column);
    switch (o.literal.type) {
        case Literal::Type::Null: return "NULL";
        case Literal::Type::Boolean: return o.literal.boolean ? "TRUE" : "FALSE";
        case Literal::Type::Number: return o.literal.value;
        case Literal::Type::Text: return quotedText(o.literal.value);
        case Literal::Type::Hex: return detail::hexLiteral(o.literal.value);
    }
    return "";
}

const char* opText(CompareOp op) {
    static constexpr const char* kText[] = {"=", "<>", "<", "<=", ">", ">="};
    return kText[static_cast<int>(op)];
}

std::string nodeText(const Node& n) {
    const auto& o = n.operands;
    const char* notWord = n.negated ? "NOT " : "";
    switch (n.kind) {
        case Node::Kind::And:
        case Node::Kind::Or: {
            std::string out = "(";
            for (size_t i = 0; i < n.children.size(); ++i)
                out += (i ? (n.kind == Node::Kind::And ? " AND " : " OR ") : "") + nodeText(*n.children[i]);
            return out + ")";
        }
        case Node::Kind::Not: return "(NOT " + nodeText(*n.children.front()) + ")";
        case Node::Kind::Constant: return n.constant ? (*n.constant ? "TRUE" : "FALSE") : "NULL";
        case Node::Kind::Compare: return operandText(o[0]) + " " + opText(n.op) + " " + operandText(o[1]);
        case Node::Kind::IsNull: return operandText(o[0]) + " IS " + notWord + "NULL";
        case Node::Kind::In: {
            std::string items;
            for (size_t i = 1; i < o.size(); ++i) items += (i > 1 ? ", " : "") + operandText(o[i]);
            return operandText(o[0]) + " " + notWord + "IN (" + items + ")";
        }
        case Node::Kind::Between:
            return operandText(o[0]) + " " + notWord + "BETWEEN " + operandText(o[1]) + " AND " + operandText(o[2]);
        case Node::Kind::Like: return operandText(o[0]) + " " + notWord + "LIKE " + operandText(o[1]);
    }
    return "";
}
}  // namespace

Expression parse(std::string_view text) {
    if (text.size() > kMaxExpressionLength)
        throw ExpressionError(kMaxExpressionLength,
                              "the expression is longer than " + std::to_string(kMaxExpressionLength) + " bytes");
    auto tokens = detail::tokenize(text);
    if (tokens.front().kind == Token::Kind::End) throw ExpressionError(0, "the expression is empty");
    Expression e;
    e.text_ = std::string(text);
    e.root_ = Parser(text, std::move(tokens)).run();
    return e;
}

std::string Expression::canonical() const { return nodeText(*root_); }

}  // namespace tidemark::filter
