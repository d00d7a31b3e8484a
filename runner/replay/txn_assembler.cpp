#include "runner/replay/txn_assembler.h"

#include <algorithm>
#include <variant>

#include "runner/replay/errors.h"
#include "runner/replay/xa_xid.h"

namespace tidemark::replay {

namespace {

binlog::DecoderOptions decoderOptions(const SchemaTracker& tracker, binlog::ChecksumAlg checksumBeforeFde) {
    binlog::DecoderOptions options;
    options.hints = &tracker;
    options.checksumBeforeFde = checksumBeforeFde;
    return options;
}

}  // namespace

TxnAssembler::TxnAssembler(const SourceInfo& info, const SchemaTracker& tracker, const api::ObjectSelection& objects,
                           const ReplayOptions& options, Progress& progress, status::StatusSink& sink, TxnSteps& txns,
                           DdlSteps& ddl, RowSelection& selection, InsideTxn resume)
    : tracker_(tracker),
      objects_(objects),
      selection_(selection),
      options_(options),
      progress_(progress),
      sink_(sink),
      txns_(txns),
      ddl_(ddl),
      decoder_(decoderOptions(tracker, info.checksum)),
      trackGtids_(info.gtidKnown),
      streamPos_(info.start),
      skipChanges_(resume.appliedChanges),
      resumeTxnStart_(resume.start) {
    if (!streamPos_.gtidSet.empty()) gtid_ = GtidSet::parse(streamPos_.gtidSet);
    decoder_.setFile(streamPos_.file);
}

void TxnAssembler::feed(std::string&& raw) {
    events_.clear();
    decoder_.decode(std::move(raw), events_);
    for (auto& ev : events_) handle(std::move(ev));
}

void TxnAssembler::handle(binlog::Event&& ev) {
    progress_.streamAlive(ev.as<binlog::Heartbeat>() != nullptr);
    if (ev.inPayload && ev.as<binlog::TransactionPayload>()) return;
    std::visit([&](auto& body) { on(body, ev); }, ev.body);
    if (!ev.as<binlog::Heartbeat>() && ev.nextPosition && !ev.inPayload) {
        sourcePos_ = Position{decoder_.file(), ev.nextPosition, ""};
    }
}

void TxnAssembler::on(binlog::Rotate& r, binlog::Event&) {
    // Connected by GTID: the server's fake ROTATE names the file but not where in it the
    // stream starts; the position becomes known at the first transaction's end.
    if (r.fake && !streamPos_.known()) return;
    if (!inTxn_) {
        streamPos_ = Position{r.nextFile, r.position, gtid_.text()};
        txns_.reached(streamPos_);
    }
}

void TxnAssembler::on(binlog::Heartbeat& hb, binlog::Event&) {
    if (!hb.file.empty()) sourcePos_ = Position{hb.file, hb.position, ""};
}

void TxnAssembler::on(binlog::MariaGtid& g, binlog::Event& ev) {
    beginTxn(ev);
    txn_.maria = g;
}

void TxnAssembler::on(binlog::MysqlGtid& g, binlog::Event&) {
    if (!g.anonymous) pendingMysqlGtid_ = g;
}

void TxnAssembler::on(binlog::Query& q, binlog::Event& ev) {
    switch (q.kind) {
        case binlog::QueryKind::Begin: beginTxn(ev); return;
        case binlog::QueryKind::Commit: commitTxn(ev); return;
        case binlog::QueryKind::Rollback: rollbackTxn(ev); return;
        case binlog::QueryKind::Xa: onXa(q, ev); return;
        case binlog::QueryKind::Savepoint:
        case binlog::QueryKind::StatementDml: return;
        case binlog::QueryKind::Other: onStatement(q, ev); return;
    }
}

void TxnAssembler::on(binlog::Xid&, binlog::Event& ev) { commitTxn(ev); }

// XA PREPARE ends the rows of an XA transaction (XA START .. XA END): a batch of its own with
// xaStep Prepare; the later XA COMMIT / XA ROLLBACK is another (onXa). XA COMMIT ... ONE
// PHASE logs this event with onePhase: an ordinary transaction.
void TxnAssembler::on(binlog::XaPrepare& x, binlog::Event& ev) {
    if (x.onePhase || txn_.changes.empty()) {
        commitTxn(ev);
        return;
    }
    commitTxn(ev, true, formatXid(x.formatId, x.gtrid, x.bqual));
}

void TxnAssembler::on(binlog::RowsEvent& rows, binlog::Event& ev) {
    if (!rows.table || rows.rows.empty()) return;
    auto table = tracker_.find(rows.table->schema, rows.table->table);
    if (!table) {
        if (objects_.selectsTable(rows.table->schema, rows.table->table)) {
            throw ReplayError("replay: rows for `" + rows.table->schema + "`.`" + rows.table->table + "` at " +
                                  decoder_.file() + ":" + std::to_string(ev.position) +
                                  " but neither the target nor the source has that table; create it on the target",
                              false);
        }
        return;
    }
    // The full copy read this table at a later snapshot, which already holds this transaction
    // (table_starts.h); its definition may have changed since, so this comes before the check.
    if (options_.tableStarts.skipStartingAt(table->database, table->name, streamPos_)) return;
    if (table->columns.size() != rows.table->columns.size()) {
        throw ReplayError("replay: the binlog has " + std::to_string(rows.table->columns.size()) + " columns for " +
                              table->qualified + " at " + decoder_.file() + ":" + std::to_string(ev.position) +
                              " but the tracked definition (from the target) has " +
                              std::to_string(table->columns.size()) +
                              "; the target table differs from the source's at this point of the stream",
                          false);
    }
    if (!inTxn_) beginTxn(ev);
    if (tracker_.nonTransactionalAtSource(table->database, table->name)) txn_.nonTransactional = true;
    // The changes to apply (spec.filters, spec.rowFilters); a resumed transaction counts these.
    std::vector<uint32_t> kept;
    if (!selection_.keepsAll()) {
        kept = selection_.keep(table, rows, here(ev.nextPosition));
        if (kept.empty()) return;
    }
    const size_t keptCount = selection_.keepsAll() ? rows.rows.size() : kept.size();
    size_t first = 0;
    if (skipChanges_ > 0) {
        // Resuming inside a transaction applied in pieces: its first changes are in the target.
        if (!txn_.split) {
            txn_.split = true;
            txn_.start = resumeTxnStart_;
        }
        first = static_cast<size_t>(std::min<uint64_t>(skipChanges_, keptCount));
        skipChanges_ -= first;
        txn_.applied += first;
        if (first == keptCount) return;
    }
    auto held = std::make_shared<binlog::Event>(std::move(ev));
    const auto& r = *held->as<binlog::RowsEvent>();
    for (size_t k = first; k < keptCount; ++k) {
        const size_t i = selection_.keepsAll() ? k : kept[k];
        txn_.changes.push_back(RowChange{table, r.kind, &r.rows[i], false});
    }
    txn_.bytes += held->header.eventSize;
    txn_.events.push_back(std::move(held));
    // A transaction too large to hold goes to the target in pieces. Not an XA one (its prepare
    // is one step) nor one holding non-transactional changes (it may end in ROLLBACK, which must
    // then drop what is not non-transactional); the batcher keeps it while rebuilding a batch.
    if (txn_.bytes >= options_.maxHeldTxnBytes && !txn_.xa && !txn_.nonTransactional)
        txns_.transactionTooLarge(txn_, streamPos_);
}

void TxnAssembler::onXa(const binlog::Query& q, const binlog::Event& ev) {
    const XaStatement xa = parseXaStatement(q.statement);
    using K = XaStatement::Kind;
    if (xa.kind == K::Start) {
        beginTxn(ev);
        txn_.xa = true;
        return;
    }
    if (xa.kind != K::Commit && xa.kind != K::Rollback) return;
    if (xa.xid.empty())
        throw ReplayError("replay: cannot read the XA transaction id of `" + q.statement.substr(0, 200) + "` at " +
                              here(ev.position).text(),
                          false);
    // A group of its own (GTID, XA COMMIT/ROLLBACK): nothing of it is held.
    addGtids(txn_.maria);
    endTxn();
    const Position at = streamPos_;
    const Position end = here(ev.nextPosition);
    streamPos_ = end;
    txns_.xaEnded(xa.kind == K::Commit, xa.xid, at, end, ev.header.timestamp);
}

// DDL (or another statement that is not DML): it commits any open transaction implicitly.
void TxnAssembler::onStatement(const binlog::Query& q, const binlog::Event& ev) {
    if (inTxn_ && (!txn_.changes.empty() || txn_.split)) commitTxn(ev, /*endsAtThisEvent=*/false);
    std::optional<binlog::MariaGtid> maria = txn_.maria;
    endTxn();
    addGtids(maria);
    const SourceStatement statement{q, ev.header.timestamp, streamPos_, here(ev.position), here(ev.nextPosition)};
    const bool applied = ddl_.ddl(statement);
    streamPos_ = statement.end;
    if (!applied) txns_.reached(streamPos_);
}

void TxnAssembler::beginTxn(const binlog::Event& ev) {
    if (inTxn_) return;
    inTxn_ = true;
    txn_ = SourceTxn{};
    txn_.firstTimestamp = ev.header.timestamp;
    txn_.arrival = std::chrono::steady_clock::now();
}

void TxnAssembler::endTxn() {
    txn_ = SourceTxn{};
    inTxn_ = false;
}

// `xaXid`: the transaction is XA, ending at its XA PREPARE: a batch of its own.
void TxnAssembler::commitTxn(const binlog::Event& ev, bool endsAtThisEvent, const std::string& xaXid) {
    checkNothingToSkip(ev);
    addGtids(txn_.maria);
    const Position end = endsAtThisEvent ? here(ev.nextPosition) : here(ev.position);
    inTxn_ = false;
    const Position at = streamPos_;
    streamPos_ = end;
    txns_.transactionEnded(txn_, at, end, ev.header.timestamp, xaXid);
    txn_ = SourceTxn{};
}

// A group ending in ROLLBACK: the source kept the changes of its non-transactional tables.
void TxnAssembler::rollbackTxn(const binlog::Event& ev) {
    checkNothingToSkip(ev);
    std::vector<RowChange> kept;
    for (auto& c : txn_.changes)
        if (tracker_.nonTransactionalAtSource(c.table->database, c.table->name)) kept.push_back(c);
    if (txn_.split)
        sink_.note("replay: the source transaction at " + txn_.start.text() +
                   " ended in ROLLBACK after parts of it were applied in pieces; its transactional changes "
                   "stay in the target");
    if (!kept.empty() || txn_.split) {
        txn_.changes = std::move(kept);
        commitTxn(ev);
        return;
    }
    // Nothing to apply, but the transaction's GTID is spent all the same.
    addGtids(txn_.maria);
    endTxn();
    streamPos_ = here(ev.nextPosition);
    txns_.reached(streamPos_);
}

void TxnAssembler::checkNothingToSkip(const binlog::Event& ev) const {
    if (skipChanges_ == 0) return;
    throw ReplayError("replay: the checkpoint says " + std::to_string(skipChanges_ + txn_.applied) +
                          " row changes of the source transaction at " + resumeTxnStart_.text() +
                          " are applied, but it ended at " + here(ev.nextPosition).text() + " after " +
                          std::to_string(txn_.applied) + "; the stream differs from the one checkpointed",
                      false);
}

// The transaction just ended joins the executed set (MariaDB's from its GTID event, MySQL's from
// the GTID event before it). Not when the set at the start was unknown: a partial set must never
// reach a checkpoint, which would resume by it.
void TxnAssembler::addGtids(const std::optional<binlog::MariaGtid>& maria) {
    if (trackGtids_) {
        if (maria) gtid_.addMaria(maria->domainId, maria->serverId, maria->seqNo);
        if (pendingMysqlGtid_) gtid_.addMysql(pendingMysqlGtid_->tsidText(), pendingMysqlGtid_->gno);
    }
    pendingMysqlGtid_.reset();
}

}  // namespace tidemark::replay
