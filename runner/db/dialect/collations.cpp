#include "runner/db/dialect/collations.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tidemark::db::dialect {

namespace {

// TiDB's character sets and collations with the new collation framework (on by default since
// v6.0), from pingcap/docs character-set-and-collation.md and SHOW COLLATION of TiDB 7.5-8.5:
// utf8mb4_0900_ai_ci and utf8mb4_0900_bin arrived in v7.4, gb18030 in v9.0 (ddl_translate
// refuses those on older targets). TiDB names utf8mb3 "utf8".
constexpr std::array<std::string_view, 7> kCharsets = {"utf8",   "utf8mb4", "ascii",  "latin1",
                                                       "binary", "gbk",     "gb18030"};
constexpr std::array<std::string_view, 15> kCollations = {
    "utf8mb4_bin",     "utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_0900_ai_ci", "utf8mb4_0900_bin", "utf8_bin",
    "utf8_general_ci", "utf8_unicode_ci",    "ascii_bin",          "latin1_bin",         "binary",           "gbk_bin",
    "gbk_chinese_ci",  "gb18030_bin",        "gb18030_chinese_ci"};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// utf8mb3_x -> utf8_x, lower case.
std::string tidbSpelling(std::string_view collation) {
    std::string c = lower(collation);
    if (c.rfind("utf8mb3_", 0) == 0) c = "utf8_" + c.substr(8);
    return c;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace

bool tidbHasCharset(std::string_view charset) {
    const std::string c = tidbCharset(charset);
    return c.empty() || std::find(kCharsets.begin(), kCharsets.end(), c) != kCharsets.end();
}

bool tidbHasCollation(std::string_view collation) {
    const std::string c = tidbSpelling(collation);
    return c.empty() || std::find(kCollations.begin(), kCollations.end(), c) != kCollations.end();
}

std::string tidbCharset(std::string_view charset) {
    std::string c = lower(charset);
    return c == "utf8mb3" ? "utf8" : c;
}

std::string tidbCollation(std::string_view collation) {
    const std::string c = tidbSpelling(collation);
    if (tidbHasCollation(c)) return c;
    const std::string charset = c.substr(0, c.find('_'));
    // Case- or accent-sensitive ones compare like a binary collation more than like a _ci one.
    const bool binaryLike = !c.ends_with("_ci");
    if (charset == "utf8mb4" || charset == "utf8") {
        if (binaryLike) {
            // NO PAD ones (MariaDB's *_nopad_*, MySQL's 0900 family) keep 'a' and 'a ' apart, as
            // utf8mb4_0900_bin does; utf8mb4_bin would make them one key.
            const bool noPad = contains(c, "nopad") || contains(c, "0900");
            return charset == "utf8mb4" && noPad ? "utf8mb4_0900_bin" : charset + "_bin";
        }
        // UCA 9.0.0 and newer (MySQL's *_0900_*, MariaDB's *_uca1400_*): the one TiDB has, as
        // PingCAP recommends for MariaDB's utf8mb4_uca1400_ai_ci. utf8 (3 bytes) has none.
        if (contains(c, "0900") || contains(c, "1400"))
            return charset == "utf8mb4" ? "utf8mb4_0900_ai_ci" : "utf8_unicode_ci";
        if (contains(c, "general")) return charset + "_general_ci";
        // Other Unicode ones (unicode_520, language tailorings, nopad variants): UCA 4.0.0.
        return charset + "_unicode_ci";
    }
    if (charset == "latin1" || charset == "ascii") return charset + "_bin";
    if (charset == "gbk" || charset == "gb18030") return charset + (binaryLike ? "_bin" : "_chinese_ci");
    return c;  // a charset TiDB lacks: nothing to map to (ddl_translate refuses the table)
}

std::string_view collationMappingRule() {
    return "on a TiDB target a collation TiDB has is kept (utf8mb3_* is spelled utf8_*) and any other maps within "
           "its charset: case-sensitive and binary ones to the charset's _bin (utf8mb4_0900_bin for NO PAD ones), "
           "UCA 9.0+ ones (MySQL *_0900_*, MariaDB *_uca1400_*) to utf8mb4_0900_ai_ci (utf8_unicode_ci for utf8), "
           "*_general_* ones to _general_ci, other Unicode and language ones to _unicode_ci, latin1 and ascii ones "
           "to latin1_bin and ascii_bin, gbk and gb18030 ones to _chinese_ci or _bin; a charset TiDB lacks "
           "(utf16, cp1250, ...) is refused";
}

}  // namespace tidemark::db::dialect
