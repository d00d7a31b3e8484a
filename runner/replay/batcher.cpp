#include "runner/replay/batcher.h"

#include <algorithm>
#include <cstdio>

#include "runner/replay/errors.h"
#include "runner/replay/stream_order.h"

namespace tidemark::replay {

using Clock = std::chrono::steady_clock;

Batcher::Batcher(Applier& applier, const BinlogStreamer& stream, const ReplayOptions& options, const SafeMode& safe,
                 Progress& progress, status::StatusSink& sink, BatchStart start)
    : applier_(applier),
      stream_(stream),
      options_(options),
      safe_(safe),
      progress_(progress),
      sink_(sink),
      rebuild_(std::move(start.rebuild)),
      nextSeq_(start.nextSeq),
      appliedPos_(start.position),
      lastCheckpoint_(start.position) {}

void Batcher::transactionEnded(SourceTxn& txn, const Position& at, const Position& end, uint32_t commitTime,
                               const std::string& xaXid) {
    if (txn.split) {
        finishSplitTxn(txn, end, commitTime);
        return;
    }
    // Alone: drain what is building (when rebuilding a batch, only if it was alone then).
    const bool alone =
        !xaXid.empty() && !txn.changes.empty() && (!rebuild_ || !building_ || building_->changes.empty());
    if (alone && !rebuild_ && building_ && !building_->changes.empty()) submit(at);
    if (!txn.changes.empty()) {
        Batch& b = openBatch();
        if (alone) {
            b.xaStep = Batch::XaStep::Prepare;
            b.xaXid = xaXid;
        }
        const bool safe = safe_.activeFor(end, SafeMode::Clock::now());
        for (auto& c : txn.changes) {
            c.safe = safe;
            b.changes.push_back(std::move(c));
        }
        for (auto& e : txn.events) b.events.push_back(std::move(e));
        b.txnEnds.push_back(static_cast<uint32_t>(b.changes.size()));
        b.bytes += txn.bytes;
        b.transactions++;
        if (!b.firstTimestamp) b.firstTimestamp = commitTime;
        b.lastTimestamp = commitTime;
    }
    if (alone && !rebuild_) {
        submit(end, {}, /*alone=*/true);
        return;
    }
    reached(end);
    if (alone && building_) {
        building_->xaStep = Batch::XaStep::None;  // rebuilding a batch that ends later
        building_->xaXid.clear();
    }
}

// The open transaction's changes so far, as a batch of its own (change.h: txnContinues).
void Batcher::transactionTooLarge(SourceTxn& txn, const Position& at) {
    if (rebuild_) return;  // the rebuilt batch holds it whole, as the interrupted one did
    if (!txn.split) {
        // Everything before the transaction commits first; its pieces go alone.
        if (building_ && !building_->changes.empty()) submit(at);
        building_.reset();
        txn.split = true;
        txn.start = at;
    }
    auto b = std::make_shared<Batch>();
    b->start = b->end = txn.start;
    b->txnContinues = true;
    b->opened = txn.arrival;
    b->firstTimestamp = b->lastTimestamp = txn.firstTimestamp;
    takeTxnChanges(txn, *b, safe_.activeFor(txn.start, SafeMode::Clock::now()));
    submitPiece(std::move(b));
}

void Batcher::xaEnded(bool commit, const std::string& xid, const Position& at, const Position& end, uint32_t time) {
    const bool alone = !rebuild_ || !building_ || building_->changes.empty();
    if (!rebuild_ && building_ && !building_->changes.empty()) submit(at);
    if (alone) {
        Batch& b = openBatch();
        b.xaStep = commit ? Batch::XaStep::Commit : Batch::XaStep::Rollback;
        b.xaXid = xid;
        b.transactions = 1;
        b.firstTimestamp = b.lastTimestamp = time;
    }
    if (!rebuild_) {
        submit(end, {}, /*alone=*/true);
        return;
    }
    // Rebuilding an interrupted batch: this step when it ends here, else one ending later.
    reached(end);
    if (building_) {
        building_->xaStep = Batch::XaStep::None;
        building_->xaXid.clear();
        building_->transactions = 0;
    }
}

// While rebuilding, the batch must end exactly where the interrupted one did: the same GTID set
// (resumed by GTID, maybe on another server), else the same file position.
void Batcher::reached(const Position& at) {
    if (!rebuild_) return;
    const int c = compareGtidSets(at, rebuild_->end).value_or(comparePositions(at, rebuild_->end));
    if (c < 0) return;
    if (c > 0)
        throw ReplayError("replay: the checkpoint's batch end " + rebuild_->end.text() +
                              " is not a transaction boundary of the stream (reached " + at.text() + ")",
                          false);
    Batch& b = openBatch();
    b.seq = rebuild_->batch;
    b.shares = rebuild_->workers;
    b.start = rebuild_->start;
    b.end = rebuild_->end;
    auto committed = rebuild_->committed;
    rebuild_.reset();
    submit(at, std::move(committed));
}

void Batcher::maybeClose(const Position& at, bool force) {
    if (rebuild_) return;
    const auto now = Clock::now();
    if (building_ && !building_->changes.empty()) {
        const bool full = building_->changes.size() >= options_.maxBatchRows ||
            building_->bytes >= std::min(options_.maxBatchBytes, options_.limits.maxTxnBytes / 2);
        const bool due = now - building_->opened >= options_.maxBatchDelay;
        // An idle applier takes the batch at once, unless more of the stream is already
        // waiting: then the batch grows (catching up favours big batches).
        const bool idleAndCaughtUp = applier_.idle() && !stream_.hasBuffered();
        if (force || full || due || idleAndCaughtUp) submit(at);
        return;
    }
    // Nothing to apply, but the stream moved on (other tables, rotation): checkpoint it now
    // and then, so a restart does not re-read (or need purged) binlogs.
    if (at.known() && compareStreamPositions(at, lastCheckpoint_) > 0 &&
        (force || now - lastEmptyCheckpoint_ >= std::chrono::seconds(1))) {
        lastEmptyCheckpoint_ = now;
        openBatch();
        submit(at);
    }
}

void Batcher::checkpointStart(const Position& at) {
    openBatch();
    submit(at, {}, /*alone=*/true);  // one share: whole once share 0 commits, so resumed at its end
    finishInFlight();
}

void Batcher::finishInFlight() {
    applier_.wait();
    for (auto& n : applier_.takeSplitNotes()) sink_.note("replay: " + n);
    if (inFlight_) {
        appliedPos_ = inFlight_->end;
        txApplied_ += inFlight_->transactions;
        if (options_.onCommitted) options_.onCommitted(*inFlight_);
        progress_.committed(*inFlight_);
        inFlight_.reset();
        progress_.applied();
    }
}

void Batcher::settleIfIdle() {
    if (inFlight_ && applier_.idle()) finishInFlight();  // settles counters and surfaces its error
}

DdlBatch Batcher::ddlBatch(const Position& at, const Position& end) {
    // Drain: everything before the DDL is committed before it runs.
    if (building_ && !building_->changes.empty() && !rebuild_) submit(at);
    finishInFlight();
    DdlBatch ddl;
    auto& b = ddl.batch = std::make_shared<Batch>();
    b->start = lastCheckpoint_;
    b->end = end;
    b->shares = applier_.connections();
    if (rebuild_) {
        if (compareGtidSets(end, rebuild_->end).value_or(comparePositions(end, rebuild_->end)) != 0)
            throw ReplayError("replay: checkpoint batch " + rebuild_->start.text() + " .. " + rebuild_->end.text() +
                                  " does not match the DDL at " + end.text(),
                              false);
        b->seq = rebuild_->batch;
        b->shares = rebuild_->workers;
        b->start = rebuild_->start;
        ddl.alreadyCommitted = !rebuild_->committed.empty() && rebuild_->committed[0];
        rebuild_.reset();
    } else {
        b->seq = nextSeq_;
    }
    nextSeq_ = b->seq + 1;
    // Only a DDL right at the checkpoint can have run before a crash without its checkpoint.
    ddl.maybeApplied = !appliedChangesOrDdl_;
    appliedChangesOrDdl_ = true;
    return ddl;
}

void Batcher::ddlDone(const Position& end) {
    progressed_ = true;
    lastCheckpoint_ = end;
    appliedPos_ = end;
}

Batch& Batcher::openBatch() {
    if (!building_) {
        building_ = std::make_shared<Batch>();
        building_->start = lastCheckpoint_;
        building_->opened = Clock::now();
    }
    return *building_;
}

// The building batch, ending at `end` unless it is a rebuilt one. `alone`: the batch is one
// group that goes as one share (XA steps).
void Batcher::submit(const Position& end, std::vector<bool> committed, bool alone) {
    std::shared_ptr<Batch> b = std::move(building_);
    building_.reset();
    if (b->seq == 0) {
        b->seq = nextSeq_++;
        b->shares = alone ? 1 : applier_.connections();
        b->end = end;
    } else {
        nextSeq_ = b->seq + 1;
    }
    finishInFlight();
    if (!b->changes.empty()) appliedChangesOrDdl_ = true;
    if (traceEnabled())
        std::fprintf(stderr, "tidemark replay: batch %llu %s .. %s: %zu changes, %llu transactions\n",
                     static_cast<unsigned long long>(b->seq), b->start.text().c_str(), b->end.text().c_str(),
                     b->changes.size(), static_cast<unsigned long long>(b->transactions));
    send(b, std::move(committed));
}

// A piece of a split transaction: alone, one share, after the previous batch committed.
void Batcher::submitPiece(std::shared_ptr<Batch> b) {
    b->seq = nextSeq_++;
    b->shares = 1;
    finishInFlight();
    if (traceEnabled())
        std::fprintf(stderr, "tidemark replay: batch %llu: %zu changes of the transaction at %s from change %llu%s\n",
                     static_cast<unsigned long long>(b->seq), b->changes.size(), b->start.text().c_str(),
                     static_cast<unsigned long long>(b->txnOffset), b->txnContinues ? "" : " (its end)");
    send(b, {});
}

void Batcher::send(const std::shared_ptr<Batch>& b, std::vector<bool> committed) {
    lastCheckpoint_ = b->end;
    inFlight_ = b;
    progress_.applying();
    applier_.submit(b, std::move(committed));
    progressed_ = true;
}

// A split transaction ended at `end`: its last piece moves the checkpoint to `end`.
void Batcher::finishSplitTxn(SourceTxn& txn, const Position& end, uint32_t endTime) {
    auto b = std::make_shared<Batch>();
    b->start = txn.start;
    b->end = end;
    b->opened = txn.arrival;
    b->transactions = 1;
    b->firstTimestamp = txn.firstTimestamp;
    b->lastTimestamp = endTime;
    takeTxnChanges(txn, *b, safe_.activeFor(end, SafeMode::Clock::now()));
    submitPiece(std::move(b));
}

// Moves the open transaction's held changes into `b`, which goes on from txn.applied.
void Batcher::takeTxnChanges(SourceTxn& txn, Batch& b, bool safe) {
    b.txnOffset = txn.applied;
    b.changes = std::move(txn.changes);
    for (auto& c : b.changes) c.safe = safe;
    b.events = std::move(txn.events);
    b.txnEnds.push_back(static_cast<uint32_t>(b.changes.size()));
    b.bytes = txn.bytes;
    txn.applied += b.changes.size();
    txn.changes.clear();
    txn.events.clear();
    txn.bytes = 0;
}

}  // namespace tidemark::replay
