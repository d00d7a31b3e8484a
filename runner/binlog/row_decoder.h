// Decoding of the row images inside WRITE/UPDATE/DELETE/PARTIAL_UPDATE_ROWS events.
// Internal to the decoder; EventDecoder calls it with the TABLE_MAP the event refers to.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/events.h"
#include "runner/binlog/table_map.h"

namespace tidemark::binlog {

// Bitmap of the columns present in an image (LSB-first, one bit per table column).
struct ColumnBitmap {
    std::string_view bits;
    size_t columns = 0;
    bool test(size_t i) const { return (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1; }
    size_t count() const;
};

// Decodes every row in `rows` (the bytes after the bitmaps) into ev.rows. `first` is the
// present-column bitmap of the only image (Write, Delete) or of the before image (Update);
// `second` is the after image's, used by Update only.
void decodeRowImages(ByteReader rows, const TableMap& table, RowsEvent& ev, const ColumnBitmap& first,
                     const ColumnBitmap& second);

// One column value as stored in a row image. Throws DecodeError.
void readColumnValue(ByteReader& r, const ColumnDef& c, Value& v);

}  // namespace tidemark::binlog
