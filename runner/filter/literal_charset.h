// A string literal's bytes in a column's character set. The filter compares strings byte for
// byte, so a literal (written in UTF-8, like the whole expression) is first re-encoded into the
// charset the column's values are stored in, once, at bind time:
//   utf8mb4, utf8mb3, utf8, binary   the UTF-8 bytes as written
//   latin1                          MySQL's latin1 (Windows-1252 plus 0x81 0x8D 0x8F 0x90 0x9D);
//                                   a character latin1 cannot hold is refused
//   ascii, any other charset, or    only ASCII text is accepted (its bytes are the same in every
//   "" (not known)                  ASCII-compatible charset)
//   ucs2, utf16, utf16le, utf32     refused: no text literal has the same bytes
// Hex literals (X'..') skip this: they are the bytes to compare, whatever the charset.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tidemark::filter {

// The bytes of `utf8` in `charset` (case-insensitive name). Throws std::invalid_argument with a
// sentence saying why the literal cannot be compared with such a column.
std::string literalInCharset(std::string_view utf8, std::string_view charset);

}  // namespace tidemark::filter
