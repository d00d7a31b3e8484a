#include "runner/binlog/byte_reader.h"

#include <cstdio>
#include <string>

namespace tidemark::binlog {

void ByteReader::throwShort(size_t n) const {
    throw DecodeError("truncated: need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
}

std::string ByteReader::hexByte(uint8_t b) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", b);
    return buf;
}

}  // namespace tidemark::binlog
