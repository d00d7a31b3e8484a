#include "runner/filter/lexer.h"

#include <cctype>
#include <cstdio>

#include "runner/filter/row_expression.h"

namespace tidemark::filter::detail {

namespace {
bool isWordStart(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || c == '$' || u >= 0x80;
}
bool isWordChar(char c) { return isWordStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// What a backslash escape in a string literal stands for (MySQL's table). \% and \_ keep their
// backslash, so LIKE still sees them escaped.
std::string unescape(char c) {
    switch (c) {
        case 'n': return "\n";
        case 't': return "\t";
        case 'r': return "\r";
        case '0': return std::string(1, '\0');
        case 'b': return "\b";
        case 'Z': return "\x1a";
        case '%': return "\\%";
        case '_': return "\\_";
        default: return std::string(1, c);
    }
}

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    std::vector<Token> run() {
        std::vector<Token> tokens;
        for (;;) {
            while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
            if (pos_ == text_.size()) break;
            const size_t start = pos_;
            Token t = next();
            t.offset = start;
            t.length = pos_ - start;
            tokens.push_back(std::move(t));
        }
        tokens.push_back(Token{Token::Kind::End, text_.size(), 0, {}});
        return tokens;
    }

private:
    bool at(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

    Token make(Token::Kind kind, size_t length) {
        Token t{kind, pos_, length, std::string(text_.substr(pos_, length))};
        pos_ += length;
        return t;
    }

    Token next() {
        const char c = text_[pos_];
        if ((c == 'x' || c == 'X') && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\'') return hex();
        if (isWordStart(c)) return word();
        if (isDigit(c) || (c == '.' && pos_ + 1 < text_.size() && isDigit(text_[pos_ + 1]))) return number();
        if (c == '\'') return quoted('\'', Token::Kind::Text, "string");
        if (c == '`') return quoted('`', Token::Kind::QuotedName, "back-quoted name");
        if (c == '"')
            throw ExpressionError(pos_,
                                  "\"...\" is not allowed: write strings in 'single quotes' and column names "
                                  "in `back-quotes`");
        if (at("<=>")) throw ExpressionError(pos_, "<=> is not supported: use = with IS NULL");
        for (std::string_view op : {"<>", "!=", "<=", ">="})
            if (at(op)) return make(Token::Kind::Compare, 2);
        if (c == '=' || c == '<' || c == '>') return make(Token::Kind::Compare, 1);
        if (at("&&")) return make(Token::Kind::AndAnd, 2);
        if (at("||")) return make(Token::Kind::OrOr, 2);
        switch (c) {
            case '!': return make(Token::Kind::Bang, 1);
            case '(': return make(Token::Kind::LParen, 1);
            case ')': return make(Token::Kind::RParen, 1);
            case ',': return make(Token::Kind::Comma, 1);
            case '-':
            case '+': return make(Token::Kind::Sign, 1);
            case '*':
            case '/':
            case '%': throw ExpressionError(pos_, std::string("arithmetic ('") + c + "') is not supported");
            default: break;
        }
        char shown[16];
        if (std::isprint(static_cast<unsigned char>(c))) std::snprintf(shown, sizeof shown, "'%c'", c);
        else std::snprintf(shown, sizeof shown, "byte 0x%02x", static_cast<unsigned char>(c));
        throw ExpressionError(pos_, std::string("unexpected character ") + shown);
    }

    Token word() {
        size_t end = pos_;
        while (end < text_.size() && isWordChar(text_[end])) ++end;
        return make(Token::Kind::Word, end - pos_);
    }

    Token number() {
        size_t end = pos_;
        while (end < text_.size() && isDigit(text_[end])) ++end;
        if (end < text_.size() && text_[end] == '.')
            for (++end; end < text_.size() && isDigit(text_[end]);) ++end;
        if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E'))
            throw ExpressionError(pos_, "exponent notation is not supported: write the number out in full");
        if (end < text_.size() && isWordChar(text_[end]))
            throw ExpressionError(pos_,
                                  "a number runs into a name here: back-quote a column whose name starts "
                                  "with a digit");
        return make(Token::Kind::Number, end - pos_);
    }

    // '...' or `...`: the quote doubled stands for itself; in strings backslash escapes too.
    Token quoted(char quote, Token::Kind kind, const char* what) {
        const size_t start = pos_;
        std::string value;
        for (size_t i = pos_ + 1; i < text_.size(); ++i) {
            const char c = text_[i];
            if (c == quote && i + 1 < text_.size() && text_[i + 1] == quote) {
                value += quote;
                ++i;
            } else if (c == quote) {
                pos_ = i + 1;
                return Token{kind, start, 0, std::move(value)};
            } else if (c == '\\' && kind == Token::Kind::Text && i + 1 < text_.size()) {
                value += unescape(text_[++i]);
            } else {
                value += c;
            }
        }
        throw ExpressionError(start, std::string("this ") + what + " has no closing " + quote);
    }

    Token hex() {
        const size_t start = pos_;
        const size_t close = text_.find('\'', pos_ + 2);
        if (close == std::string_view::npos) throw ExpressionError(start, "this X'...' has no closing '");
        const std::string_view digits = text_.substr(pos_ + 2, close - pos_ - 2);
        if (digits.size() % 2 != 0) throw ExpressionError(start, "X'...' needs an even number of hex digits");
        std::string bytes;
        for (size_t i = 0; i < digits.size(); i += 2) {
            const int hi = hexDigit(digits[i]), lo = hexDigit(digits[i + 1]);
            if (hi < 0 || lo < 0)
                throw ExpressionError(start + 2 + i, "X'...' holds a character that is not a hex digit");
            bytes += static_cast<char>(hi * 16 + lo);
        }
        pos_ = close + 1;
        return Token{Token::Kind::Hex, start, 0, std::move(bytes)};
    }

    std::string_view text_;
    size_t pos_ = 0;
};
}  // namespace

std::vector<Token> tokenize(std::string_view text) { return Lexer(text).run(); }

}  // namespace tidemark::filter::detail
