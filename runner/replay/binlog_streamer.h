// Replication from a MySQL or MariaDB source over a libmariadb connection, with the project's own
// COM_REGISTER_SLAVE, COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID packets.
//
// A background thread reads event packets off the socket into a bounded buffer, so the network
// never waits for decoding; next() hands out raw events (header + body + checksum, the 0x00 OK
// byte removed) for the caller's binlog::EventDecoder, which must run on the caller's thread
// because table-map decoding consults the schema tracker at that point of the stream.
//
// Errors from next(): ReplayError with retryable() = true when the connection was lost, killed
// or the source restarted (transientStreamError(); the caller reconnects from its last
// checkpoint, with backoff), false for a purged binlog (error 1236: the message names the
// missing file and the retention setting to raise), missing GTIDs and other refusals.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "runner/binlog/events.h"
#include "runner/replay/position.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

struct StreamerOptions {
    uint32_t serverId = 0;  // 0: derived from the replica name (stable per job, unique per job)
    std::string replicaName = "tidemark";
    std::chrono::milliseconds heartbeat{1000};
    size_t maxBufferedBytes = 64u << 20;
};

// What the source says about itself and where the stream starts.
struct SourceInfo {
    bool mariadb = false;
    std::string version;
    binlog::ChecksumAlg checksum = binlog::ChecksumAlg::Off;  // what we announced
    Position start;                                           // resolved start: file/pos as sent; gtidSet when known
    // False when the source logs GTIDs but the set executed at `start` could not be read: the
    // GTIDs that follow are then no complete executed set, and must not be used to resume.
    bool gtidKnown = true;
};

// Whether a binlog-stream error code is transient (dialect::classify says Reconnect or
// RetryTxn for the source's flavor): the connection was lost, timed out, killed (KILL of the
// dump thread) or the source is shutting down. Replay then reconnects from its last
// checkpoint with backoff. Error 1236 (the source cannot serve the position: purged binlog,
// missing GTIDs) and other refusals are not.
bool transientStreamError(unsigned code, bool mariadb);

// A replica server id for `name`: stable for a job, distinct between jobs, and outside the range
// people give real replicas (it has bit 30 set).
uint32_t replicaServerId(const std::string& name);

// The source's current binlog position and GTID set (db::readBinlogStatus); throws ReplayError when
// binary logging is off.
Position currentSourcePosition(db::Connection& source);

class BinlogStreamer {
public:
    BinlogStreamer(db::ConnectOptions source, StreamerOptions options);
    ~BinlogStreamer();
    BinlogStreamer(const BinlogStreamer&) = delete;
    BinlogStreamer& operator=(const BinlogStreamer&) = delete;

    // Connects, sets up the session and sends the dump command. `from`: a file/pos; or only a
    // gtidSet (GTID auto-positioning); or nothing (start "now"). Throws db::DbError or
    // ReplayError.
    SourceInfo start(const Position& from);

    // The next raw event, waiting at most `timeout`; false when none arrived in time.
    bool next(std::string& event, std::chrono::milliseconds timeout);

    // True when events are waiting in the buffer (the reader is ahead of the caller).
    bool hasBuffered() const;

    // Closes the dump connection (also done by the destructor).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::replay
