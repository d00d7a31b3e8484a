// The tokens of a row filter expression (row_expression.h has the grammar). Internal to
// runner/filter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::filter::detail {

struct Token {
    enum class Kind {
        End,
        Word,
        QuotedName,
        Number,
        Text,
        Hex,
        LParen,
        RParen,
        Comma,
        Compare,
        AndAnd,
        OrOr,
        Bang,
        Sign
    };
    Kind kind = Kind::End;
    size_t offset = 0;  // first byte in the expression text
    size_t length = 0;  // bytes of text it spans
    std::string
        value;  // Word, Number, Compare, Sign: as written; QuotedName: the name; Text: escapes undone; Hex: bytes
};

// Every token of `text`, ending with one End token. Throws ExpressionError.
std::vector<Token> tokenize(std::string_view text);

}  // namespace tidemark::filter::detail
