#include "runner/replay/replay.h"

#include "runner/db/catalog.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <thread>

#include "runner/binlog/errors.h"
#include "runner/binlog/event_decoder.h"
#include "runner/replay/applier.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/ddl.h"
#include "runner/replay/errors.h"
#include "runner/replay/fence.h"
#include "runner/replay/progress.h"
#include "runner/replay/safe_mode.h"
#include "runner/replay/schema_tracker.h"
#include "runner/replay/stream_order.h"
#include "runner/replay/xa_xid.h"

namespace tidemark::replay {

namespace {

using Clock = std::chrono::steady_clock;

// The engine a CREATE/ALTER TABLE names ("ENGINE = MyISAM", "engine=Aria"), "" when none.
std::string engineClause(const std::string& statement) {
    std::string upper = statement;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (size_t at = upper.find("ENGINE"); at != std::string::npos; at = upper.find("ENGINE", at + 6)) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(upper[at - 1])) || upper[at - 1] == '_')) continue;
        size_t i = at + 6;
        while (i < upper.size() && (upper[i] == ' ' || upper[i] == '=' || upper[i] == '\t' || upper[i] == '\n')) ++i;
        if (i == at + 6) continue;
        size_t j = i;
        while (j < statement.size() && (std::isalnum(static_cast<unsigned char>(statement[j])) || statement[j] == '_'))
            ++j;
        if (j > i) return statement.substr(i, j - i);
    }
    return "";
}

// One connected run: from the checkpoint (or start) until stop, stopAt or an error.
class Session {
public:
    Session(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
            const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop, Fence& fence,
            Progress& progress, uint64_t& rowsBase, uint64_t& txBase)
        : job_(job),
          source_(source),
          target_(target),
          options_(options),
          sink_(sink),
          stop_(stop),
          store_(job.instanceKey()),
          fence_(fence),
          tracker_(job.objects),
          progress_(progress),
          rowsBase_(rowsBase),
          txBase_(txBase) {}

    // True when it made progress (for the caller's backoff).
    bool madeProgress() const { return progressed_; }
    // Which endpoint the error that ended run() came from (for the stall reason).
    bool failedOnSource() const { return failedOnSource_; }
    const Position& streamPosition() const { return streamPos_; }

    void run() {
        auto meta = db::connectWithRetry(target_);
        meta_ = &meta;
        struct Forget {
            db::Connection*& meta;
            ~Forget() { meta = nullptr; }
        } forget{meta_};
        store_.ensureTables(meta);
        const int workers = options_.workers > 0 ? options_.workers : api::capacityPlan(job_.capacity).workers;
        // Take the job over before reading the checkpoint rows: afterwards no transaction of an
        // earlier run (a killed runner's sessions, another runner) can still commit (fence.h).
        if (!fence_.acquire(meta, workers, &stop_)) return;
        LeaseKeeper keeper(target_, fence_);
        auto resume = store_.load(meta);
        auto state = store_.loadJobState(meta);

        // Safe mode: the full copy's snapshot, persisted so a crash before passing it keeps it on.
        if (!resume && options_.safeUntil && options_.safeUntil->known())
            store_.saveSafeUntil(meta, fence_, *options_.safeUntil);
        if (state.safeUntil) safe_.extendTo(*state.safeUntil);
        if (options_.safeUntil && !resume) safe_.extendTo(*options_.safeUntil);
        if (options_.restartAfterError) {
            safe_.extendTo(SafeMode::Clock::now() + job_.incremental.safeModeDuration);
            if (state.errorAt) safe_.extendTo(*state.errorAt);
        }

        tracker_.loadAll(meta);
        onSource([&] {
            auto src = db::connectWithRetry(source_);
            tracker_.loadAll(src);  // tables the target does not have yet
            tracker_.loadSourceEngines(src);
        });

        // A checkpoint with a MySQL GTID set resumes by that set (COM_BINLOG_DUMP_GTID): the same
        // point on this source, or on a replica of it with other file names after a failover.
        Position from;
        if (resume && resume->insideTxn()) {
            // Inside a source transaction applied in pieces: from its start, without the changes
            // already in the target (checkpoint.h).
            from = resumePoint(resume->start);
            nextSeq_ = resume->batch + 1;
            skipChanges_ = resume->next[0];
            resumeTxnStart_ = resume->start;
            sink_.note("replay: resuming inside the source transaction at " + resume->start.text() + ", after its " +
                       std::to_string(skipChanges_) + " row changes already applied");
        } else if (resume) {
            if (resume->complete()) {
                from = resumePoint(resume->end);
                nextSeq_ = resume->batch + 1;
            } else {
                from = resumePoint(resume->start);
                recovery_ = *resume;
                nextSeq_ = resume->batch;
                std::string partial;
                for (size_t w = 0; w < resume->next.size(); ++w)
                    if (resume->next[w] > 0)
                        partial +=
                            ", share " + std::to_string(w) + " from row change " + std::to_string(resume->next[w]);
                sink_.note("replay: resuming inside batch " + std::to_string(resume->batch) + " (" +
                           resume->start.text() + " .. " + resume->end.text() + "); applying its uncommitted shares" +
                           partial);
            }
        } else if (options_.start) {
            from = *options_.start;
            nextSeq_ = 1;
        } else {
            nextSeq_ = 1;  // "now"
        }

        ApplierOptions applierOptions;
        applierOptions.limits = options_.limits;
        Applier applier(target_, workers, store_, fence_, applierOptions);
        applier_ = &applier;

        StreamerOptions so;
        so.replicaName = options_.replicaName.empty() ? "tidemark-" + job_.instanceKey() : options_.replicaName;
        so.heartbeat = options_.heartbeat;
        BinlogStreamer streamer(source_, so);
        streamer_ = &streamer;
        SourceInfo info = onSource([&] { return streamer.start(from); });
        streamPos_ = info.start;
        appliedPos_ = info.start;
        lastCheckpoint_ = info.start;
        trackGtids_ = info.gtidKnown;
        if (!trackGtids_)
            sink_.note("replay: the source's GTID set at " + info.start.text() +
                       " is unknown; checkpoints record file positions only until a restart reads it");
        if (!streamPos_.gtidSet.empty()) gtid_ = GtidSet::parse(streamPos_.gtidSet);
        sink_.note("replay: streaming from " + (streamPos_.known() ? streamPos_.text() : "GTID " + streamPos_.gtidSet) +
                   " with " + std::to_string(workers) + " workers");

        binlog::DecoderOptions dopt;
        dopt.hints = &tracker_;
        dopt.checksumBeforeFde = info.checksum;
        binlog::EventDecoder decoder(dopt);
        decoder.setFile(streamPos_.file);
        decoder_ = &decoder;

        // Starting "now": record the start before reading anything, so a failure before the first
        // batch resumes here instead of at a later "now" (which would skip what came between).
        if (!resume && !options_.start && streamPos_.known()) {
            building();
            submit({}, /*alone=*/true);  // one share: whole once share 0 commits, so resumed at its end
            finishInFlight();
        }

        std::string raw;
        std::vector<binlog::Event> events;
        try {
            while (!stop_.load()) {
                if (onSource([&] { return streamer.next(raw, std::chrono::milliseconds(20)); })) {
                    events.clear();
                    decoder.decode(std::move(raw), events);
                    for (auto& ev : events) handle(std::move(ev));
                }
                maybeCloseBatch(false);
                if (options_.stopAt && !inTxn_ && !recovery_ &&
                    compareStreamPositions(streamPos_, *options_.stopAt) >= 0) {
                    maybeCloseBatch(true);
                    finishInFlight();
                    if (compareStreamPositions(appliedPos_, *options_.stopAt) >= 0) break;
                }
                report(false);
                keeper.check();
            }
            // Stop: commit the whole transactions received so far.
            if (!recovery_) maybeCloseBatch(true);
            finishInFlight();
            report(true);
        } catch (...) {
            try {
                applier.wait();
            } catch (...) {}
            applier_ = nullptr;
            throw;
        }
        applier_ = nullptr;
    }

    // Where a failure happened: the end of the batch being applied, else the stream position.
    Position errorPosition() const { return inFlight_ ? inFlight_->end : streamPos_; }

    // Records the error that stops replay (fenced: not when another runner holds the job).
    void saveError(const std::string& message) {
        auto c = db::Connection::open(target_);
        store_.saveError(c, fence_, errorPosition(), message);
    }

private:
    struct Txn {
        std::vector<RowChange> changes;
        std::vector<std::shared_ptr<const binlog::Event>> events;
        size_t bytes = 0;
        uint32_t firstTimestamp = 0;
        std::optional<binlog::MariaGtid> maria;
        std::optional<binlog::MysqlGtid> mysql;
        bool xa = false;                // between XA START and XA PREPARE
        bool nonTransactional = false;  // holds changes of a table non-transactional at the source
        // Applied in pieces (maxHeldTxnBytes): where it starts and how many of its changes went
        // to the target before `changes`.
        bool split = false;
        Position start;
        uint64_t applied = 0;
    };

    template <class F>
    auto onSource(F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (...) {
            failedOnSource_ = true;
            throw;
        }
    }

    Position here(uint64_t pos) const { return Position{decoder_->file(), pos, gtid_.text()}; }

    void handle(binlog::Event&& ev) {
        progress_.streamAlive(ev.as<binlog::Heartbeat>() != nullptr);
        if (ev.inPayload && ev.as<binlog::TransactionPayload>()) return;
        std::visit([&](auto& body) { on(body, ev); }, ev.body);
        if (!ev.as<binlog::Heartbeat>() && ev.nextPosition && !ev.inPayload) {
            sourcePos_ = Position{decoder_->file(), ev.nextPosition, ""};
        }
    }

    template <class T>
    void on(T&, binlog::Event&) {}

    void on(binlog::Rotate& r, binlog::Event&) {
        // Connected by GTID: the server's fake ROTATE names the file but not where in it the
        // stream starts; the position becomes known at the first transaction's end.
        if (r.fake && !streamPos_.known()) return;
        if (!inTxn_) {
            streamPos_ = Position{r.nextFile, r.position, gtid_.text()};
            reachedRecoveryEnd();
        }
    }

    void on(binlog::Heartbeat& hb, binlog::Event&) {
        if (!hb.file.empty()) sourcePos_ = Position{hb.file, hb.position, ""};
    }

    void on(binlog::MariaGtid& g, binlog::Event& ev) {
        beginTxn(ev);
        txn_.maria = g;
    }

    void on(binlog::MysqlGtid& g, binlog::Event&) {
        if (!g.anonymous) pendingMysqlGtid_ = g;
    }

    void on(binlog::Query& q, binlog::Event& ev) {
        switch (q.kind) {
            case binlog::QueryKind::Begin: beginTxn(ev); return;
            case binlog::QueryKind::Commit: commitTxn(ev); return;
            case binlog::QueryKind::Rollback: rollbackTxn(ev); return;
            case binlog::QueryKind::Xa: onXa(q, ev); return;
            case binlog::QueryKind::Savepoint:
            case binlog::QueryKind::StatementDml: return;
            case binlog::QueryKind::Other: break;
        }
        // DDL (or other non-DML statement): it commits any open transaction implicitly.
        if (inTxn_ && (!txn_.changes.empty() || txn_.split)) commitTxn(ev, /*endsAtThisEvent=*/false);
        std::optional<binlog::MariaGtid> maria = txn_.maria;
        txn_ = Txn{};
        inTxn_ = false;
        addGtids(maria);
        handleDdl(q, ev);
    }

    void on(binlog::Xid&, binlog::Event& ev) { commitTxn(ev); }
    // XA PREPARE ends the rows of an XA transaction (XA START .. XA END): a batch of its own with
    // xaStep Prepare; the later XA COMMIT / XA ROLLBACK is another (onXa). XA COMMIT ... ONE
    // PHASE logs this event with onePhase: an ordinary transaction.
    void on(binlog::XaPrepare& x, binlog::Event& ev) {
        if (x.onePhase || txn_.changes.empty()) {
            commitTxn(ev);
            return;
        }
        commitTxn(ev, true, formatXid(x.formatId, x.gtrid, x.bqual));
    }

    void onXa(const binlog::Query& q, const binlog::Event& ev) {
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
        txn_ = Txn{};
        inTxn_ = false;
        const Position end = here(ev.nextPosition);
        const bool alone = !recovery_ || !building_ || building_->changes.empty();
        if (!recovery_ && building_ && !building_->changes.empty()) submit({});
        if (alone) {
            Batch& b = building();
            b.xaStep = xa.kind == K::Commit ? Batch::XaStep::Commit : Batch::XaStep::Rollback;
            b.xaXid = xa.xid;
            b.transactions = 1;
            b.firstTimestamp = b.lastTimestamp = ev.header.timestamp;
        }
        streamPos_ = end;
        if (!recovery_) {
            submit({}, /*alone=*/true);
            return;
        }
        // Rebuilding an interrupted batch: this step when it ends here, else one ending later.
        reachedRecoveryEnd();
        if (building_) {
            building_->xaStep = Batch::XaStep::None;
            building_->xaXid.clear();
            building_->transactions = 0;
        }
    }

    void on(binlog::RowsEvent& rows, binlog::Event& ev) {
        if (!rows.table || rows.rows.empty()) return;
        auto table = tracker_.find(rows.table->schema, rows.table->table);
        if (!table) {
            if (job_.objects.selectsTable(rows.table->schema, rows.table->table)) {
                throw ReplayError("replay: rows for `" + rows.table->schema + "`.`" + rows.table->table + "` at " +
                                      decoder_->file() + ":" + std::to_string(ev.position) +
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
                                  table->qualified + " at " + decoder_->file() + ":" + std::to_string(ev.position) +
                                  " but the tracked definition (from the target) has " +
                                  std::to_string(table->columns.size()) +
                                  "; the target table differs from the source's at this point of the stream",
                              false);
        }
        if (!inTxn_) beginTxn(ev);
        if (tracker_.nonTransactionalAtSource(table->database, table->name)) txn_.nonTransactional = true;
        size_t first = 0;
        if (skipChanges_ > 0) {
            // Resuming inside a transaction applied in pieces: its first changes are in the target.
            if (!txn_.split) {
                txn_.split = true;
                txn_.start = resumeTxnStart_;
            }
            first = static_cast<size_t>(std::min<uint64_t>(skipChanges_, rows.rows.size()));
            skipChanges_ -= first;
            txn_.applied += first;
            if (first == rows.rows.size()) return;
        }
        auto held = std::make_shared<binlog::Event>(std::move(ev));
        const auto& r = *held->as<binlog::RowsEvent>();
        for (size_t i = first; i < r.rows.size(); ++i)
            txn_.changes.push_back(RowChange{table, r.kind, &r.rows[i], false});
        txn_.bytes += held->header.eventSize;
        txn_.events.push_back(std::move(held));
        // A transaction too large to hold goes to the target in pieces. Not an XA one (its
        // prepare is one step) nor one holding non-transactional changes (it may end in ROLLBACK,
        // which must then drop what is not non-transactional), nor while rebuilding a batch.
        if (txn_.bytes >= options_.maxHeldTxnBytes && !recovery_ && !txn_.xa && !txn_.nonTransactional) applyPiece();
    }

    // The open transaction's changes so far, as a batch of its own (change.h: txnContinues).
    void applyPiece() {
        if (!txn_.split) {
            // Everything before the transaction commits first; its pieces go alone.
            if (building_ && !building_->changes.empty()) submit({});
            building_.reset();
            txn_.split = true;
            txn_.start = streamPos_;
        }
        auto b = std::make_shared<Batch>();
        b->start = b->end = txn_.start;
        b->txnContinues = true;
        b->opened = txnArrival_;
        b->firstTimestamp = b->lastTimestamp = txn_.firstTimestamp;
        takeTxnChanges(*b, safe_.activeFor(txn_.start, SafeMode::Clock::now()));
        submitPiece(std::move(b));
    }

    // Moves the open transaction's held changes into `b`, which goes on from txn_.applied.
    void takeTxnChanges(Batch& b, bool safe) {
        b.txnOffset = txn_.applied;
        b.changes = std::move(txn_.changes);
        for (auto& c : b.changes) c.safe = safe;
        b.events = std::move(txn_.events);
        b.txnEnds.push_back(static_cast<uint32_t>(b.changes.size()));
        b.bytes = txn_.bytes;
        txn_.applied += b.changes.size();
        txn_.changes.clear();
        txn_.events.clear();
        txn_.bytes = 0;
    }

    // A piece of a split transaction: alone, one share, after the previous batch committed.
    void submitPiece(std::shared_ptr<Batch> b) {
        b->seq = nextSeq_++;
        b->shares = 1;
        finishInFlight();
        lastCheckpoint_ = b->end;
        inFlight_ = b;
        if (traceEnabled())
            std::fprintf(stderr,
                         "tidemark replay: batch %llu: %zu changes of the transaction at %s from change %llu%s\n",
                         static_cast<unsigned long long>(b->seq), b->changes.size(), b->start.text().c_str(),
                         static_cast<unsigned long long>(b->txnOffset), b->txnContinues ? "" : " (its end)");
        progress_.applying();
        applier_->submit(b, {});
        progressed_ = true;
    }

    // A split transaction ended at `end`: its last piece moves the checkpoint to `end`.
    void finishSplitTxn(const binlog::Event& ev, const Position& end) {
        auto b = std::make_shared<Batch>();
        b->start = txn_.start;
        b->end = end;
        b->opened = txnArrival_;
        b->transactions = 1;
        b->firstTimestamp = txn_.firstTimestamp;
        b->lastTimestamp = ev.header.timestamp;
        takeTxnChanges(*b, safe_.activeFor(end, SafeMode::Clock::now()));
        txn_ = Txn{};
        streamPos_ = end;
        submitPiece(std::move(b));
    }

    void checkNothingToSkip(const binlog::Event& ev) {
        if (skipChanges_ == 0) return;
        throw ReplayError("replay: the checkpoint says " + std::to_string(skipChanges_ + txn_.applied) +
                              " row changes of the source transaction at " + resumeTxnStart_.text() +
                              " are applied, but it ended at " + here(ev.nextPosition).text() + " after " +
                              std::to_string(txn_.applied) + "; the stream differs from the one checkpointed",
                          false);
    }

    // A group ending in ROLLBACK: the source kept the changes of its non-transactional tables.
    void rollbackTxn(const binlog::Event& ev) {
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
        txn_ = Txn{};
        inTxn_ = false;
        streamPos_ = here(ev.nextPosition);
        reachedRecoveryEnd();
    }

    void beginTxn(const binlog::Event& ev) {
        if (inTxn_) return;
        inTxn_ = true;
        txn_ = Txn{};
        txn_.firstTimestamp = ev.header.timestamp;
        txnArrival_ = Clock::now();
    }

    // The transaction just ended joins the executed set (MariaDB's from its GTID event, MySQL's
    // from the GTID event before it). Not when the set at the start was unknown: a partial set
    // must never reach a checkpoint, which would resume by it.
    void addGtids(const std::optional<binlog::MariaGtid>& maria) {
        if (trackGtids_) {
            if (maria) gtid_.addMaria(maria->domainId, maria->serverId, maria->seqNo);
            if (pendingMysqlGtid_) gtid_.addMysql(pendingMysqlGtid_->tsidText(), pendingMysqlGtid_->gno);
        }
        pendingMysqlGtid_.reset();
    }

    // `xaXid`: the transaction is XA, ending at its XA PREPARE: a batch of its own.
    void commitTxn(const binlog::Event& ev, bool endsAtThisEvent = true, const std::string& xaXid = {}) {
        checkNothingToSkip(ev);
        addGtids(txn_.maria);
        Position end = endsAtThisEvent ? here(ev.nextPosition) : streamPos_;
        if (!endsAtThisEvent) end = here(ev.position);
        inTxn_ = false;
        if (txn_.split) {
            finishSplitTxn(ev, end);
            return;
        }
        // Alone: drain what is building (when rebuilding a batch, only if it was alone then).
        const bool alone =
            !xaXid.empty() && !txn_.changes.empty() && (!recovery_ || !building_ || building_->changes.empty());
        if (alone && !recovery_ && building_ && !building_->changes.empty()) submit({});
        if (!txn_.changes.empty()) {
            Batch& b = building();
            if (alone) {
                b.xaStep = Batch::XaStep::Prepare;
                b.xaXid = xaXid;
            }
            const bool safe = safe_.activeFor(end, SafeMode::Clock::now());
            for (auto& c : txn_.changes) {
                c.safe = safe;
                b.changes.push_back(std::move(c));
            }
            for (auto& e : txn_.events) b.events.push_back(std::move(e));
            b.txnEnds.push_back(static_cast<uint32_t>(b.changes.size()));
            b.bytes += txn_.bytes;
            b.transactions++;
            if (!b.firstTimestamp) b.firstTimestamp = ev.header.timestamp;
            b.lastTimestamp = ev.header.timestamp;
        }
        txn_ = Txn{};
        streamPos_ = end;
        if (alone && !recovery_) {
            submit({}, /*alone=*/true);
            return;
        }
        reachedRecoveryEnd();
        if (alone && building_) {
            building_->xaStep = Batch::XaStep::None;  // rebuilding a batch that ends later
            building_->xaXid.clear();
        }
    }

    Batch& building() {
        if (!building_) {
            building_ = std::make_shared<Batch>();
            building_->start = lastCheckpoint_;
            building_->opened = Clock::now();
        }
        return *building_;
    }

    // During recovery the batch must end exactly where the interrupted one did: the same GTID set
    // (resumed by GTID, maybe on another server), else the same file position.
    void reachedRecoveryEnd() {
        if (!recovery_) return;
        const Position at{streamPos_.file, streamPos_.pos, gtid_.text()};
        const int c = compareGtidSets(at, recovery_->end).value_or(comparePositions(streamPos_, recovery_->end));
        if (c < 0) return;
        if (c > 0)
            throw ReplayError("replay: the checkpoint's batch end " + recovery_->end.text() +
                                  " is not a transaction boundary of the stream (reached " + streamPos_.text() + ")",
                              false);
        Batch& b = building();
        b.seq = recovery_->batch;
        b.shares = recovery_->workers;
        b.start = recovery_->start;
        b.end = recovery_->end;
        auto committed = recovery_->committed;
        recovery_.reset();
        submit(std::move(committed));
    }

    void maybeCloseBatch(bool force) {
        if (recovery_ || inTxn_) return;
        const auto now = Clock::now();
        if (building_ && !building_->changes.empty()) {
            const bool full = building_->changes.size() >= options_.maxBatchRows ||
                building_->bytes >= std::min(options_.maxBatchBytes, options_.limits.maxTxnBytes / 2);
            const bool due = now - building_->opened >= options_.maxBatchDelay;
            // An idle applier takes the batch at once, unless more of the stream is already
            // waiting: then the batch grows (catching up favours big batches).
            const bool idleAndCaughtUp = applier_->idle() && !streamer_->hasBuffered();
            if (force || full || due || idleAndCaughtUp) submit({});
            return;
        }
        // Nothing to apply, but the stream moved on (other tables, rotation): checkpoint it now
        // and then, so a restart does not re-read (or need purged) binlogs.
        if (streamPos_.known() && compareStreamPositions(streamPos_, lastCheckpoint_) > 0 &&
            (force || now - lastEmptyCheckpoint_ >= std::chrono::seconds(1))) {
            lastEmptyCheckpoint_ = now;
            building();
            submit({});
        }
    }

    // `alone`: the batch is one group that goes as one share (XA steps).
    void submit(std::vector<bool> committed, bool alone = false) {
        std::shared_ptr<Batch> b = std::move(building_);
        building_.reset();
        if (b->seq == 0) {
            b->seq = nextSeq_++;
            b->shares = alone ? 1 : applier_->connections();
            b->end = streamPos_;
        } else {
            nextSeq_ = b->seq + 1;
        }
        finishInFlight();
        if (!b->changes.empty()) appliedChangesOrDdl_ = true;
        lastCheckpoint_ = b->end;
        inFlight_ = b;
        if (traceEnabled())
            std::fprintf(stderr, "tidemark replay: batch %llu %s .. %s: %zu changes, %llu transactions\n",
                         static_cast<unsigned long long>(b->seq), b->start.text().c_str(), b->end.text().c_str(),
                         b->changes.size(), static_cast<unsigned long long>(b->transactions));
        progress_.applying();
        applier_->submit(b, std::move(committed));
        progressed_ = true;
    }

    void finishInFlight() {
        applier_->wait();
        for (auto& n : applier_->takeSplitNotes()) sink_.note("replay: " + n);
        if (inFlight_) {
            appliedPos_ = inFlight_->end;
            txApplied_ += inFlight_->transactions;
            inFlight_.reset();
            progress_.applied();
        }
    }

    void handleDdl(const binlog::Query& q, const binlog::Event& ev) {
        const Position end = here(ev.nextPosition);
        Ddl ddl = parseDdl(q.statement, q.schema, job_.objects.names);
        std::string stmt = targetStatement(ddl, q.statement, job_.objects);
        if (stmt.empty()) {
            if (ddl.kind == DdlKind::Skipped || ddl.kind == DdlKind::Unknown)
                sink_.note("replay: skipped " + ddl.head + " at " + here(ev.position).text() +
                           " (users, grants, routines, triggers, events and views are not migrated)");
            streamPos_ = end;
            reachedRecoveryEnd();
            return;
        }
        if (options_.tableStarts.skipDdl(ddl.tables, end)) {
            sink_.note("replay: skipped " + ddl.head + " at " + end.text() + " (the full copy read the table after it)");
            streamPos_ = end;
            reachedRecoveryEnd();
            return;
        }
        // Drain: everything before the DDL is committed before it runs.
        if (building_ && !building_->changes.empty() && !recovery_) submit({});
        finishInFlight();
        auto b = std::make_shared<Batch>();
        b->start = lastCheckpoint_;
        b->end = end;
        b->shares = applier_->connections();
        b->ddlStatement = stmt;
        b->ddlDatabase = q.schema;
        b->ddlHead = ddl.head;
        b->ddlTimeZone = q.timeZone;
        bool alreadyCommitted = false;
        if (recovery_) {
            if (compareGtidSets(end, recovery_->end).value_or(comparePositions(end, recovery_->end)) != 0)
                throw ReplayError("replay: checkpoint batch " + recovery_->start.text() + " .. " +
                                      recovery_->end.text() + " does not match the DDL at " + end.text(),
                                  false);
            b->seq = recovery_->batch;
            b->shares = recovery_->workers;
            b->start = recovery_->start;
            alreadyCommitted = !recovery_->committed.empty() && recovery_->committed[0];
            recovery_.reset();
        } else {
            b->seq = nextSeq_;
        }
        nextSeq_ = b->seq + 1;
        // Only a DDL right at the checkpoint can have run before a crash without its checkpoint.
        const bool maybeApplied = !appliedChangesOrDdl_;
        appliedChangesOrDdl_ = true;
        if (!alreadyCommitted && options_.skipDdl.count(b->end.text())) {
            applier_->skipDdl(*b);
            skippedDdl_.push_back({{"position", b->end.text()},
                                   {"statement", b->ddlStatement.substr(0, 300)},
                                   {"time", status::rfc3339Now()}});
            sink_.report("incremental", {{"skippedDdl", skippedDdl_}, {"failedDdl", nullptr}});
            sink_.note("replay: skipped " + ddl.head + " at " + b->end.text() + " (spec.ddl.skip)");
        } else if (!alreadyCommitted) {
            progress_.ddlStarted(ddl.head + " at " + b->end.text(), ev.header.timestamp);
            struct Finished {
                Progress& p;
                ~Finished() { p.ddlFinished(); }
            } finished{progress_};
            bool applied = applier_->applyDdl(*b, maybeApplied);
            sink_.note("replay: " + std::string(applied ? "applied " : "already applied: ") + ddl.head + " at " +
                       here(ev.position).text());
        }
        progressed_ = true;
        // The target now holds the definition as of this point of the stream; the source's
        // engine comes from the statement (the target's is not the source's).
        db::Connection& c = *meta_;
        const std::string engine = engineClause(q.statement);
        switch (ddl.kind) {
            case DdlKind::DropDatabase: tracker_.forgetDatabase(ddl.database); break;
            case DdlKind::DropTable:
                for (auto& t : ddl.tables) tracker_.forget(t.database, t.table);
                break;
            case DdlKind::RenameTable:
                for (size_t k = 0; k + 1 < ddl.tables.size(); k += 2) {
                    tracker_.forget(ddl.tables[k].database, ddl.tables[k].table);
                    tracker_.reload(c, ddl.tables[k + 1].database, ddl.tables[k + 1].table);
                    tracker_.engineRenamed(ddl.tables[k].database, ddl.tables[k].table, ddl.tables[k + 1].database,
                                           ddl.tables[k + 1].table);
                }
                break;
            default:
                for (auto& t : ddl.tables) {
                    tracker_.reload(c, t.database, t.table);
                    if (ddl.kind == DdlKind::CreateTable || ddl.kind == DdlKind::AlterTable)
                        tracker_.engineChanged(t.database, t.table, engine, ddl.kind == DdlKind::CreateTable);
                }
                if (ddl.hasRename) {
                    tracker_.reload(c, ddl.renamedTable.database, ddl.renamedTable.table);
                    if (!ddl.tables.empty())
                        tracker_.engineRenamed(ddl.tables[0].database, ddl.tables[0].table, ddl.renamedTable.database,
                                               ddl.renamedTable.table);
                }
        }
        streamPos_ = end;
        lastCheckpoint_ = end;
        appliedPos_ = end;
    }

    void report(bool force) {
        ProgressSample s;
        s.source = sourcePos_.known() ? sourcePos_ : streamPos_;
        s.applied = appliedPos_;
        s.gtidSet = appliedPos_.gtidSet;
        std::optional<uint32_t> oldest;
        std::optional<Clock::time_point> arrival;
        auto consider = [&](uint32_t ts, Clock::time_point at) {
            if (ts && (!oldest || ts < *oldest)) oldest = ts;
            if (at != Clock::time_point{} && (!arrival || at < *arrival)) arrival = at;
        };
        if (inFlight_ && applier_->idle()) {
            finishInFlight();  // settles counters and surfaces its error, without blocking
            s.applied = appliedPos_;
            s.gtidSet = appliedPos_.gtidSet;
        }
        if (inFlight_ && inFlight_->transactions) consider(inFlight_->firstTimestamp, inFlight_->opened);
        if (building_ && building_->transactions) consider(building_->firstTimestamp, building_->opened);
        if (inTxn_) consider(txn_.firstTimestamp, txnArrival_);
        // Behind the source with nothing decoded yet: the stream is still catching up.
        s.oldestUnappliedCommit = oldest;
        s.oldestUnappliedArrival = arrival;
        s.rowsApplied = rowsBase_ + applier_->rowsApplied();
        s.targetCommits = applier_->transactionsCommitted();
        s.transactionsApplied = txBase_ + txApplied_;
        const auto now = SafeMode::Clock::now();
        s.safeMode = safe_.active(streamPos_, now);
        s.safeModeUntil = safe_.untilText(streamPos_, now);
        progress_.report(s, force);
    }

public:
    void addTotals() {
        if (applier_) rowsBase_ += applier_->rowsApplied();
        txBase_ += txApplied_;
    }

private:
    const api::MigrationJob& job_;
    const db::ConnectOptions& source_;
    const db::ConnectOptions& target_;
    const ReplayOptions& options_;
    status::StatusSink& sink_;
    const std::atomic<bool>& stop_;
    CheckpointStore store_;
    Fence& fence_;
    SchemaTracker tracker_;
    SafeMode safe_;
    Progress& progress_;
    uint64_t& rowsBase_;
    uint64_t& txBase_;

    Applier* applier_ = nullptr;
    db::Connection* meta_ = nullptr;  // the target connection of run(): meta tables, table definitions
    BinlogStreamer* streamer_ = nullptr;
    binlog::EventDecoder* decoder_ = nullptr;
    std::optional<ResumePoint> recovery_;
    uint64_t skipChanges_ = 0;  // resuming inside a split transaction: its changes still to drop
    Position resumeTxnStart_;   // where that transaction starts
    bool failedOnSource_ = false;
    uint64_t nextSeq_ = 1;
    GtidSet gtid_;
    Position streamPos_, sourcePos_, appliedPos_, lastCheckpoint_;
    bool inTxn_ = false;
    bool trackGtids_ = true;
    Txn txn_;
    Clock::time_point txnArrival_{};
    std::optional<binlog::MysqlGtid> pendingMysqlGtid_;
    std::shared_ptr<Batch> building_;
    std::shared_ptr<Batch> inFlight_;
    nlohmann::json skippedDdl_ = nlohmann::json::array();  // this run's spec.ddl.skip entries, for the status
    uint64_t txApplied_ = 0;
    bool progressed_ = false;
    bool appliedChangesOrDdl_ = false;
    Clock::time_point lastEmptyCheckpoint_;
};

}  // namespace

void runReplay(const api::MigrationJob& spec, const db::ConnectOptions& source, const db::ConnectOptions& target,
               const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop) {
    api::MigrationJob job = spec;
    bool namesKnown = false;
    Progress progress(sink);
    // A DDL that stopped an earlier run is either skipped now or fails again (and is reported again).
    sink.report("incremental", {{"failedDdl", nullptr}});
    // One fence for every session of this run: once another runner took the job from it, later
    // sessions stop instead of waiting to take it back (fence.h).
    Fence fence(job.instanceKey(), FenceOptions{options.lease, options.takeoverTimeout, options.runnerId});
    uint64_t rows = 0, txs = 0;
    auto delay = std::chrono::milliseconds(200);
    ReplayOptions opts = options;
    // While a session fails and the next waits, the status says which side is unavailable.
    auto unavailable = [&](const Session& s, const std::string& what) {
        progress.unavailable(s.failedOnSource() ? StallReason::SourceUnreachable : StallReason::TargetUnavailable,
                             (s.failedOnSource() ? "source: " : "target: ") + what + "; retrying");
    };
    auto backOff = [&] {
        auto until = Clock::now() + delay;
        while (!stop.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        delay = std::min(delay * 2, std::chrono::milliseconds(10000));
    };
    while (!stop.load()) {
        // Names compare as the source compares them (its lower_case_table_names), as the copy and
        // the precheck do: rows, DDL and the schema tracker all match the selection by this rule.
        if (!namesKnown) {
            try {
                auto src = db::connectWithRetry(source);
                job.objects = db::withNameRuleOf(src, job.objects);
                namesKnown = true;
            } catch (const db::DbError& e) {
                if (!e.retryable()) throw ReplayError(std::string("replay: ") + e.what(), false);
                sink.note(std::string("replay: ") + e.what() + "; retrying");
                progress.unavailable(StallReason::SourceUnreachable, std::string("source: ") + e.what() + "; retrying");
                backOff();
                continue;
            }
        }
        Session session(job, source, target, opts, sink, stop, fence, progress, rows, txs);
        progress.sessionStarted();
        try {
            session.run();
            session.addTotals();
            return;
        } catch (const ReplayError& e) {
            if (!e.retryable()) {
                try {
                    if (!dynamic_cast<const FencedOut*>(&e)) session.saveError(e.what());
                } catch (...) {}
                sink.note(std::string("replay stopped: ") + e.what());
                sink.flush();
                throw;
            }
            sink.note(std::string("replay: ") + e.what() + "; retrying");
            unavailable(session, e.what());
        } catch (const db::DbError& e) {
            if (!e.retryable()) throw ReplayError(std::string("replay: ") + e.what(), false);
            sink.note(std::string("replay: ") + e.what() + "; retrying");
            unavailable(session, e.what());
        } catch (const binlog::BinlogError& e) {
            throw ReplayError(std::string("replay: ") + e.what(), false);
        }
        session.addTotals();
        if (session.madeProgress()) delay = std::chrono::milliseconds(200);
        // The start option only counts for the first session; later ones resume from the checkpoint.
        backOff();
    }
}

}  // namespace tidemark::replay
