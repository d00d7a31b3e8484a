// Reads a binlog file from disk (magic "\xfebin", then events) and yields decoded events
// through the same EventDecoder a network reader uses, so fixtures replay without a server.
// A file its server still has open (copied while it runs, or left by a crash) reads like a
// closed one: its FORMAT_DESCRIPTION's "in use" flag does not fail the CRC check. (A copy that
// ends inside an event still fails there, see next().)
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <memory>
#include <string>

#include "runner/binlog/event_decoder.h"

namespace tidemark::binlog {

class BinlogFileSource {
public:
    // Opens `path` and checks the magic. Throws BinlogError if the file cannot be read or is
    // not a binlog. The decoder's file name is the path's last component.
    explicit BinlogFileSource(const std::string& path, DecoderOptions options = {});
    // Reads from an already open stream (e.g. a decompressed fixture); `name` is the binlog
    // file name used in positions and error messages.
    BinlogFileSource(std::unique_ptr<std::istream> in, std::string name, DecoderOptions options = {});

    // Next event, in file order (events inside a TRANSACTION_PAYLOAD follow the payload
    // event). Returns false at the end of the file. Throws BinlogError on a corrupt,
    // truncated (mid-event) or undecodable event, and on an encrypted (MariaDB) file.
    bool next(Event& out);

    // Offset of the next raw event to read.
    uint64_t offset() const { return offset_; }
    EventDecoder& decoder() { return decoder_; }

private:
    void checkMagic();
    bool readRaw(std::string& raw);

    std::string path_;
    std::unique_ptr<std::istream> in_;
    uint64_t offset_ = 0;
    EventDecoder decoder_;
    std::vector<Event> pending_;
    size_t pendingIndex_ = 0;
};

}  // namespace tidemark::binlog
