// Decoded binlog events. An Event is one entry of the stream: the common header, where it sits
// in its binlog file, and a typed body.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runner/binlog/event_header.h"
#include "runner/binlog/table_map.h"
#include "runner/binlog/value.h"

namespace tidemark::binlog {

enum class ChecksumAlg : uint8_t { Off = 0, Crc32 = 1, Undefined = 255 };

struct FormatDescription {
    uint16_t binlogVersion = 4;
    std::string serverVersion;
    uint32_t createTimestamp = 0;
    uint8_t headerLength = 19;
    std::vector<uint8_t> postHeaderLengths;  // index = type - 1
    ChecksumAlg checksum = ChecksumAlg::Off;
    bool isMariaDB() const { return serverVersion.find("MariaDB") != std::string::npos; }
};

struct Rotate {
    uint64_t position = 0;
    std::string nextFile;
    bool fake = false;  // sent by the server on connect (timestamp 0 / artificial), not in the file
};

// StatementDml only appears when DecoderOptions::rejectStatementDml is off; otherwise such a
// QUERY is an error.
enum class QueryKind : uint8_t { Begin, Commit, Rollback, Savepoint, Xa, StatementDml, Other /* DDL, DCL */ };

struct Query {
    uint32_t threadId = 0;
    uint32_t execTime = 0;
    uint16_t errorCode = 0;
    std::string schema;
    std::string statement;  // bytes in charsetClient
    QueryKind kind = QueryKind::Other;
    uint32_t flags2 = 0;
    std::optional<uint64_t> sqlMode;
    std::optional<uint16_t> charsetClient, collationConnection, collationServer;
    std::string timeZone;
    std::optional<uint64_t> mariaXid;
};

struct Xid {
    uint64_t xid = 0;
};

struct TableMapEvent {
    std::shared_ptr<const TableMap> table;
};

enum class RowsKind : uint8_t { Write, Update, Delete };

// One changed row. For Write only `after` is filled, for Delete only `before`. Each image has one
// Value per table column; columns not in the image are Kind::Missing.
struct Row {
    std::vector<Value> before;
    std::vector<Value> after;
};

inline constexpr uint16_t kRowsFlagStmtEnd = 0x1;
inline constexpr uint16_t kRowsFlagNoForeignKeyChecks = 0x2;
inline constexpr uint16_t kRowsFlagRelaxedUniqueChecks = 0x4;

struct RowsEvent {
    RowsKind kind = RowsKind::Write;
    uint8_t version = 2;      // 1 or 2 (MySQL v2 carries extra data)
    bool partial = false;     // PARTIAL_UPDATE_ROWS
    bool compressed = false;  // MariaDB compressed rows event
    uint64_t tableId = 0;
    uint16_t flags = 0;
    std::optional<uint16_t> partitionId;
    // The TABLE_MAP it refers to; null only for the row-less "end of statement" event with the
    // dummy table id.
    std::shared_ptr<const TableMap> table;
    std::vector<Row> rows;
    bool stmtEnd() const { return (flags & kRowsFlagStmtEnd) != 0; }
};

// GTID, ANONYMOUS_GTID and (MySQL 8.3+) GTID_TAGGED: the transaction's id is sid (+ tag), gno.
struct MysqlGtid {
    bool anonymous = false;
    uint8_t flags = 0;  // 1 = may have changed data (commit flag)
    std::array<uint8_t, 16> sid{};
    std::string tag;  // empty = untagged; lower case (GTID_TAGGED events only)
    int64_t gno = 0;
    int64_t lastCommitted = 0;
    int64_t sequenceNumber = 0;
    uint64_t immediateCommitTs = 0;  // µs since epoch, 0 if not written (< 8.0.1)
    uint64_t originalCommitTs = 0;
    uint64_t transactionLength = 0;
    uint32_t immediateServerVersion = 0;
    uint32_t originalServerVersion = 0;
    std::string sidText() const;   // "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    std::string tsidText() const;  // sidText(), then ":tag" when tagged: what GtidSet::addMysql takes
    std::string text() const;      // "sid:gno" or "sid:tag:gno" ("ANONYMOUS" when anonymous)
};

struct GtidInterval {
    int64_t start = 0;
    int64_t end = 0;  // exclusive, as in the binlog
};

struct PreviousGtids {
    struct Sid {
        std::array<uint8_t, 16> sid{};
        std::string tag;  // empty = untagged
        std::vector<GtidInterval> intervals;
    };
    std::vector<Sid> sids;  // as written: by uuid, then tag, the untagged entry first
    // "uuid:1-5:7,uuid2:1-3:tag:1-2" (inclusive, as MySQL prints gtid sets)
    std::string text() const;
};

struct MariaGtid {
    uint64_t seqNo = 0;
    uint32_t domainId = 0;
    uint32_t serverId = 0;  // from the event header
    uint8_t flags2 = 0;
    uint64_t commitId = 0;                                    // group commit id when flags2 & 2
    std::string xid;                                          // XA transaction id bytes when flags2 & (0x40|0x80)
    bool standalone() const { return (flags2 & 0x01) != 0; }  // no COMMIT/XID follows (DDL)
    std::string text() const;                                 // "domain-server-seq"
};

struct MariaGtidList {
    struct Entry {
        uint32_t domainId = 0;
        uint32_t serverId = 0;
        uint64_t seqNo = 0;
    };
    std::vector<Entry> gtids;
};

struct BinlogCheckpoint {
    std::string file;
};

// MySQL ROWS_QUERY or MariaDB ANNOTATE_ROWS: the statement behind the next rows events.
struct RowsQuery {
    std::string statement;
};

// MySQL TRANSACTION_PAYLOAD. The decoder emits this event and then, flagged inPayload, every
// event it contained.
struct TransactionPayload {
    // 0 = zstd, 255 = none. MySQL writes the field only for compressed payloads, so an
    // absent field means none.
    uint64_t compression = 255;
    uint64_t payloadSize = 0;
    uint64_t uncompressedSize = 0;
    size_t innerEvents = 0;
};

struct Heartbeat {
    std::string file;       // current binlog file
    uint64_t position = 0;  // v1: header log_pos; v2: explicit
};

struct Stop {};

struct XaPrepare {
    bool onePhase = false;
    uint32_t formatId = 0;
    std::string gtrid;
    std::string bqual;
};

// INTVAR / RAND / USER_VAR: only meaningful for statement-based logging; in a ROW stream they
// precede a statement that is itself rejected, so they are surfaced, not applied.
struct StatementContext {
    EventType type = EventType::Unknown;
};

// An event that carries nothing for replication (ignorable unknown event, START_ENCRYPTION,
// group-replication context events). Kept so positions stay visible.
struct Skipped {
    uint8_t type = 0;
};

using EventBody = std::variant<Skipped, FormatDescription, Rotate, Query, Xid, TableMapEvent, RowsEvent, MysqlGtid,
                               PreviousGtids, MariaGtid, MariaGtidList, BinlogCheckpoint, RowsQuery, TransactionPayload,
                               Heartbeat, Stop, XaPrepare, StatementContext>;

struct Event {
    EventHeader header;
    uint64_t position = 0;      // start offset in its file; 0 for events the server made up
                                // (fake ROTATE, heartbeats, the FDE re-sent on connect)
    uint64_t nextPosition = 0;  // where the next event starts: the resume point after this one.
                                // Inside a TRANSACTION_PAYLOAD: the end of the payload event.
    bool inPayload = false;
    std::optional<uint32_t> checksum;  // stored CRC32 if the event carried one
    EventBody body;
    // Keeps the bytes that Values alias alive.
    std::shared_ptr<const std::string> storage;

    template <class T>
    const T* as() const {
        return std::get_if<T>(&body);
    }
};

}  // namespace tidemark::binlog
