// The stream part of replay: turns the binlog's raw events into whole source transactions and the
// steps between them (DDL, XA COMMIT / XA ROLLBACK, rotations), in stream order.
//
// Owns the event decoder (table maps, the current file), the open transaction (its row changes
// and the events that keep their values alive), the executed GTID set, the stream position (the
// end of the last whole transaction or step: where a batch closed now ends), the latest position
// the source named, and, when resuming inside a transaction applied in pieces, how many of its
// changes to drop.
//
// Contracts:
//  - Everything it reads goes out through TxnSteps (transactions, pieces, XA steps, boundaries)
//    or DdlSteps (statements that are not DML), synchronously and in stream order, on the
//    caller's thread. Each call passes `at`, the stream position before it (where whatever is
//    building ends), and where the step ends.
//  - The stream position moves to a transaction's or XA step's end before TxnSteps hears of it,
//    and to a DDL's end only after DdlSteps::ddl() returned (an error while it runs stands before
//    the DDL).
//  - GTIDs: a transaction joins the executed set when it ends (also when it ends in ROLLBACK or
//    by the implicit commit of a DDL); not at all when the source could not tell the set at the
//    start (SourceInfo::gtidKnown), so a partial set never reaches a checkpoint.
//  - Throws ReplayError (not retryable) for rows of a selected table that neither side has, rows
//    whose column count differs from the tracked definition, an XA COMMIT/ROLLBACK whose id cannot
//    be read, and a resumed transaction that ends before the changes its checkpoint counts;
//    binlog::BinlogError from decoding.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/migration_job.h"
#include "runner/binlog/event_decoder.h"
#include "runner/binlog/events.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/change.h"
#include "runner/replay/position.h"
#include "runner/replay/progress.h"
#include "runner/replay/replay.h"
#include "runner/replay/row_selection.h"
#include "runner/replay/schema_tracker.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

// The source transaction being read.
struct SourceTxn {
    std::vector<RowChange> changes;  // held, not yet handed to a batch
    std::vector<std::shared_ptr<const binlog::Event>> events;
    size_t bytes = 0;  // binlog bytes of `events`
    uint32_t firstTimestamp = 0;
    std::chrono::steady_clock::time_point arrival{};  // when its first event reached tidemark
    std::optional<binlog::MariaGtid> maria;
    bool xa = false;                // between XA START and XA PREPARE
    bool nonTransactional = false;  // holds changes of a table non-transactional at the source
    // Applied in pieces (ReplayOptions::maxHeldTxnBytes): where it starts and how many of its
    // changes went to the target before `changes`.
    bool split = false;
    Position start;
    uint64_t applied = 0;
};

// Where whole transactions go (the Batcher). Each call may take the changes out of `txn`.
class TxnSteps {
public:
    virtual ~TxnSteps() = default;
    // `txn` ended at `end` (COMMIT, XID, or a ROLLBACK keeping what it holds); `commitTime` is
    // the ending event's timestamp. `xaXid` non-empty: an XA transaction ending at its XA
    // PREPARE, a batch of its own.
    virtual void transactionEnded(SourceTxn& txn, const Position& at, const Position& end, uint32_t commitTime,
                                  const std::string& xaXid) = 0;
    // The open `txn` holds maxHeldTxnBytes or more (and may be split: not XA, nothing
    // non-transactional): apply what it holds now, or keep holding it.
    virtual void transactionTooLarge(SourceTxn& txn, const Position& at) = 0;
    // XA COMMIT (`commit`) or XA ROLLBACK of a prepared transaction: a group of its own.
    virtual void xaEnded(bool commit, const std::string& xid, const Position& at, const Position& end,
                         uint32_t time) = 0;
    // The stream moved to `at` with nothing to apply (rotation, skipped statement, empty ROLLBACK).
    virtual void reached(const Position& at) = 0;
};

// A statement that is not DML (DDL, DCL): any open transaction ended before it.
struct SourceStatement {
    const binlog::Query& query;
    uint32_t time = 0;  // the event's timestamp
    Position at;        // the stream position before it
    Position position;  // where its event starts
    Position end;       // where it ends
};

class DdlSteps {
public:
    virtual ~DdlSteps() = default;
    // Returns false when the statement was skipped (nothing applied): the stream then only moves
    // past it.
    virtual bool ddl(const SourceStatement& statement) = 0;
};

// Resuming inside a source transaction applied in pieces (checkpoint.h): where it starts and how
// many of its row changes the target already holds.
struct InsideTxn {
    Position start;
    uint64_t appliedChanges = 0;
};

class TxnAssembler {
public:
    // `info`: where the stream starts (streamer.start). `tracker` decodes table maps and names
    // the tables; all references must outlive this.
    TxnAssembler(const SourceInfo& info, const SchemaTracker& tracker, const api::ObjectSelection& objects,
                 const ReplayOptions& options, Progress& progress, status::StatusSink& sink, TxnSteps& txns,
                 DdlSteps& ddl, RowSelection& selection, InsideTxn resume = {});
    TxnAssembler(const TxnAssembler&) = delete;
    TxnAssembler& operator=(const TxnAssembler&) = delete;

    // Decodes one raw event off the stream and hands on what it completes.
    void feed(std::string&& raw);
    // One decoded event (feed() calls it; tests feed events directly).
    void handle(binlog::Event&& ev);

    // The end of the last whole transaction or step.
    const Position& position() const { return streamPos_; }
    // The latest position the source named (events, heartbeats), else position().
    const Position& sourcePosition() const { return sourcePos_.known() ? sourcePos_ : streamPos_; }
    // The transaction being read, or null between transactions.
    const SourceTxn* openTxn() const { return inTxn_ ? &txn_ : nullptr; }

private:
    template <class T>
    void on(T&, binlog::Event&) {}
    void on(binlog::Rotate& r, binlog::Event& ev);
    void on(binlog::Heartbeat& hb, binlog::Event& ev);
    void on(binlog::MariaGtid& g, binlog::Event& ev);
    void on(binlog::MysqlGtid& g, binlog::Event& ev);
    void on(binlog::Query& q, binlog::Event& ev);
    void on(binlog::Xid& x, binlog::Event& ev);
    void on(binlog::XaPrepare& x, binlog::Event& ev);
    void on(binlog::RowsEvent& rows, binlog::Event& ev);

    void onXa(const binlog::Query& q, const binlog::Event& ev);
    void onStatement(const binlog::Query& q, const binlog::Event& ev);
    void beginTxn(const binlog::Event& ev);
    void commitTxn(const binlog::Event& ev, bool endsAtThisEvent = true, const std::string& xaXid = {});
    void rollbackTxn(const binlog::Event& ev);
    void endTxn();
    void checkNothingToSkip(const binlog::Event& ev) const;
    void addGtids(const std::optional<binlog::MariaGtid>& maria);
    Position here(uint64_t pos) const { return Position{decoder_.file(), pos, gtid_.text()}; }

    const SchemaTracker& tracker_;
    const api::ObjectSelection& objects_;
    RowSelection& selection_;  // spec.filters and spec.rowFilters on row events
    const ReplayOptions& options_;
    Progress& progress_;
    status::StatusSink& sink_;
    TxnSteps& txns_;
    DdlSteps& ddl_;

    binlog::EventDecoder decoder_;
    std::vector<binlog::Event> events_;  // reused by feed()
    const bool trackGtids_;
    GtidSet gtid_;
    std::optional<binlog::MysqlGtid> pendingMysqlGtid_;
    Position streamPos_, sourcePos_;
    bool inTxn_ = false;
    SourceTxn txn_;
    uint64_t skipChanges_ = 0;  // resuming inside a transaction applied in pieces: its changes still to drop
    Position resumeTxnStart_;   // where that transaction starts
};

}  // namespace tidemark::replay
