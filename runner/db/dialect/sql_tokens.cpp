#include "runner/db/dialect/sql_tokens.h"

#include <algorithm>
#include <cctype>

namespace tidemark::db::dialect {

std::string Token::upper() const {
    std::string u = text;
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
    return u;
}

bool Token::is(std::string_view upperWord) const {
    if (kind != Word || text.size() != upperWord.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(text[i])) != upperWord[i]) return false;
    return true;
}

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    const auto wordChar = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
            static_cast<unsigned char>(c) >= 0x80;
    };
    while (i < s.size()) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '#' ||
                   (c == '-' && i + 2 <= s.size() && s.substr(i, 2) == "--" &&
                    (i + 2 == s.size() || std::isspace(static_cast<unsigned char>(s[i + 2]))))) {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            if (i + 2 < s.size() && (s[i + 2] == '!' || (s[i + 2] == 'M' && i + 3 < s.size() && s[i + 3] == '!'))) {
                i += s[i + 2] == '!' ? 3 : 4;
                while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
            } else {
                auto e = s.find("*/", i + 2);
                i = e == std::string_view::npos ? s.size() : e + 2;
            }
        } else if (c == '*' && i + 1 < s.size() && s[i + 1] == '/') {
            i += 2;  // end of a versioned comment
        } else if (c == '`' || c == '"' || c == '\'') {
            Token t{c == '`' ? Token::Quoted : Token::String, "", i, 0};
            ++i;
            while (i < s.size()) {
                if (s[i] == c && i + 1 < s.size() && s[i + 1] == c) {
                    t.text += c;
                    i += 2;
                } else if (s[i] == c) {
                    ++i;
                    break;
                } else if (s[i] == '\\' && c != '`' && i + 1 < s.size()) {
                    t.text += s[i + 1];
                    i += 2;
                } else {
                    t.text += s[i++];
                }
            }
            t.end = i;
            out.push_back(std::move(t));
        } else if (wordChar(c)) {
            Token t{Token::Word, "", i, 0};
            while (i < s.size() && wordChar(s[i])) t.text += s[i++];
            t.end = i;
            out.push_back(std::move(t));
        } else {
            out.push_back(Token{Token::Symbol, std::string(1, c), i, i + 1});
            ++i;
        }
    }
    return out;
}

}  // namespace tidemark::db::dialect
