// LIKE patterns matched byte by byte: '%' matches any run of bytes, '_' exactly one byte, and a
// backslash makes the next character literal (a trailing backslash is itself), as MySQL's LIKE
// does on binary strings. A multibyte character is therefore several bytes to '_'.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::filter {

class LikePattern {
public:
    LikePattern() = default;
    // `pattern` as written (after the string literal's own escapes); `encode` turns each run of
    // literal text into the bytes to match (the column charset's, see literal_charset.h).
    LikePattern(std::string_view pattern, const std::function<std::string(std::string_view)>& encode);

    bool matches(std::string_view subject) const;
    // The pattern's bytes for SQL `LIKE <bytes> ESCAPE '<escape>'`.
    std::string bytesEscapedWith(char escape) const;

private:
    static constexpr int16_t kAnyByte = -1, kAnyRun = -2;
    std::vector<int16_t> tokens_;  // a byte 0..255, kAnyByte or kAnyRun
};

}  // namespace tidemark::filter
