// A row change on its way from the binlog to the target, and the batch it travels in.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runner/binlog/events.h"
#include "runner/replay/position.h"
#include "runner/replay/schema_tracker.h"

namespace tidemark::replay {

struct RowChange {
    std::shared_ptr<const TableSchema> table;  // definition when the change was logged
    binlog::RowsKind kind = binlog::RowsKind::Write;
    const binlog::Row* row = nullptr;  // alive while the batch holds its event
    bool safe = false;                 // apply with safe-mode statements
};

// A run of whole source transactions [start, end) applied as one unit. A batch holds either
// row changes or exactly one DDL (ddlStatement non-empty), never both.
struct Batch {
    uint64_t seq = 0;
    Position start, end;
    int shares = 1;                                            // partitions (worker count when built)
    std::vector<std::shared_ptr<const binlog::Event>> events;  // keeps row values alive
    std::vector<RowChange> changes;
    // Where each source transaction's changes end (exclusive indexes into `changes`, ascending):
    // a piece of a share preferably ends there (checkpoint.h).
    std::vector<uint32_t> txnEnds;
    uint64_t transactions = 0;
    size_t bytes = 0;
    uint32_t firstTimestamp = 0;  // source commit time of the first/last transaction
    uint32_t lastTimestamp = 0;
    // DDL batch
    std::string ddlStatement;  // for the target
    std::string ddlDatabase;   // default database for it
    std::string ddlHead;
    std::string ddlTimeZone;                         // the source session's time_zone, when it logged one
    std::chrono::steady_clock::time_point opened{};  // when the first transaction joined (its arrival)
};

}  // namespace tidemark::replay
