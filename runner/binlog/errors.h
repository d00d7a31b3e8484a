// Exceptions thrown by the binlog decoder.
//
// DecodeError is what low-level parsing throws (truncated buffer, impossible value); it knows
// nothing about where in the stream it happened. EventDecoder catches it and rethrows a
// BinlogError that names the event type, binlog file and position, which is what a user needs
// to find the event with mysqlbinlog.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tidemark::binlog {

class DecodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class BinlogError : public std::runtime_error {
public:
    BinlogError(std::string message, std::string file, uint64_t position, uint8_t eventType)
        : std::runtime_error(std::move(message)), file_(std::move(file)), position_(position), eventType_(eventType) {}
    const std::string& file() const { return file_; }
    // Start offset of the offending event in its binlog file (0 when unknown).
    uint64_t position() const { return position_; }
    uint8_t eventType() const { return eventType_; }

private:
    std::string file_;
    uint64_t position_;
    uint8_t eventType_;
};

}  // namespace tidemark::binlog
