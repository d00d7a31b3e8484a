// The tokens of one SQL statement and where each sits in its text: what the DDL readers
// (replay's statement heads) and rewriters (ddl_translate) share.
//
// Contracts:
//  - Comments are dropped, except versioned ones (/*!50100 ... */, /*M!100301 ... */) whose
//    content is code: their tokens are returned, their markers are not.
//  - `begin`/`end` are byte offsets into the text: replacing [begin, end) replaces exactly the
//    token, quotes included. Quoted identifiers and strings carry their unescaped text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::db::dialect {

struct Token {
    enum Kind { Word, Quoted, String, Symbol } kind;
    std::string text;  // identifier or string text unquoted; words as written; one symbol character
    std::size_t begin = 0, end = 0;

    std::string upper() const;
    bool is(std::string_view upperWord) const;  // a Word spelled `upperWord` in any case
    bool isSymbol(char c) const { return kind == Symbol && text.size() == 1 && text[0] == c; }
    bool isName() const { return kind == Word || kind == Quoted; }
};

std::vector<Token> tokenize(std::string_view sql);

}  // namespace tidemark::db::dialect
