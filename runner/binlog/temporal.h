// Binlog encodings of DATE/TIME/DATETIME/TIMESTAMP (old and 5.6.4+ "2" formats) and their
// canonical MySQL text.
#pragma once

#include <cstdint>
#include <string>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/value.h"

namespace tidemark::binlog {

Temporal readDate(ByteReader& r);                    // DATE: 3 bytes LE
Temporal readTimeOld(ByteReader& r);                 // TIME: 3 bytes signed HHMMSS
Temporal readDateTimeOld(ByteReader& r);             // DATETIME: u64 YYYYMMDDhhmmss
Temporal readTime2(ByteReader& r, uint8_t fsp);      // TIME2
Temporal readDateTime2(ByteReader& r, uint8_t fsp);  // DATETIME2
// TIMESTAMP2: BE seconds + fraction; returns seconds, sets micro.
uint32_t readTimestamp2(ByteReader& r, uint8_t fsp, uint32_t& micro);

// JSON opaque temporals use a packed int64 (intpart << 24 | micro), the DATETIME2/TIME2 layout
// without the offsets.
Temporal unpackDateTime(int64_t packed);
Temporal unpackTime(int64_t packed);

// Calendar fields of a UTC epoch second (proleptic Gregorian, no time zone involved).
Temporal civilFromEpoch(int64_t seconds);

// Canonical MySQL text. fsp 0 prints no fraction; otherwise exactly fsp digits (truncating µs).
std::string formatDate(const Temporal& t);
std::string formatTime(const Temporal& t, unsigned fsp);
std::string formatDateTime(const Temporal& t, unsigned fsp);

}  // namespace tidemark::binlog
