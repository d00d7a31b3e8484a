// Dates, times and datetimes as the filter compares them: string literals parsed once at bind
// time, and decoded row values, reduced to one integer each so comparing is integer comparing.
//
// A datetime key packs year, month, day, hour, minute, second and microsecond in that order of
// significance, so keys order as MySQL orders DATE/DATETIME/TIMESTAMP values, including the zero
// date and the partial or invalid dates a non-strict source holds (2021-02-30, 2020-00-15).
// A TIME is its signed length in microseconds (-838:59:59 .. 838:59:59).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runner/binlog/value.h"

namespace tidemark::filter {

// 'YYYY-MM-DD' (and, when `allowTime`, 'YYYY-MM-DD hh:mm:ss[.f{1,6}]'): a real calendar date
// or the zero date 0000-00-00; nullopt for anything else.
std::optional<int64_t> parseDateTimeLiteral(std::string_view text, bool allowTime);
// '[-]h{1,3}:mm:ss[.f{1,6}]' within -838:59:59 .. 838:59:59, or nullopt.
std::optional<int64_t> parseTimeLiteral(std::string_view text);

// DATE/DATETIME fields, or a TIMESTAMP's UTC epoch seconds and microseconds (0 seconds is the
// zero timestamp, 0000-00-00 00:00:00, as MySQL stores it).
int64_t dateTimeKey(const binlog::Temporal& t);
int64_t timestampKey(int64_t epochSeconds, uint32_t micro);
int64_t timeMicros(const binlog::Temporal& t);

// Literal text for SQL: 'YYYY-MM-DD' when `dateOnly`, else 'YYYY-MM-DD hh:mm:ss.ffffff'.
std::string formatDateTimeKey(int64_t key, bool dateOnly);
std::string formatTimeMicros(int64_t micros);  // '[-]hh:mm:ss.ffffff'

}  // namespace tidemark::filter
