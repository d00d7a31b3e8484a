// The v4 common event header (19 bytes) and the event type numbers of MySQL and MariaDB.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tidemark::binlog {

enum class EventType : uint8_t {
    Unknown = 0,
    StartV3 = 1,
    Query = 2,
    Stop = 3,
    Rotate = 4,
    Intvar = 5,
    Load = 6,
    Slave = 7,
    CreateFile = 8,
    AppendBlock = 9,
    ExecLoad = 10,
    DeleteFile = 11,
    NewLoad = 12,
    Rand = 13,
    UserVar = 14,
    FormatDescription = 15,
    Xid = 16,
    BeginLoadQuery = 17,
    ExecuteLoadQuery = 18,
    TableMap = 19,
    PreGaWriteRows = 20,
    PreGaUpdateRows = 21,
    PreGaDeleteRows = 22,
    WriteRowsV1 = 23,
    UpdateRowsV1 = 24,
    DeleteRowsV1 = 25,
    Incident = 26,
    Heartbeat = 27,
    Ignorable = 28,
    RowsQuery = 29,
    WriteRowsV2 = 30,
    UpdateRowsV2 = 31,
    DeleteRowsV2 = 32,
    Gtid = 33,
    AnonymousGtid = 34,
    PreviousGtids = 35,
    TransactionContext = 36,
    ViewChange = 37,
    XaPrepare = 38,
    PartialUpdateRows = 39,
    TransactionPayload = 40,
    HeartbeatV2 = 41,
    GtidTagged = 42,
    // MariaDB
    AnnotateRows = 160,
    BinlogCheckpoint = 161,
    MariaGtid = 162,
    MariaGtidList = 163,
    StartEncryption = 164,
    QueryCompressed = 165,
    WriteRowsCompressedV1 = 166,
    UpdateRowsCompressedV1 = 167,
    DeleteRowsCompressedV1 = 168,
    WriteRowsCompressedV2 = 169,
    UpdateRowsCompressedV2 = 170,
    DeleteRowsCompressedV2 = 171,
};

// Human-readable name for messages ("WRITE_ROWS_V2", "UNKNOWN(100)").
std::string eventTypeName(uint8_t type);

inline constexpr size_t kHeaderSize = 19;
inline constexpr uint16_t kFlagBinlogInUse = 0x1;  // LOG_EVENT_BINLOG_IN_USE_F: FDE of an open file
inline constexpr uint16_t kFlagArtificial = 0x20;
inline constexpr uint16_t kFlagIgnorable = 0x80;  // LOG_EVENT_IGNORABLE_F: skip if unknown

struct EventHeader {
    uint32_t timestamp = 0;
    uint8_t type = 0;  // raw, so unknown types survive into error messages
    uint32_t serverId = 0;
    uint32_t eventSize = 0;  // header + body + checksum
    uint32_t logPos = 0;     // end position of this event in its file (0 for fake/inner events)
    uint16_t flags = 0;

    EventType eventType() const { return static_cast<EventType>(type); }
};

// Parses the 19-byte header. Requires bytes.size() >= 19; throws DecodeError otherwise.
EventHeader parseEventHeader(std::span<const uint8_t> bytes);

}  // namespace tidemark::binlog
