// Stream-level decoder: fed one raw event at a time (header + body [+ CRC32]) — what a binlog
// file holds after its magic, or a replication packet after its 0x00 OK byte — it keeps the
// state that later events depend on (format description, checksum algorithm, table maps,
// current file and position) and returns typed events with their rows decoded.
//
// Errors are BinlogError naming the event type, file and position: checksum mismatches,
// truncated events, non-ignorable unknown events, statement-based DML, INCIDENT, and events
// that cannot carry row changes in a ROW stream (LOAD DATA family, pre-GA rows events).
// After an error, do not feed the same decoder further events of that stream: restart from the
// last committed position with a fresh decoder.
//
// One decoder per stream; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runner/binlog/events.h"

namespace tidemark::binlog {

struct DecoderOptions {
    bool verifyChecksum = true;
    // Checksum of events that arrive before the first FDE (the server's fake ROTATE): whatever
    // the reader announced with SET @master_binlog_checksum. Files always start with the FDE.
    ChecksumAlg checksumBeforeFde = ChecksumAlg::Off;
    // Used when TABLE_MAP events carry no optional metadata. Not owned; may be null.
    const SchemaHints* hints = nullptr;
    // Throw on a QUERY that is statement-based DML (INSERT/UPDATE/DELETE/REPLACE/LOAD ...).
    bool rejectStatementDml = true;
};

class EventDecoder {
public:
    explicit EventDecoder(DecoderOptions options = {});
    ~EventDecoder();
    EventDecoder(EventDecoder&&) noexcept;
    EventDecoder& operator=(EventDecoder&&) noexcept;

    // Decodes one event and appends the result to `out`: usually one Event; a
    // TRANSACTION_PAYLOAD appends itself and then its inner events. `position` is the event's
    // start offset in the file when the caller knows it (file source); pass kUnknownPosition
    // and it is derived from the header's log_pos (network).
    static constexpr uint64_t kUnknownPosition = ~uint64_t{0};
    void decode(std::string_view raw, std::vector<Event>& out, uint64_t position = kUnknownPosition);
    void decode(std::string&& raw, std::vector<Event>& out, uint64_t position = kUnknownPosition);

    // Name of the binlog file being read, used in error messages and heartbeats. ROTATE events
    // update it.
    void setFile(std::string file);
    const std::string& file() const;
    // The FDE in force, or null before the first one.
    const FormatDescription* formatDescription() const;
    ChecksumAlg checksum() const;

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace tidemark::binlog
