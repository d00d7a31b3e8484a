// MySQL binary DECIMAL (NEWDECIMAL) → exact decimal text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runner/binlog/byte_reader.h"

namespace tidemark::binlog {

// Bytes a DECIMAL(precision, scale) value occupies in a row image.
size_t decimalBinarySize(uint8_t precision, uint8_t scale);

// Reads one value and returns its text with exactly `scale` fraction digits ("-12.50", "0.00").
// Throws DecodeError on truncation or precision/scale that MySQL cannot produce.
std::string readDecimal(ByteReader& r, uint8_t precision, uint8_t scale);

}  // namespace tidemark::binlog
