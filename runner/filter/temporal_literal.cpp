#include "runner/filter/temporal_literal.h"

#include <cstdio>

#include "runner/binlog/temporal.h"

namespace tidemark::filter {

namespace {
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMaxTimeMicros = (838LL * 3600 + 59 * 60 + 59) * kMicrosPerSecond;

int64_t pack(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute, int64_t second, int64_t micro) {
    const int64_t days = (year * 13 + month) * 32 + day;
    return ((days * 24 + hour) * 60 + minute) * 60 * kMicrosPerSecond + second * kMicrosPerSecond + micro;
}

// Reads exactly `width` digits from the front of `s`.
std::optional<int> digits(std::string_view& s, size_t width) {
    if (s.size() < width) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < width; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(width);
    return v;
}

bool take(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// '.f{1,6}' if present, as microseconds; nullopt when malformed.
std::optional<int> fraction(std::string_view& s) {
    if (!take(s, '.')) return 0;
    size_t n = 0;
    int micro = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') micro = micro * 10 + (s[n++] - '0');
    if (n == 0 || n > 6) return std::nullopt;
    s.remove_prefix(n);
    for (size_t i = n; i < 6; ++i) micro *= 10;
    return micro;
}

bool leapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leapYear(year) ? 29 : kDays[month - 1];
}

bool realOrZeroDate(int year, int month, int day) {
    if (year == 0 && month == 0 && day == 0) return true;
    return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

std::string twoDigits(int64_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(v));
    return buf;
}
}  // namespace

std::optional<int64_t> parseDateTimeLiteral(std::string_view s, bool allowTime) {
    const auto year = digits(s, 4);
    if (!year || !take(s, '-')) return std::nullopt;
    const auto month = digits(s, 2);
    if (!month || !take(s, '-')) return std::nullopt;
    const auto day = digits(s, 2);
    if (!day || !realOrZeroDate(*year, *month, *day)) return std::nullopt;
    if (s.empty()) return pack(*year, *month, *day, 0, 0, 0, 0);
    if (!allowTime || !take(s, ' ')) return std::nullopt;
    const auto hour = digits(s, 2);
    if (!hour || *hour > 23 || !take(s, ':')) return std::nullopt;
    const auto minute = digits(s, 2);
    if (!minute || *minute > 59 || !take(s, ':')) return std::nullopt;
    const auto second = digits(s, 2);
    if (!second || *second > 59) return std::nullopt;
    const auto micro = fraction(s);
    if (!micro || !s.empty()) return std::nullopt;
    return pack(*year, *month, *day, *hour, *minute, *second, *micro);
}

std::optional<int64_t> parseTimeLiteral(std::string_view s) {
    const bool negative = take(s, '-');
    size_t hourDigits = 0;
    while (hourDigits < s.size() && s[hourDigits] >= '0' && s[hourDigits] <= '9') ++hourDigits;
    if (hourDigits == 0 || hourDigits > 3) return std::nullopt;
    const auto hour = digits(s, hourDigits);
    if (!take(s, ':')) return std::nullopt;
    const auto minute = digits(s, 2);
    if (!minute || *minute > 59 || !take(s, ':')) return std::nullopt;
    const auto second = digits(s, 2);
    if (!second || *second > 59) return std::nullopt;
    const auto micro = fraction(s);
    if (!micro || !s.empty()) return std::nullopt;
    const int64_t magnitude = (*hour * 3600LL + *minute * 60 + *second) * kMicrosPerSecond + *micro;
    if (magnitude > kMaxTimeMicros) return std::nullopt;
    return negative ? -magnitude : magnitude;
}

int64_t dateTimeKey(const binlog::Temporal& t) {
    return pack(t.year, t.month, t.day, t.hour, t.minute, t.second, t.micro);
}

int64_t timestampKey(int64_t epochSeconds, uint32_t micro) {
    if (epochSeconds == 0) return pack(0, 0, 0, 0, 0, 0, micro);
    binlog::Temporal t = binlog::civilFromEpoch(epochSeconds);
    t.micro = micro;
    return dateTimeKey(t);
}

int64_t timeMicros(const binlog::Temporal& t) {
    const int64_t magnitude = (t.hour * 3600LL + t.minute * 60 + t.second) * kMicrosPerSecond + t.micro;
    return t.negative ? -magnitude : magnitude;
}

std::string formatDateTimeKey(int64_t key, bool dateOnly) {
    const int64_t micro = key % kMicrosPerSecond;
    int64_t rest = key / kMicrosPerSecond;
    const int64_t second = rest % 60, minute = rest / 60 % 60, hour = rest / 3600 % 24;
    const int64_t days = rest / 86400;
    const int64_t day = days % 32, month = days / 32 % 13, year = days / 32 / 13;
    char date[16];
    std::snprintf(date, sizeof date, "%04d-", static_cast<int>(year));
    std::string out = date + twoDigits(month) + "-" + twoDigits(day);
    if (dateOnly) return out;
    char micros[8];
    std::snprintf(micros, sizeof micros, "%06d", static_cast<int>(micro));
    return out + " " + twoDigits(hour) + ":" + twoDigits(minute) + ":" + twoDigits(second) + "." + micros;
}

std::string formatTimeMicros(int64_t micros) {
    const bool negative = micros < 0;
    const int64_t magnitude = negative ? -micros : micros;
    const int64_t seconds = magnitude / kMicrosPerSecond;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%02d:%02d:%02d.%06d", negative ? "-" : "", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
                  static_cast<int>(magnitude % kMicrosPerSecond));
    return buf;
}

}  // namespace tidemark::filter
