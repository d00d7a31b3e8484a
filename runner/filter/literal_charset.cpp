#include "runner/filter/literal_charset.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace tidemark::filter {

namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return out;
}

bool isAscii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Unicode code points of MySQL's latin1 bytes 0x80..0x9F (Windows-1252; MySQL maps the five
// bytes Windows-1252 leaves undefined to the C1 controls of the same number).
constexpr std::array<char32_t, 32> kLatin1High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

std::optional<unsigned char> latin1Byte(char32_t cp) {
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) return static_cast<unsigned char>(cp);
    for (size_t i = 0; i < kLatin1High.size(); ++i)
        if (kLatin1High[i] == cp) return static_cast<unsigned char>(0x80 + i);
    return std::nullopt;
}

// Decodes one UTF-8 character from the front of `s`; nullopt when the bytes are not UTF-8.
std::optional<char32_t> nextCodePoint(std::string_view& s) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || s.size() < length) return std::nullopt;
    char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (byte(i) & 0x3F);
    }
    s.remove_prefix(length);
    return cp;
}

std::string toLatin1(std::string_view utf8) {
    std::string out;
    while (!utf8.empty()) {
        const auto cp = nextCodePoint(utf8);
        if (!cp) throw std::invalid_argument("the literal is not valid UTF-8");
        const auto b = latin1Byte(*cp);
        if (!b) throw std::invalid_argument("the literal holds a character that latin1 cannot store");
        out += static_cast<char>(*b);
    }
    return out;
}
}  // namespace

std::string literalInCharset(std::string_view utf8, std::string_view charset) {
    const std::string name = lower(charset);
    if (name == "utf8mb4" || name == "utf8mb3" || name == "utf8" || name == "binary") return std::string(utf8);
    if (name == "latin1") return toLatin1(utf8);
    if (name == "ucs2" || name == "utf16" || name == "utf16le" || name == "utf32")
        throw std::invalid_argument("its charset is " + name +
                                    ", whose bytes no text literal has; write the bytes as X'...'");
    if (!isAscii(utf8))
        throw std::invalid_argument("its charset is " + (name.empty() ? std::string("not known") : name) +
                                    ", so only ASCII text literals compare with it; write other bytes as X'...'");
    return std::string(utf8);
}

}  // namespace tidemark::filter
