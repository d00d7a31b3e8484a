#include "runner/binlog/charsets.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tidemark::binlog {

namespace {
struct Range {
    uint16_t first, last;
    const char* charset;
};

// MySQL 8.0 / MariaDB collation ids (information_schema.COLLATIONS). Ranges where a block of
// ids belongs to one charset; MariaDB's ids above 255 are handled by the bit-packing below.
constexpr Range kRanges[] = {
    {1, 1, "big5"},        {2, 2, "latin2"},      {3, 3, "dec8"},        {4, 4, "cp850"},       {5, 5, "latin1"},
    {6, 6, "hp8"},         {7, 7, "koi8r"},       {8, 8, "latin1"},      {9, 9, "latin2"},      {10, 10, "swe7"},
    {11, 11, "ascii"},     {12, 12, "ujis"},      {13, 13, "sjis"},      {14, 14, "cp1251"},    {15, 15, "latin1"},
    {16, 16, "hebrew"},    {18, 18, "tis620"},    {19, 19, "euckr"},     {20, 20, "latin7"},    {21, 21, "latin2"},
    {22, 22, "koi8u"},     {23, 23, "cp1251"},    {24, 24, "gb2312"},    {25, 25, "greek"},     {26, 26, "cp1250"},
    {27, 27, "latin2"},    {28, 28, "gbk"},       {29, 29, "cp1257"},    {30, 30, "latin5"},    {31, 31, "latin1"},
    {32, 32, "armscii8"},  {33, 33, "utf8mb3"},   {34, 34, "cp1250"},    {35, 35, "ucs2"},      {36, 36, "cp866"},
    {37, 37, "keybcs2"},   {38, 38, "macce"},     {39, 39, "macroman"},  {40, 40, "cp852"},     {41, 41, "latin7"},
    {42, 42, "latin7"},    {43, 43, "macce"},     {44, 44, "cp1250"},    {45, 46, "utf8mb4"},   {47, 49, "latin1"},
    {50, 52, "cp1251"},    {53, 53, "macroman"},  {54, 56, "utf16"},     {57, 57, "cp1256"},    {58, 59, "cp1257"},
    {60, 61, "utf32"},     {62, 62, "utf16le"},   {63, 63, "binary"},    {64, 64, "armscii8"},  {65, 65, "ascii"},
    {66, 66, "cp1250"},    {67, 67, "cp1256"},    {68, 68, "cp866"},     {69, 69, "dec8"},      {70, 70, "greek"},
    {71, 71, "hebrew"},    {72, 72, "hp8"},       {73, 73, "keybcs2"},   {74, 74, "koi8r"},     {75, 75, "koi8u"},
    {76, 76, "utf8mb3"},   {77, 77, "latin2"},    {78, 78, "latin5"},    {79, 79, "latin7"},    {80, 80, "cp850"},
    {81, 81, "cp852"},     {82, 82, "swe7"},      {83, 83, "utf8mb3"},   {84, 84, "big5"},      {85, 85, "euckr"},
    {86, 86, "gb2312"},    {87, 87, "gbk"},       {88, 88, "sjis"},      {89, 89, "tis620"},    {90, 90, "ucs2"},
    {91, 91, "ujis"},      {92, 92, "geostd8"},   {93, 93, "geostd8"},   {94, 94, "latin1"},    {95, 96, "cp932"},
    {97, 98, "eucjpms"},   {99, 99, "cp1250"},    {101, 124, "utf16"},   {128, 151, "ucs2"},    {159, 159, "ucs2"},
    {160, 183, "utf32"},   {192, 215, "utf8mb3"}, {223, 223, "utf8mb3"}, {224, 247, "utf8mb4"}, {248, 250, "gb18030"},
    {255, 323, "utf8mb4"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}
}  // namespace

std::string_view charsetOfCollation(uint16_t collation) {
    if (collation >= 2048) {
        // MariaDB 10.10+ UCA-14 collations: id = (charset bits << 8) | flags, in 2048..2303
        // for utf8mb3 and 2304..2559 for utf8mb4 (the two charsets MariaDB uses them with).
        if (collation < 2304) return "utf8mb3";
        if (collation < 2560) return "utf8mb4";
        return {};
    }
    for (const Range& r : kRanges)
        if (collation >= r.first && collation <= r.last) return r.charset;
    return {};
}

uint16_t defaultCollationForCharset(std::string_view charset) {
    std::string c = lower(charset);
    if (c == "utf8mb4") return 45;
    if (c == "utf8" || c == "utf8mb3") return 33;
    if (c == "latin1") return 8;
    if (c == "binary") return 63;
    if (c == "ascii") return 11;
    if (c == "gbk") return 28;
    if (c == "gb2312") return 24;
    if (c == "gb18030") return 248;
    if (c == "big5") return 1;
    if (c == "latin2") return 9;
    if (c == "cp1251") return 51;
    if (c == "cp1250") return 26;
    if (c == "ucs2") return 35;
    if (c == "utf16") return 54;
    if (c == "utf32") return 60;
    if (c == "sjis") return 13;
    if (c == "ujis") return 12;
    if (c == "euckr") return 19;
    return 0;
}

}  // namespace tidemark::binlog
