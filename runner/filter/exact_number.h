// Exact decimal numbers as normalized text, the way the filter compares integers, DECIMALs,
// YEARs and BITs with its integer and decimal literals: no rounding, no binary floating point.
//
// Normalized text: an optional '-', the integer digits without leading zeros ("0" when none),
// and, when the number has a fraction, '.' and its digits without trailing zeros. Zero is "0"
// (never "-0"). Every function here that returns text returns it normalized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidemark::filter {

// `text` ("-0012.50", "7", ".5", "5.") normalized, or nullopt when it is not a decimal number.
std::optional<std::string> normalizeDecimal(std::string_view text);

std::string decimalFromInt(int64_t v);
std::string decimalFromUInt(uint64_t v);

// -1, 0 or 1 as a < b, a == b, a > b; both must be normalized.
int compareDecimal(std::string_view a, std::string_view b);

// Whether a normalized number has no fraction.
bool isInteger(std::string_view normalized);

}  // namespace tidemark::filter
