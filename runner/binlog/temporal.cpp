#include "runner/binlog/temporal.h"

#include <cstdio>

namespace tidemark::binlog {

namespace {
constexpr int64_t kTimeIntOffset = 0x800000;
constexpr int64_t kTimeOffset = 0x800000000000LL;
constexpr int64_t kDateTimeIntOffset = 0x8000000000LL;

// Fractional seconds after a TIME2/DATETIME2/TIMESTAMP2: 0-3 big-endian bytes by precision.
uint32_t readFraction(ByteReader& r, uint8_t fsp) {
    switch ((fsp + 1) / 2) {
        case 0: return 0;
        case 1: return static_cast<uint32_t>(r.uintBE(1)) * 10000;
        case 2: return static_cast<uint32_t>(r.uintBE(2)) * 100;
        case 3: return static_cast<uint32_t>(r.uintBE(3));
        default: throw DecodeError("fractional second precision " + std::to_string(fsp) + " > 6");
    }
}

void checkFsp(uint8_t fsp) {
    if (fsp > 6) throw DecodeError("fractional second precision " + std::to_string(fsp) + " > 6");
}

Temporal fromHms(int64_t hms, int64_t micro, bool negative) {
    Temporal t;
    t.negative = negative;
    t.hour = static_cast<uint16_t>((hms >> 12) % (1 << 10));
    t.minute = static_cast<uint8_t>((hms >> 6) % (1 << 6));
    t.second = static_cast<uint8_t>(hms % (1 << 6));
    t.micro = static_cast<uint32_t>(micro);
    return t;
}

Temporal fromYmdhms(int64_t ymdhms, int64_t micro) {
    Temporal t;
    int64_t ymd = ymdhms >> 17;
    int64_t ym = ymd >> 5;
    int64_t hms = ymdhms % (1 << 17);
    t.year = static_cast<uint16_t>(ym / 13);
    t.month = static_cast<uint8_t>(ym % 13);
    t.day = static_cast<uint8_t>(ymd % (1 << 5));
    t.hour = static_cast<uint16_t>(hms >> 12);
    t.minute = static_cast<uint8_t>((hms >> 6) % (1 << 6));
    t.second = static_cast<uint8_t>(hms % (1 << 6));
    t.micro = static_cast<uint32_t>(micro);
    return t;
}

void appendFraction(std::string& s, uint32_t micro, unsigned fsp) {
    if (fsp == 0) return;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06u", micro % 1000000);
    s += '.';
    s.append(buf, fsp > 6 ? 6 : fsp);
}
}  // namespace

Temporal readDate(ByteReader& r) {
    uint32_t v = r.u24();
    Temporal t;
    t.day = static_cast<uint8_t>(v & 31);
    t.month = static_cast<uint8_t>((v >> 5) & 15);
    t.year = static_cast<uint16_t>(v >> 9);
    return t;
}

Temporal readTimeOld(ByteReader& r) {
    int64_t v = r.intLE(3);
    Temporal t;
    t.negative = v < 0;
    if (v < 0) v = -v;
    t.hour = static_cast<uint16_t>(v / 10000);
    t.minute = static_cast<uint8_t>((v / 100) % 100);
    t.second = static_cast<uint8_t>(v % 100);
    return t;
}

Temporal readDateTimeOld(ByteReader& r) {
    uint64_t v = r.u64();
    uint64_t date = v / 1000000, time = v % 1000000;
    Temporal t;
    t.year = static_cast<uint16_t>(date / 10000);
    t.month = static_cast<uint8_t>((date / 100) % 100);
    t.day = static_cast<uint8_t>(date % 100);
    t.hour = static_cast<uint16_t>(time / 10000);
    t.minute = static_cast<uint8_t>((time / 100) % 100);
    t.second = static_cast<uint8_t>(time % 100);
    return t;
}

Temporal readTime2(ByteReader& r, uint8_t fsp) {
    checkFsp(fsp);
    int64_t packed;  // intpart << 24 | fraction, signed
    if (fsp >= 5) {
        packed = static_cast<int64_t>(r.uintBE(6)) - kTimeOffset;
    } else {
        int64_t intPart = static_cast<int64_t>(r.uintBE(3)) - kTimeIntOffset;
        int64_t frac = 0;
        if (fsp >= 1) {
            bool twoBytes = fsp >= 3;
            frac = static_cast<int64_t>(r.uintBE(twoBytes ? 2 : 1));
            // Negative values store the fraction as a complement that borrows from the integer
            // part: -00:00:01.5 is intpart -2, frac 0x80 → -1 s, -0.5 s.
            if (intPart < 0 && frac != 0) {
                intPart++;
                frac -= twoBytes ? 0x10000 : 0x100;
            }
            frac *= twoBytes ? 100 : 10000;
        }
        packed = intPart * (int64_t{1} << 24) + frac;
    }
    return unpackTime(packed);
}

Temporal readDateTime2(ByteReader& r, uint8_t fsp) {
    checkFsp(fsp);
    int64_t intPart = static_cast<int64_t>(r.uintBE(5)) - kDateTimeIntOffset;
    uint32_t frac = readFraction(r, fsp);
    if (intPart < 0) intPart = -intPart;  // MySQL never writes negative DATETIMEs
    return fromYmdhms(intPart, frac);
}

uint32_t readTimestamp2(ByteReader& r, uint8_t fsp, uint32_t& micro) {
    checkFsp(fsp);
    uint32_t sec = static_cast<uint32_t>(r.uintBE(4));
    micro = readFraction(r, fsp);
    return sec;
}

Temporal unpackDateTime(int64_t packed) {
    if (packed < 0) packed = -packed;
    return fromYmdhms(packed >> 24, packed % (int64_t{1} << 24));
}

Temporal unpackTime(int64_t packed) {
    bool negative = packed < 0;
    if (negative) packed = -packed;
    return fromHms(packed >> 24, packed % (int64_t{1} << 24), negative);
}

Temporal civilFromEpoch(int64_t seconds) {
    // Howard Hinnant's days_from_civil inverse.
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    Temporal t;
    t.year = static_cast<uint16_t>(y + (m <= 2));
    t.month = static_cast<uint8_t>(m);
    t.day = static_cast<uint8_t>(d);
    t.hour = static_cast<uint16_t>(rem / 3600);
    t.minute = static_cast<uint8_t>((rem / 60) % 60);
    t.second = static_cast<uint8_t>(rem % 60);
    return t;
}

std::string formatDate(const Temporal& t) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", t.year % 10000u, t.month % 100u, t.day % 100u);
    return buf;
}

std::string formatTime(const Temporal& t, unsigned fsp) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u", t.negative ? "-" : "", static_cast<unsigned>(t.hour),
                  t.minute % 100u, t.second % 100u);
    std::string s(buf);
    appendFraction(s, t.micro, fsp);
    return s;
}

std::string formatDateTime(const Temporal& t, unsigned fsp) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u", t.year % 10000u, t.month % 100u, t.day % 100u,
                  t.hour % 100u, t.minute % 100u, t.second % 100u);
    std::string s(buf);
    appendFraction(s, t.micro, fsp);
    return s;
}

}  // namespace tidemark::binlog
