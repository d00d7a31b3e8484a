#include "runner/filter/exact_number.h"

#include <cctype>

namespace tidemark::filter {

namespace {
bool allDigits(std::string_view s) {
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// The integer and fraction digits of a normalized number without its sign.
struct Parts {
    std::string_view whole, fraction;
};
Parts partsOf(std::string_view magnitude) {
    const size_t dot = magnitude.find('.');
    if (dot == std::string_view::npos) return {magnitude, {}};
    return {magnitude.substr(0, dot), magnitude.substr(dot + 1)};
}

int compareMagnitude(std::string_view a, std::string_view b) {
    const Parts x = partsOf(a), y = partsOf(b);
    if (x.whole.size() != y.whole.size()) return x.whole.size() < y.whole.size() ? -1 : 1;
    if (int c = x.whole.compare(y.whole)) return c < 0 ? -1 : 1;
    // Fractions have no trailing zeros, so comparing them as strings is comparing them as numbers.
    if (int c = x.fraction.compare(y.fraction)) return c < 0 ? -1 : 1;
    return 0;
}
}  // namespace

std::optional<std::string> normalizeDecimal(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    const size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if ((whole.empty() && fraction.empty()) || !allDigits(whole) || !allDigits(fraction)) return std::nullopt;
    while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
    std::string out;
    if (negative && !(whole.empty() && fraction.empty())) out += '-';
    out += whole.empty() ? std::string_view("0") : whole;
    if (!fraction.empty()) {
        out += '.';
        out += fraction;
    }
    return out;
}

std::string decimalFromInt(int64_t v) {
    if (v >= 0) return std::to_string(v);
    // -(v + 1) + 1 avoids overflowing on INT64_MIN.
    return "-" + std::to_string(static_cast<uint64_t>(-(v + 1)) + 1);
}

std::string decimalFromUInt(uint64_t v) { return std::to_string(v); }

int compareDecimal(std::string_view a, std::string_view b) {
    const bool aNegative = !a.empty() && a[0] == '-', bNegative = !b.empty() && b[0] == '-';
    if (aNegative != bNegative) return aNegative ? -1 : 1;
    if (aNegative) return -compareMagnitude(a.substr(1), b.substr(1));
    return compareMagnitude(a, b);
}

bool isInteger(std::string_view normalized) { return normalized.find('.') == std::string_view::npos; }

}  // namespace tidemark::filter
