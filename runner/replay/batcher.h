// The batching part of replay: merges whole source transactions into batches and hands them to the
// Applier one at a time, in stream order; implements TxnSteps for the TxnAssembler.
//
// Owns the batch being built, the batch in flight (submitted, not yet known committed), the next
// batch number, the checkpointed and applied positions, and the interrupted batch to rebuild
// when the session resumed inside one (checkpoint.h: ResumePoint).
//
// Contracts:
//  - A batch closes at a transaction boundary when it is full (maxBatchRows, maxBatchBytes, half
//    of limits.maxTxnBytes), due (maxBatchDelay), or the applier is idle and nothing more of the
//    stream is waiting; a batch is submitted only after the one before it committed whole
//    (finishInFlight), so its end is the checkpoint the next one starts from.
//  - XA steps go alone (one share); a source transaction above maxHeldTxnBytes goes in pieces,
//    each alone, after everything before it committed (change.h: Batch::txnOffset).
//  - While rebuilding an interrupted batch, nothing closes or goes in pieces until the stream
//    reaches that batch's end, which must be a boundary of the stream (else ReplayError, not
//    retryable); the batch is then submitted with its number, shares and committed shares.
//  - Errors of the applier surface from the call that waits for it (finishInFlight, and any call
//    that submits): DuplicateKeyError, FencedOut, ReplayError, db::DbError.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runner/replay/applier.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/change.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/position.h"
#include "runner/replay/progress.h"
#include "runner/replay/replay.h"
#include "runner/replay/safe_mode.h"
#include "runner/replay/txn_assembler.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

// Where batching starts.
struct BatchStart {
    Position position;                   // the stream's start: the first batch starts here
    uint64_t nextSeq = 1;                // the first new batch's number
    std::optional<ResumePoint> rebuild;  // the interrupted batch to rebuild first
};

// A DDL's batch, made by Batcher::ddlBatch().
struct DdlBatch {
    std::shared_ptr<Batch> batch;
    bool alreadyCommitted = false;  // the rebuilt batch's checkpoint says it ran
    bool maybeApplied = false;      // it may have run before a crash without its checkpoint (applier.h)
};

class Batcher final : public TxnSteps {
public:
    // `stream` tells whether more of the stream is waiting; all references must outlive this.
    Batcher(Applier& applier, const BinlogStreamer& stream, const ReplayOptions& options, const SafeMode& safe,
            Progress& progress, status::StatusSink& sink, BatchStart start);
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    // TxnSteps (txn_assembler.h).
    void transactionEnded(SourceTxn& txn, const Position& at, const Position& end, uint32_t commitTime,
                          const std::string& xaXid) override;
    void transactionTooLarge(SourceTxn& txn, const Position& at) override;
    void xaEnded(bool commit, const std::string& xid, const Position& at, const Position& end, uint32_t time) override;
    void reached(const Position& at) override;

    // Between transactions, with the stream at `at`: submits the building batch when it is full or
    // due, or when `force`; with nothing building, checkpoints a stream that moved on (other
    // tables, rotation) at most once a second unless `force`. Nothing while rebuilding.
    void maybeClose(const Position& at, bool force);
    // Checkpoints `at` as a batch of its own and waits for it: a start "now" is recorded before
    // anything is read.
    void checkpointStart(const Position& at);
    // Waits until the batch in flight committed; then the applied position is its end (and
    // options.onCommitted, when set, is called with it).
    void finishInFlight();
    // finishInFlight() when the applier is done with the batch in flight (does not block).
    void settleIfIdle();

    // A DDL ending at `end`, after everything before it (up to `at`) committed: its batch, numbered
    // (or the rebuilt batch, which must end there: else ReplayError).
    DdlBatch ddlBatch(const Position& at, const Position& end);
    // The DDL batch ending at `end` ran (or was skipped, or had run): the next batch starts there.
    void ddlDone(const Position& end);

    bool rebuilding() const { return rebuild_.has_value(); }
    const Position& appliedPosition() const { return appliedPos_; }
    const Batch* building() const { return building_.get(); }
    const Batch* inFlight() const { return inFlight_.get(); }
    uint64_t transactionsApplied() const { return txApplied_; }
    // A batch went to the applier or a DDL was handled.
    bool madeProgress() const { return progressed_; }

private:
    Batch& openBatch();
    void submit(const Position& end, std::vector<bool> committed = {}, bool alone = false);
    void submitPiece(std::shared_ptr<Batch> b);
    void finishSplitTxn(SourceTxn& txn, const Position& end, uint32_t endTime);
    void takeTxnChanges(SourceTxn& txn, Batch& b, bool safe);
    void send(const std::shared_ptr<Batch>& b, std::vector<bool> committed);

    Applier& applier_;
    const BinlogStreamer& stream_;
    const ReplayOptions& options_;
    const SafeMode& safe_;
    Progress& progress_;
    status::StatusSink& sink_;

    std::optional<ResumePoint> rebuild_;
    uint64_t nextSeq_;
    Position appliedPos_, lastCheckpoint_;
    std::shared_ptr<Batch> building_;
    std::shared_ptr<Batch> inFlight_;
    uint64_t txApplied_ = 0;
    bool progressed_ = false;
    bool appliedChangesOrDdl_ = false;
    std::chrono::steady_clock::time_point lastEmptyCheckpoint_{};
};

}  // namespace tidemark::replay
