// Bytes as hexadecimal digits and back: the one implementation behind SQL hex literals
// (db::hexLiteral), chunk bounds in checkpoints (copy/chunk_range.h), XA ids (replay/xa_xid.h)
// and values quoted in messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tidemark::db {

// Appends two digits per byte, lower case unless `upper`.
inline void appendHex(std::string& out, std::string_view bytes, bool upper = false) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    out.reserve(out.size() + bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
}

inline std::string toHex(std::string_view bytes, bool upper = false) {
    std::string out;
    appendHex(out, bytes, upper);
    return out;
}

// The value of one hex digit (either case), or -1.
inline int hexDigitValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The bytes `digits` spell (either case); nullopt for an odd count or a character that is not
// a hex digit.
inline std::optional<std::string> fromHex(std::string_view digits) {
    if (digits.size() % 2) return std::nullopt;
    std::string out;
    out.reserve(digits.size() / 2);
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        const int hi = hexDigitValue(digits[i]), lo = hexDigitValue(digits[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

}  // namespace tidemark::db
