#include "runner/replay/replay.h"

#include "runner/consolidate/shard_conflicts.h"
#include "runner/db/catalog.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "runner/binlog/errors.h"
#include "runner/replay/applier.h"
#include "runner/replay/batcher.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/ddl_runner.h"
#include "runner/replay/errors.h"
#include "runner/replay/fence.h"
#include "runner/replay/held_rows.h"
#include "runner/replay/shard_ddl_locks.h"
#include "runner/replay/progress.h"
#include "runner/replay/safe_mode.h"
#include "runner/replay/schema_tracker.h"
#include "runner/replay/stream_order.h"
#include "runner/replay/txn_assembler.h"

namespace tidemark::replay {

namespace {

using Clock = std::chrono::steady_clock;

// The instance key of every source of the job (one for a job of one source).
std::vector<std::string> sourceInstances(const api::MigrationJob& job) {
    if (job.sources.empty()) return {job.instanceKey()};  // built in code, not parsed
    std::vector<std::string> keys;
    for (const auto& source : job.sources) keys.push_back(job.forSource(source.id).instanceKey());
    return keys;
}

// One connected run: from the checkpoint (or start) until stop, stopAt or an error. It opens the
// target, takes the job over, reads the checkpoint and decides where to resume, starts the applier
// and the stream, then wires the parts of replay for the run:
//   binlog stream ──> TxnAssembler ──transactions──> Batcher ──batches──> Applier
//                                   └──DDL──> DdlRunner (through the Batcher and the Applier)
class Session {
public:
    Session(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
            const ReplayOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop, Fence& fence,
            Progress& progress, uint64_t& txBase)
        : job_(job),
          source_(source),
          target_(target),
          options_(options),
          sink_(sink),
          stop_(stop),
          store_(job.instanceKey()),
          fence_(fence),
          tracker_(job.objects, consolidate::Router(job), job.instanceKey()),
          shadows_(job.instanceKey(), consolidate::Router(job)),
          progress_(progress),
          txBase_(txBase) {
        if (job.shardDdl.mode == api::ShardDdlSpec::Mode::Pessimistic && !job.consolidation.routes.empty())
            shardLocks_.emplace(job.jobKey(), job.instanceKey(), sourceInstances(job));
    }

    // True when it made progress (for the caller's backoff).
    bool madeProgress() const { return progressed_; }
    // Which endpoint the error that ended run() came from (for the stall reason).
    bool failedOnSource() const { return failedOnSource_; }

    void run() {
        auto meta = db::connectWithRetry(target_);
        store_.ensureTables(meta);
        const int workers = options_.workers > 0 ? options_.workers : api::capacityPlan(job_.capacity).workers;
        // Take the job over before reading the checkpoint rows: afterwards no transaction of an
        // earlier run (a killed runner's sessions, another runner) can still commit (fence.h).
        if (!fence_.acquire(meta, workers, &stop_)) return;
        LeaseKeeper keeper(target_, fence_);
        const auto resume = store_.load(meta);
        enableSafeMode(meta, resume.has_value());
        loadTables(meta);
        StartPlan plan = planStart(resume);

        ApplierOptions applierOptions;
        applierOptions.limits = options_.limits;
        applierOptions.shardDdl = shardLocks_ ? &*shardLocks_ : nullptr;
        Applier applier(target_, workers, store_, fence_, applierOptions);
        BinlogStreamer streamer(source_, streamerOptions());
        const SourceInfo info = onSource([&] { return streamer.start(plan.from); });
        errorAt_ = info.start;
        if (!info.gtidKnown)
            sink_.note("replay: the source's GTID set at " + info.start.text() +
                       " is unknown; checkpoints record file positions only until a restart reads it");
        sink_.note("replay: streaming from " + (info.start.known() ? info.start.text() : "GTID " + info.start.gtidSet) +
                   " with " + std::to_string(workers) + " workers");
        // Starting "now": record the start before reading anything, so a failure before the first
        // batch resumes here instead of at a later "now" (which would skip what came between).
        const bool startsNow = !resume && !options_.start && info.start.known();
        replicate(meta, keeper, applier, streamer, info, std::move(plan), startsNow);
    }

    // Where the failure that ended run() happened: the end of the batch being applied, else the
    // stream position.
    const Position& errorPosition() const { return errorAt_; }

    // Records the error that stops replay (fenced: not when another runner holds the job).
    void saveError(const std::string& message) {
        auto c = db::Connection::open(target_);
        store_.saveError(c, fence_, errorPosition(), message);
    }

    void addTotals() { txBase_ += txApplied_; }

private:
    // Where the stream starts and what batching resumes.
    struct StartPlan {
        Position from;  // empty: the source's current position ("now")
        uint64_t nextSeq = 1;
        std::optional<ResumePoint> rebuild;
        InsideTxn inside;
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

    // Safe mode: the full copy's snapshot, persisted so a crash before passing it keeps it on.
    void enableSafeMode(db::Connection& meta, bool resuming) {
        const auto state = store_.loadJobState(meta);
        if (!resuming && options_.safeUntil && options_.safeUntil->known())
            store_.saveSafeUntil(meta, fence_, *options_.safeUntil);
        if (state.safeUntil) safe_.extendTo(*state.safeUntil);
        if (options_.safeUntil && !resuming) safe_.extendTo(*options_.safeUntil);
        if (options_.restartAfterError) {
            safe_.extendTo(SafeMode::Clock::now() + job_.incremental.safeModeDuration);
            if (state.errorAt) safe_.extendTo(*state.errorAt);
        }
    }

    void loadTables(db::Connection& meta) {
        if (!job_.consolidation.routes.empty()) {
            onSource([&] {
                auto src = db::connectWithRetry(source_);
                // Which source tables each routed target table stands for.
                tracker_.expectSourceTables(db::selectedTables(src, job_.objects));
            });
            shadows_.ensure(meta, tracker_.groups());
            if (shardLocks_) loadShardSteps(meta);
            else refuseWaitingChanges(meta);
        }
        tracker_.loadAll(meta, SchemaTracker::Side::Target);
        onSource([&] {
            auto src = db::connectWithRetry(source_);
            tracker_.loadAll(src, SchemaTracker::Side::Source);  // tables the target does not have yet
            tracker_.loadSourceEngines(src);
        });
    }

    // Pessimistic shard DDL: which step each shard and merged table is at, before the shards'
    // definitions are tracked (their rows are held while a shard is past its merged table).
    void loadShardSteps(db::Connection& meta) {
        shardLocks_->ensureTables(meta);
        ensureHeldRowsTable(meta);
        shardLocks_->registerShards(meta, tracker_.groups());
        for (const auto& [shard, step] : shardLocks_->load(meta, tracker_.groups())) tracker_.setShardStep(shard, step);
    }

    // Optimistic mode never releases what Pessimistic mode holds: a job switched while changes
    // wait stops, rather than leaving held rows behind.
    void refuseWaitingChanges(db::Connection& meta) {
        if (!meta.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                         "TABLE_NAME = 'ddl_lock_issued'"))
            return;
        const auto waiting =
            meta.scalar("SELECT COUNT(*) FROM tidemark_meta.ddl_lock_issued WHERE job = " + meta.quote(job_.jobKey()));
        if (waiting.value_or("0") == "0") return;
        throw ReplayError("replay: spec.shardDdl.mode is Optimistic, but " + *waiting +
                              " shard DDL statement(s) of merged tables wait for other shards (Pessimistic mode, "
                              "status.incremental.shardDdl) with rows held for them; set spec.shardDdl.mode back to "
                              "Pessimistic until every shard issued them",
                          false);
    }

    // A checkpoint with a MySQL GTID set resumes by that set (COM_BINLOG_DUMP_GTID): the same
    // point on this source, or on a replica of it with other file names after a failover.
    StartPlan planStart(const std::optional<ResumePoint>& resume) {
        StartPlan plan;
        if (resume && resume->insideTxn()) {
            // Inside a source transaction applied in pieces: from its start, without the changes
            // already in the target (checkpoint.h).
            plan.from = resumePoint(resume->start);
            plan.nextSeq = resume->batch + 1;
            plan.inside = InsideTxn{resume->start, resume->next[0]};
            sink_.note("replay: resuming inside the source transaction at " + resume->start.text() + ", after its " +
                       std::to_string(resume->next[0]) + " row changes already applied");
        } else if (resume && resume->complete()) {
            plan.from = resumePoint(resume->end);
            plan.nextSeq = resume->batch + 1;
        } else if (resume) {
            plan.from = resumePoint(resume->start);
            plan.rebuild = *resume;
            plan.nextSeq = resume->batch;
            std::string partial;
            for (size_t w = 0; w < resume->next.size(); ++w)
                if (resume->next[w] > 0)
                    partial += ", share " + std::to_string(w) + " from row change " + std::to_string(resume->next[w]);
            sink_.note("replay: resuming inside batch " + std::to_string(resume->batch) + " (" + resume->start.text() +
                       " .. " + resume->end.text() + "); applying its uncommitted shares" + partial);
        } else if (options_.start) {
            plan.from = *options_.start;
        }
        return plan;
    }

    StreamerOptions streamerOptions() const {
        StreamerOptions so;
        so.replicaName = options_.replicaName.empty() ? "tidemark-" + job_.instanceKey() : options_.replicaName;
        so.heartbeat = options_.heartbeat;
        return so;
    }

    // The parts of the run, wired by reference at construction, until stop, stopAt or an error.
    void replicate(db::Connection& meta, const LeaseKeeper& keeper, Applier& applier, BinlogStreamer& streamer,
                   const SourceInfo& info, StartPlan plan, bool startsNow) {
        Batcher batcher(applier, streamer, options_, safe_, progress_, sink_,
                        BatchStart{info.start, plan.nextSeq, std::move(plan.rebuild)});
        DdlRunner ddl(job_, options_, sink_, progress_, tracker_, shadows_, meta, applier, batcher,
                      shardLocks_ ? &*shardLocks_ : nullptr);
        RowSelection rowSelection(job_, progress_);
        TxnAssembler stream(info, tracker_, job_.objects, options_, progress_, sink_, batcher, ddl, rowSelection,
                            plan.inside);
        try {
            if (startsNow) batcher.checkpointStart(stream.position());
            pump(stream, batcher, streamer, keeper, applier);
        } catch (...) {
            keepOutcome(stream, batcher);
            try {
                applier.wait();
            } catch (...) {}
            throw;
        }
        keepOutcome(stream, batcher);
    }

    // The loop: read the stream (20 ms at a time), close batches, report, keep the lease.
    void pump(TxnAssembler& stream, Batcher& batcher, BinlogStreamer& streamer, const LeaseKeeper& keeper,
              const Applier& applier) {
        auto closeBatch = [&](bool force) {
            if (!stream.openTxn()) batcher.maybeClose(stream.position(), force);
        };
        std::string raw;
        while (!stop_.load()) {
            if (onSource([&] { return streamer.next(raw, std::chrono::milliseconds(20)); }))
                stream.feed(std::move(raw));
            closeBatch(false);
            if (options_.stopAt && !stream.openTxn() && !batcher.rebuilding() &&
                compareStreamPositions(stream.position(), *options_.stopAt) >= 0) {
                closeBatch(true);
                batcher.finishInFlight();
                if (compareStreamPositions(batcher.appliedPosition(), *options_.stopAt) >= 0) break;
            }
            report(stream, batcher, applier, false);
            keeper.check();
        }
        // Stop: commit the whole transactions received so far.
        if (!batcher.rebuilding()) closeBatch(true);
        batcher.finishInFlight();
        report(stream, batcher, applier, true);
    }

    void report(const TxnAssembler& stream, Batcher& batcher, const Applier& applier, bool force) {
        ProgressSample s;
        s.source = stream.sourcePosition();
        batcher.settleIfIdle();  // settles counters and surfaces its error, without blocking
        s.applied = batcher.appliedPosition();
        s.gtidSet = s.applied.gtidSet;
        std::optional<uint32_t> oldest;
        std::optional<Clock::time_point> arrival;
        auto consider = [&](uint32_t ts, Clock::time_point at) {
            if (ts && (!oldest || ts < *oldest)) oldest = ts;
            if (at != Clock::time_point{} && (!arrival || at < *arrival)) arrival = at;
        };
        if (auto* b = batcher.inFlight(); b && b->transactions) consider(b->firstTimestamp, b->opened);
        if (auto* b = batcher.building(); b && b->transactions) consider(b->firstTimestamp, b->opened);
        if (auto* txn = stream.openTxn()) consider(txn->firstTimestamp, txn->arrival);
        // Behind the source with nothing decoded yet: the stream is still catching up.
        s.oldestUnappliedCommit = oldest;
        s.oldestUnappliedArrival = arrival;
        s.rowsApplied = applier.rowsApplied();  // this session's
        s.rowsHeld = applier.rowsHeld();
        s.targetCommits = applier.transactionsCommitted();
        s.transactionsApplied = txBase_ + batcher.transactionsApplied();
        const auto now = SafeMode::Clock::now();
        s.safeMode = safe_.active(stream.position(), now);
        s.safeModeUntil = safe_.untilText(stream.position(), now);
        progress_.report(s, force);
    }

    // What the caller reads once run() returned or threw.
    void keepOutcome(const TxnAssembler& stream, const Batcher& batcher) {
        errorAt_ = batcher.inFlight() ? batcher.inFlight()->end : stream.position();
        progressed_ = batcher.madeProgress();
        txApplied_ = batcher.transactionsApplied();
    }

    const api::MigrationJob& job_;
    const db::ConnectOptions& source_;
    const db::ConnectOptions& target_;
    const ReplayOptions& options_;
    status::StatusSink& sink_;
    const std::atomic<bool>& stop_;
    CheckpointStore store_;
    Fence& fence_;
    SchemaTracker tracker_;
    ShardShadows shadows_;                     // merged tables' shards: their own definitions
    std::optional<ShardDdlLocks> shardLocks_;  // spec.shardDdl.mode Pessimistic with routes
    SafeMode safe_;
    Progress& progress_;
    uint64_t& txBase_;  // transactions applied by the sessions before this one

    bool failedOnSource_ = false;
    Position errorAt_;
    bool progressed_ = false;
    uint64_t txApplied_ = 0;
};

}  // namespace

namespace {

// " (<shard> and <shard> both hold ...)" when the job merges tables and two shards hold one key
// now, else "": what a duplicate key in a merged target table means.
std::string shardConflictNote(const api::MigrationJob& job, const db::ConnectOptions& source,
                              const db::ConnectOptions& target) {
    if (job.consolidation.routes.empty()) return "";
    try {
        auto src = db::Connection::open(source);
        auto tgt = db::Connection::open(target);
        if (auto conflict = consolidate::findAnyShardConflict(src, tgt, job)) return " (" + conflict->text() + ")";
    } catch (const std::exception&) {
        // The servers cannot be asked now; the error stands as it is.
    }
    return "";
}

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
    uint64_t txs = 0;
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
        Session session(job, source, target, opts, sink, stop, fence, progress, txs);
        progress.sessionStarted();
        try {
            session.run();
            session.addTotals();
            return;
        } catch (const DuplicateKeyError& e) {
            // A merged table (spec.routes) refuses a key: name the two shards that both hold it.
            const DuplicateKeyError named(e.what() + shardConflictNote(job, source, target));
            try {
                session.saveError(named.what());
            } catch (...) {}
            sink.note(std::string("replay stopped: ") + named.what());
            sink.flush();
            throw named;
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
