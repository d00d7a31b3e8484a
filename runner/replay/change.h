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
    // A piece of one source transaction too large to hold whole (ReplayOptions::maxHeldTxnBytes):
    // the batch holds only that transaction's changes [txnOffset, txnOffset + changes.size()),
    // shares = 1, start = the transaction's start. While `txnContinues` the transaction goes on
    // past this batch: end = start, and every checkpoint row of the batch counts changes from the
    // transaction's start (next = txnOffset + position, never 0, also once the batch is whole).
    // The batch that ends the transaction has txnContinues = false and its real end: it writes
    // next = 0 once whole, like any batch (checkpoint.h).
    uint64_t txnOffset = 0;
    bool txnContinues = false;
    // XA (one transaction per batch, one share): at Prepare its changes are applied together with
    // their undo statements (tidemark_meta, keyed by job and xid) and the checkpoint; at Commit the
    // undo is forgotten, at Rollback it is run; both with the checkpoint, so each happens once.
    enum class XaStep { None, Prepare, Commit, Rollback };
    XaStep xaStep = XaStep::None;
    std::string xaXid;  // the XID as the binlog's XA statements print it (X'..',X'..',n)
};

}  // namespace tidemark::replay
