// Decompression used by the decoder: MariaDB's zlib-compressed events and columns, MySQL's
// zstd transaction payloads. All throw DecodeError on corrupt input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidemark::binlog {

// MariaDB log_bin_compress (QUERY_COMPRESSED, *_ROWS_COMPRESSED): u8 (0x80 | alg << 4 | n),
// n bytes big-endian original length, then a zlib stream.
std::string inflateMariaEvent(std::string_view in);

// MariaDB column compression (COMPRESSED attribute, column types 140/141): one header byte,
// then either the raw value (header without 0x80) or a big-endian original length and a
// zlib (or raw deflate, header bit 0x08) stream.
std::string inflateMariaColumn(std::string_view stored);

// One or more zstd frames; `expected` (0 = unknown) only pre-sizes the output.
std::string zstdDecompress(std::string_view in, uint64_t expected);

}  // namespace tidemark::binlog
