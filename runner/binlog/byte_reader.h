// Bounds-checked little-endian cursor over an event's bytes.
//
// Contract: every read either succeeds or throws DecodeError; a reader never touches memory
// outside the span it was given. Returned string_views alias that span, so they live as long
// as the buffer the caller owns. Inline on purpose: it is the innermost loop of row decoding.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "runner/binlog/errors.h"

namespace tidemark::binlog {

class ByteReader {
public:
    ByteReader() = default;
    explicit ByteReader(std::span<const uint8_t> bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
    ByteReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    bool empty() const { return p_ == end_; }
    const uint8_t* data() const { return p_; }

    void need(size_t n) const {
        if (remaining() < n) throwShort(n);
    }
    void skip(size_t n) {
        need(n);
        p_ += n;
    }

    uint8_t u8() {
        need(1);
        return *p_++;
    }
    uint16_t u16() { return static_cast<uint16_t>(uintLE(2)); }
    uint32_t u24() { return static_cast<uint32_t>(uintLE(3)); }
    uint32_t u32() { return static_cast<uint32_t>(uintLE(4)); }
    uint64_t u48() { return uintLE(6); }
    uint64_t u64() { return uintLE(8); }

    // Unsigned little-endian integer of 1..8 bytes.
    uint64_t uintLE(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
        p_ += n;
        return v;
    }
    // Unsigned big-endian integer of 1..8 bytes (temporal and decimal encodings use these).
    uint64_t uintBE(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v = (v << 8) | p_[i];
        p_ += n;
        return v;
    }
    // Signed little-endian integer of n bytes, sign-extended from bit 8n-1.
    int64_t intLE(size_t n) {
        uint64_t v = uintLE(n);
        if (n < 8 && (v & (uint64_t{1} << (8 * n - 1)))) v |= ~uint64_t{0} << (8 * n);
        return static_cast<int64_t>(v);
    }

    // MySQL "packed" (length-encoded) integer: <251 inline, 0xFC u16, 0xFD u24, 0xFE u64.
    uint64_t packed() {
        uint8_t b = u8();
        if (b < 251) return b;
        if (b == 0xFC) return uintLE(2);
        if (b == 0xFD) return uintLE(3);
        if (b == 0xFE) return uintLE(8);
        throw DecodeError("invalid length-encoded integer prefix 0x" + hexByte(b));
    }

    std::string_view bytes(size_t n) {
        need(n);
        std::string_view v(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return v;
    }
    std::span<const uint8_t> span(size_t n) {
        need(n);
        std::span<const uint8_t> v(p_, n);
        p_ += n;
        return v;
    }
    std::string_view rest() { return bytes(remaining()); }
    std::string_view packedBytes() { return bytes(checkedSize(packed())); }

    double f64() {
        uint64_t v = u64();
        double d;
        std::memcpy(&d, &v, 8);
        return d;
    }
    float f32() {
        uint32_t v = u32();
        float f;
        std::memcpy(&f, &v, 4);
        return f;
    }

    static size_t checkedSize(uint64_t n) {
        if (n > SIZE_MAX) throw DecodeError("length does not fit in memory");
        return static_cast<size_t>(n);
    }

private:
    [[noreturn]] void throwShort(size_t n) const;
    static std::string hexByte(uint8_t b);

    const uint8_t* p_ = nullptr;
    const uint8_t* end_ = nullptr;
};

}  // namespace tidemark::binlog
