#include "runner/binlog/decimal.h"

#include <array>

namespace tidemark::binlog {

namespace {
constexpr int kDigitsPerGroup = 9;
constexpr std::array<int, 10> kDigitBytes = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

uint32_t readGroup(const uint8_t* p, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

void appendPadded(std::string& out, uint32_t v, int digits) {
    char buf[16];
    for (int i = digits - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    out.append(buf, static_cast<size_t>(digits));
}
}  // namespace

size_t decimalBinarySize(uint8_t precision, uint8_t scale) {
    int intg = precision - scale;
    return static_cast<size_t>((intg / kDigitsPerGroup) * 4 + kDigitBytes[intg % kDigitsPerGroup] +
                               (scale / kDigitsPerGroup) * 4 + kDigitBytes[scale % kDigitsPerGroup]);
}

std::string readDecimal(ByteReader& r, uint8_t precision, uint8_t scale) {
    if (precision == 0 || precision > 65 || scale > 30 || scale > precision)
        throw DecodeError("invalid DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")");
    const int intg = precision - scale;
    const int intg0 = intg / kDigitsPerGroup, intg0x = intg % kDigitsPerGroup;
    const int frac0 = scale / kDigitsPerGroup, frac0x = scale % kDigitsPerGroup;
    const size_t size = decimalBinarySize(precision, scale);

    // At most 30 bytes: copy so the sign flips don't touch the event buffer.
    std::array<uint8_t, 40> b{};
    std::span<const uint8_t> src = r.span(size);
    std::copy(src.begin(), src.end(), b.begin());
    // The sign lives in the top bit of the first byte (set = positive); negatives are stored
    // as the one's complement of every byte so that binary order matches numeric order.
    const bool negative = (b[0] & 0x80) == 0;
    b[0] ^= 0x80;
    if (negative)
        for (size_t i = 0; i < size; ++i) b[i] ^= 0xFF;

    std::string intText;
    const uint8_t* p = b.data();
    if (intg0x > 0) {
        appendPadded(intText, readGroup(p, kDigitBytes[intg0x]), intg0x);
        p += kDigitBytes[intg0x];
    }
    for (int i = 0; i < intg0; ++i, p += 4) appendPadded(intText, readGroup(p, 4), kDigitsPerGroup);
    size_t firstNonZero = intText.find_first_not_of('0');
    intText = firstNonZero == std::string::npos ? "0" : intText.substr(firstNonZero);

    std::string fracText;
    for (int i = 0; i < frac0; ++i, p += 4) appendPadded(fracText, readGroup(p, 4), kDigitsPerGroup);
    if (frac0x > 0) appendPadded(fracText, readGroup(p, kDigitBytes[frac0x]), frac0x);

    std::string out;
    out.reserve(intText.size() + fracText.size() + 2);
    bool isZero = intText == "0" && fracText.find_first_not_of('0') == std::string::npos;
    if (negative && !isZero) out += '-';
    out += intText;
    if (scale > 0) {
        out += '.';
        out += fracText;
    }
    return out;
}

}  // namespace tidemark::binlog
