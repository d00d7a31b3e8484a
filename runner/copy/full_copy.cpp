// Wires the copy: inspect the selected tables, prepare and plan them (checkpointed), open one
// snapshot for all readers, then readers -> bounded batch queue -> writers, a finisher adding
// deferred indexes, and a progress reporter.
#include "runner/copy/full_copy.h"

#include <nlohmann/json.hpp>

#include "api/runner_contract.h"

#include "runner/db/catalog.h"
#include "runner/db/dialect/errors.h"

#include "runner/copy/checkpoint.h"
#include "runner/copy/chunk_reader.h"
#include "runner/copy/chunker.h"
#include "runner/copy/inspect.h"
#include "runner/copy/logical_writer.h"
#include "runner/copy/physical_writer.h"
#include "runner/copy/pipeline.h"
#include "runner/copy/progress.h"
#include "runner/copy/row_filter.h"
#include "runner/copy/schema_translate.h"
#include "runner/consolidate/shard_conflicts.h"
#include "runner/copy/snapshot.h"
#include "runner/copy/target_table.h"

#include <algorithm>
#include <condition_variable>
#include <regex>
#include <cstdlib>
#include <deque>
#include <set>
#include <thread>

namespace tidemark::copy {

namespace {

double envNumber(const char* name, double fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    try {
        return std::stod(v);
    } catch (...) {
        return fallback;
    }
}

// The first error of any thread, and the signal for the others to stop.
class Failure {
public:
    void set(std::exception_ptr e) {
        std::lock_guard lock(m_);
        if (!first_) first_ = e;
        failed_ = true;
    }
    bool failed() const { return failed_; }
    void rethrow() {
        std::lock_guard lock(m_);
        if (first_) std::rethrow_exception(first_);
    }

private:
    std::mutex m_;
    std::exception_ptr first_;
    std::atomic<bool> failed_{false};
};

class ChunkQueue {
public:
    void push(std::shared_ptr<ChunkWork> c) {
        std::lock_guard lock(m_);
        items_.push_back(std::move(c));
    }
    std::shared_ptr<ChunkWork> pop() {
        std::lock_guard lock(m_);
        if (items_.empty()) return nullptr;
        auto c = std::move(items_.front());
        items_.pop_front();
        return c;
    }
    bool empty() {
        std::lock_guard lock(m_);
        return items_.empty();
    }

private:
    std::mutex m_;
    std::deque<std::shared_ptr<ChunkWork>> items_;
};

// Runs a checkpoint update for a chunk, naming the chunk when the target fails.
template <typename F>
void recording(const ChunkWork& c, F&& f) {
    try {
        f();
    } catch (const db::DbError& e) {
        throw db::DbError(e.kind(), e.code(),
                          std::string(e.what()) + " [recording the progress of " + c.describe() +
                              " in tidemark_meta; the copy is resumable]",
                          e.serverText());
    }
}

// What the job's capacity and the options make of this run.
struct Settings {
    bool physical = false;
    int workers = 1;       // source readers
    int writers = 1;       // target connections
    double exportCap = 0;  // MiB/s; <= 0: none
    std::size_t batchBytes = 0;
    std::uint64_t batchRows = 0;
    std::uint64_t chunkRows = 0;  // 0: about a second of work per chunk
    db::dialect::TxnLimits limits;
    bool entryCheckAnywhere = false;  // the row check also on a target that is not TiDB
};

Settings settingsFor(const api::MigrationJob& job, const CopyOptions& options) {
    Settings s;
    s.physical = job.fullMode == api::FullMode::Physical;
    const auto capacity = api::capacityPlan(job.capacity);
    s.workers = options.workers > 0 ? options.workers : capacity.workers;
    s.writers = options.writers > 0 ? options.writers : s.workers;
    s.exportCap = options.exportMiBPerSecond != 0 ? options.exportMiBPerSecond : capacity.exportMiBPerSecond;
    // Logical statements of about 128 KiB cost the target the least CPU per row (measured: 1 MiB
    // ones about 15% more, as the server's per-placeholder work grows with the statement).
    s.batchBytes = options.batchBytes > 0 ? options.batchBytes : (s.physical ? 4u << 20 : 128u << 10);
    s.batchRows = s.physical ? 1'000'000 : 10'000;
    s.chunkRows = options.chunkRows;
    // The job's limits (spec.target.limits), unless the environment overrides them; the row
    // check then applies on any target, else on TiDB only (MySQL and MariaDB have no entry limit).
    s.limits.maxTxnBytes = static_cast<std::size_t>(job.targetLimits.transactionBytes);
    s.limits.maxEntryBytes = static_cast<std::size_t>(job.targetLimits.entryBytes);
    s.entryCheckAnywhere = options.limits.has_value();
    if (options.limits) s.limits = *options.limits;
    if (s.limits.maxTxnBytes > 0) s.batchBytes = std::min(s.batchBytes, s.limits.maxTxnBytes);
    return s;
}

// The tables, their chunks left to copy (tables interleaved), and the deferred indexes.
struct Plan {
    std::map<TableKey, TargetTable> targets;  // where each source table is written (routes)
    std::map<TableKey, std::string> keep;     // its rows to copy (insert row filters); "" = all
    std::vector<std::shared_ptr<TableWork>> tables;
    std::map<TableKey, std::vector<DeferredIndex>> deferred;
    std::vector<TableKey> toFinish;  // data done earlier, indexes not yet added
    ChunkQueue chunks;
    std::size_t chunkCount = 0;
};

std::shared_ptr<TableWork> makeTableWork(const TableInfo& info, const Plan& plan, bool physical, std::size_t batchBytes,
                                         std::uint64_t batchRows) {
    auto w = std::make_shared<TableWork>();
    w->info = info;
    w->key = {info.db, info.name};
    w->target = plan.targets.at(w->key);
    w->keep = plan.keep.at(w->key);
    w->written = info.written();
    std::string exprs;
    for (auto i : w->written) exprs += (exprs.empty() ? "" : ", ") + readExpression(info.columns[i]);
    w->select = "SELECT " + exprs + " FROM " + info.qualified();
    if (!info.key.empty()) w->select += " FORCE INDEX (" + db::quoteIdent(info.keyName) + ")";
    w->writePrefix = physical ? loadDataStatement(*w) : replacePrefix(*w);
    if (!physical) w->rowsPerStatement = rowsPerStatement(info, w->written.size(), batchBytes, batchRows);
    return w;
}

void addDeferredIndexes(db::Connection& target, const TableKey& key, const std::vector<DeferredIndex>& deferred) {
    if (deferred.empty()) return;
    auto have = target.query("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
                             target.quote(key.first) + " AND TABLE_NAME = " + target.quote(key.second));
    std::set<std::string> existing;
    for (auto& r : have.rows) existing.insert(r[0].value_or(""));
    std::string sql;
    for (auto& d : deferred)
        if (!existing.count(d.name)) sql += (sql.empty() ? "" : ", ") + d.clause;
    if (!sql.empty()) target.execute("ALTER TABLE " + db::qualified(key.first, key.second) + " " + sql);
}

// The earliest and the latest snapshot the job's chunks were copied at, and each table read
// wholly at one snapshot.
void summarizeSnapshots(Checkpoint& checkpoint, FullCopyResult& result) {
    auto snaps = checkpoint.snapshots();
    if (snaps.empty()) return;
    result.replayFrom = snaps.front().from;
    result.safeUntil = snaps.front().until;
    std::map<int, BinlogPosition> bySeq;
    for (auto& s : snaps) {
        if (positionLess(s.from, result.replayFrom)) result.replayFrom = s.from;
        if (positionLess(result.safeUntil, s.until)) result.safeUntil = s.until;
        bySeq[s.seq] = s.from;
    }
    for (auto& [key, seq] : checkpoint.wholeTableSnapshots()) {
        auto it = bySeq.find(seq);
        if (it == bySeq.end() || it->second.file.empty()) continue;
        result.tableStarts.push_back({key.first, key.second, it->second.file, it->second.pos, it->second.gtidSet});
    }
}

// The source's definition of a table as SHOW CREATE TABLE prints it, without the
// AUTO_INCREMENT counter (it moves with every insert): equal text, same table.
std::string sourceDefinition(db::Connection& source, const TableInfo& info) {
    auto rows = source.query("SHOW CREATE TABLE " + info.qualified());
    if (rows.rows.empty() || rows.rows[0].size() < 2) return "";
    static const std::regex counter(" AUTO_INCREMENT=[0-9]+");
    return std::regex_replace(rows.rows[0][1].value_or(""), counter, "");
}

// Physical mode: a target table not planned yet must be empty. Checked before anything is written.
void refuseNonEmptyTargets(db::Connection& target, const std::vector<TableInfo>& infos,
                           const std::map<TableKey, TargetTable>& targets,
                           const std::map<TableKey, TableRecord>& records) {
    for (auto& info : infos) {
        if (records.count({info.db, info.name})) continue;
        const TargetTable& into = targets.at({info.db, info.name});
        auto exists =
            target.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + target.quote(into.db) +
                          " AND TABLE_NAME = " + target.quote(into.name));
        if (exists && targetHasRows(target, into.db, into.name))
            throw CopyError(target.options().endpoint() + ": physical mode needs empty target tables, and " +
                            into.qualified() + " holds rows; empty it or use logical mode");
    }
}

// Where each selected table goes (spec.routes) and which of its rows (spec.rowFilters' insert
// expressions), into plan.targets and plan.keep.
void routeTables(const api::MigrationJob& job, const std::vector<TableInfo>& infos, Plan& plan) {
    const consolidate::Router router(job);
    std::vector<consolidate::TableName> names;
    for (auto& info : infos) names.emplace_back(info.db, info.name);
    const auto groups = consolidate::shardGroups(router, names);
    for (auto& info : infos) {
        const auto route = router.route(info.db, info.name);
        const bool merged = groups.count({route.database, route.table}) > 0;
        plan.targets[{info.db, info.name}] = routedTarget(info, route, merged);
        plan.keep[{info.db, info.name}] = rowFilterCondition(job, info);
    }
}

// The source tables of each merged target table, by name.
std::map<consolidate::TableName, std::vector<consolidate::TableName>> mergedGroups(
    const std::vector<TableInfo>& infos, const std::map<TableKey, TargetTable>& targets) {
    std::map<consolidate::TableName, std::vector<consolidate::TableName>> groups;
    for (auto& info : infos) {
        const TargetTable& into = targets.at({info.db, info.name});
        if (into.merged) groups[{into.db, into.name}].emplace_back(info.db, info.name);
    }
    for (auto& [target, shards] : groups) std::sort(shards.begin(), shards.end());
    return groups;
}

std::string sourceList(const std::vector<consolidate::TableName>& tables) {
    std::string s;
    for (auto& t : tables) s += (s.empty() ? "" : ", ") + consolidate::displayName(t);
    return s;
}

// Merges the copy cannot do safely, refused before anything is written: physical mode loads one
// table per source table, and a keyless table merged without an extra column could not be
// cleared for a recopy without deleting the other shards' rows.
void refuseUnsafeMerges(const std::vector<TableInfo>& infos, const std::map<TableKey, TargetTable>& targets,
                        bool physical) {
    const auto groups = mergedGroups(infos, targets);
    for (auto& [target, shards] : groups) {
        const std::string name = db::qualified(target.first, target.second);
        if (physical)
            throw CopyError("full copy: " + name + " merges several source tables (" + sourceList(shards) +
                            "), which physical mode (an empty table per source table) cannot load; use Logical "
                            "(spec.fullMode)");
    }
    for (auto& info : infos) {
        const TargetTable& into = targets.at({info.db, info.name});
        if (into.sharesRowsByKey() && info.key.empty())
            throw CopyError("full copy: " + into.qualified() + " merges " +
                            sourceList(groups.at({into.db, into.name})) + " without an extra column, and " +
                            into.from() +
                            " has no primary or unique key, so its rows could not be told from the other shards' "
                            "when a chunk is copied again; add an extra column to the route "
                            "(spec.routes[].extraColumns)");
    }
}

// Within the snapshot `source` reads at, before any row is written: no two shards of a merged
// table with chunks left may hold one target key (shard_conflicts.h).
void refuseShardConflicts(const api::MigrationJob& job, const std::vector<TableInfo>& infos, const Plan& plan,
                          db::Connection& source, db::Connection& target) {
    std::set<consolidate::TableName> unfinished;
    for (auto& t : plan.tables)
        if (t->chunksLeft > 0) unfinished.insert({t->target.db, t->target.name});
    const consolidate::Router router(job);
    for (auto& [into, shards] : mergedGroups(infos, plan.targets)) {
        if (!unfinished.count(into)) continue;
        const auto keys =
            targetUniqueKeys(source, shards.front(), target, router.route(shards.front().first, shards.front().second));
        if (auto conflict = findShardConflict(source, router, shards, keys))
            throw CopyError("full copy: " + conflict->text());
    }
}

// An unfinished table altered on the source since its copy was planned starts over: its own
// target table is dropped (a crash after the drop comes back here and drops nothing); in a
// merged table only its rows are deleted, by its extra columns. A merged table without them
// cannot tell its rows apart: the user must start that table over.
void startOver(const TableInfo& info, const TargetTable& into, db::Connection& source, db::Connection& target,
               bool tidb, status::StatusSink& sink) {
    if (into.sharesRowsByKey())
        throw CopyError("full copy: " + into.label() +
                        " changed on the source since its copy began, and its rows in the merged table cannot be told "
                        "from the other shards' (the route has no extra column); drop " +
                        into.qualified() + " and its job's checkpoint (tidemark-runner forget) and copy again");
    sink.note(
        "full copy: " + into.label() +
        " changed on the source since its copy began; creating it again on the target and copying it again whole");
    if (!into.merged) target.execute("DROP TABLE IF EXISTS " + into.qualified());
    else clearChunk(source, target, info, into, ChunkRange{}, targetKeySide(target, info, into, tidb));
}

// Fills `plan`: creates each target table and records its chunk plan (checkpointed before any
// row is written), or takes up what an earlier run recorded and removes the rows of chunks it
// had started. Tables whose rows are all copied but whose indexes are not go to toFinish.
void planTables(const std::vector<TableInfo>& infos, const std::map<TableKey, TableRecord>& records,
                const Settings& settings, bool tidb, db::Connection& srcMeta, db::Connection& srcKeys,
                db::Connection& tgtAdmin, Checkpoint& checkpoint, status::StatusSink& sink, Progress& progress,
                Plan& plan) {
    std::vector<std::vector<std::shared_ptr<ChunkWork>>> perTable;
    for (auto& info : infos) {
        const TableKey key{info.db, info.name};
        auto work = makeTableWork(info, plan, settings.physical, settings.batchBytes, settings.batchRows);
        const TargetTable& into = work->target;
        auto rec = records.find(key);
        const std::string definition = sourceDefinition(srcMeta, info);
        // An unfinished table altered on the source since its copy was planned: its target table
        // and chunks no longer fit the rows to read, so it starts over at this run's snapshot
        // (dropped first: a crash after the drop comes back here and drops nothing).
        const bool redefined = rec != records.end() && rec->second.state < TableState::DataDone &&
            !rec->second.definition.empty() && rec->second.definition != definition;
        if (redefined) startOver(info, into, srcKeys, tgtAdmin, tidb, sink);
        std::vector<ChunkRecord> chunks;
        TableState state;
        if (rec == records.end() || rec->second.state == TableState::Creating || redefined) {
            // A merged table's indexes stay: its shards finish at different times.
            auto prep = prepareTargetTable(srcMeta, tgtAdmin, info, into, tidb, !into.merged);
            std::vector<DeferredIndex> deferred =
                rec != records.end() && prep.exists ? rec->second.deferred : prep.deferred;
            checkpoint.recordTable(key, deferred, info.estimatedRows, definition);
            if (!prep.exists) {
                tgtAdmin.execute(prep.createDatabase);
                try {
                    tgtAdmin.execute(prep.createTable);
                } catch (const db::DbError& e) {
                    // Another source of the job (spec.sources) created the merged table first.
                    if (!into.merged || e.code() != db::dialect::kErTableExists) throw;
                }
            }
            for (auto& w : prep.warnings) sink.note("schema: " + w);
            chunks = planChunks(srcKeys, info, settings.chunkRows ? settings.chunkRows : autoChunkRows(info));
            checkpoint.recordPlan(key, chunks);
            plan.deferred[key] = deferred;
            state = TableState::Planned;
        } else {
            chunks = rec->second.chunks;
            plan.deferred[key] = rec->second.deferred;
            state = rec->second.state;
        }
        int unfinished = 0;
        auto& mine = perTable.emplace_back();
        const KeySide sourceSide = sourceKeySide(info);
        std::optional<KeySide> targetSide;  // read from the target when a chunk needs clearing
        for (auto& c : chunks) {
            if (c.state == ChunkState::Done) continue;
            ++unfinished;
            if (c.state == ChunkState::Started) {
                // Some of this chunk's rows may be in the target: remove them before recopying
                // (by range only where the target orders the key as the source: clearChunk).
                if (!targetSide) targetSide = targetKeySide(tgtAdmin, info, into, tidb);
                clearChunk(srcKeys, tgtAdmin, info, into, c.range, *targetSide);
            }
            auto cw = std::make_shared<ChunkWork>();
            cw->table = work;
            cw->no = c.no;
            cw->of = static_cast<int>(chunks.size());
            cw->where = renderRange(info, c.range, sourceSide);
            cw->range = c.range;
            mine.push_back(cw);
        }
        work->chunksLeft = unfinished;
        if (unfinished == 0) {
            if (state < TableState::DataDone) checkpoint.markTable(key, TableState::DataDone);
            if (state < TableState::Complete) plan.toFinish.push_back(key);
            else progress.tablesDone++;
        }
        plan.tables.push_back(work);
    }
    // Interleave tables so that concurrent writers mostly fill different tables.
    for (std::size_t round = 0;; ++round) {
        bool any = false;
        for (auto& v : perTable)
            if (round < v.size()) {
                plan.chunks.push(v[round]);
                ++plan.chunkCount;
                any = true;
            }
        if (!any) break;
    }
}

// Readers (one per snapshot connection) -> bounded batch queue -> writers, and finishers that
// add a table's deferred indexes as soon as all its chunks are done. The first failure of any
// thread stops the others and is rethrown by run().
class Pipeline {
public:
    Pipeline(Plan& plan, const Settings& settings, Checkpoint& checkpoint, Progress& progress, int snapshotSeq,
             const std::atomic<bool>& stop)
        : plan_(plan),
          settings_(settings),
          checkpoint_(checkpoint),
          progress_(progress),
          snapshotSeq_(snapshotSeq),
          stop_(stop),
          batches_(static_cast<std::size_t>(2 * settings.writers)),
          throttle_(settings.exportCap),
          chunksOpen_(plan.chunkCount) {
        for (auto& k : plan_.toFinish) finishing_.push(k);
    }

    struct Outcome {
        std::uint64_t rows = 0, bytes = 0;  // copied by this run
        bool abandoned = false;             // a reader stopped part way through a chunk
    };

    // Writers connect first, so a target that is away fails before any read.
    Outcome run(std::vector<db::Connection>* readers, const db::ConnectOptions& target, bool tidb,
                status::StatusSink& sink) {
        target_ = &target;
        tidb_ = tidb;
        sink_ = &sink;
        std::vector<std::unique_ptr<BatchWriter>> writers;
        for (int i = 0; i < (plan_.chunkCount ? settings_.writers : 0); ++i)
            writers.push_back(settings_.physical ? std::make_unique<LoadDataWriter>(target, tidb)
                                                 : std::make_unique<BatchWriter>(target, tidb, false));
        progress_.start();
        progress_.report();
        std::vector<std::thread> readerThreads, writerThreads, finisherThreads;
        for (int i = 0; i < std::max(1, std::min(settings_.writers, 4)); ++i)
            finisherThreads.emplace_back([this, &target] { finisher(target); });
        for (auto& w : writers) writerThreads.emplace_back([this, w = std::move(w)]() mutable { writer(*w); });
        if (readers)
            for (auto& r : *readers) readerThreads.emplace_back([this, &r] { reader(r); });
        for (auto& t : readerThreads) t.join();
        batches_.close();
        for (auto& t : writerThreads) t.join();
        if (!failure_.failed() && plan_.chunkCount > 0) sink.note("full copy: rows copied, adding deferred indexes");
        finishing_.close();
        for (auto& t : finisherThreads) t.join();
        progress_.stop();
        if (failure_.failed()) {
            progress_.report();
            sink.flush();
            failure_.rethrow();
        }
        return {rows_, bytes_, abandoned_};
    }

private:
    bool halted() const { return failure_.failed() || stop_.load(); }

    void fail(std::exception_ptr e) {
        failure_.set(std::move(e));
        batches_.abort();
        finishing_.abort();
    }

    // Drops one reference to a chunk; the last one marks it done, and its table's last chunk
    // hands the table to the finishers. A chunk to redo goes back to the readers instead: no
    // batch of it is in flight any more, so clearing it cannot race a write.
    void release(const std::shared_ptr<ChunkWork>& c) {
        if (--c->refs != 0) return;
        if (c->redo) {
            progress_.rowsCopied -= c->writtenRows;
            progress_.bytesCopied -= c->writtenBytes;
            rows_ -= c->writtenRows;
            bytes_ -= c->writtenBytes;
            c->writtenRows = 0;
            c->writtenBytes = 0;
            c->rows = 0;
            c->bytes = 0;
            c->redo = false;
            c->clearFirst = true;
            c->refs = 1;
            sink_->note("full copy: " + c->describe() +
                        ": a write's outcome is unknown after a lost connection; copying the chunk again");
            plan_.chunks.push(c);
            chunksChanged_.notify_all();
            return;
        }
        recording(*c, [&] {
            checkpoint_.markDone(c->table->key, c->no, c->rows, c->bytes);
            if (--c->table->chunksLeft == 0) {
                checkpoint_.markTable(c->table->key, TableState::DataDone);
                finishing_.push(c->table->key);
            }
        });
        --chunksOpen_;
        chunksChanged_.notify_all();
    }

    // The next chunk to read; while chunks are still being written one may come back for a
    // redo, so a reader waits for them before it stops.
    std::shared_ptr<ChunkWork> nextChunk() {
        std::unique_lock lock(chunksMutex_);
        for (;;) {
            if (auto c = plan_.chunks.pop()) return c;
            if (chunksOpen_ == 0 || halted()) return nullptr;
            chunksChanged_.wait_for(lock, std::chrono::milliseconds(100));
        }
    }

    // Removes what an earlier attempt at `c` wrote, on a target session of this reader's own;
    // `src` is in the snapshot the chunk is read at (clearChunk may list its keys there).
    void clearForRedo(db::Connection& src, std::optional<db::Connection>& tgt, ChunkWork& c) {
        recording(c, [&] {
            if (!tgt) {
                tgt.emplace(db::connectWithRetry(*target_));
                prepareAdminSession(*tgt);
            }
            const TableInfo& info = c.table->info;
            const TargetTable& into = c.table->target;
            clearChunk(src, *tgt, info, into, c.range, targetKeySide(*tgt, info, into, tidb_));
        });
        c.clearFirst = false;
    }

    void reader(db::Connection& src) {
        ReadContext ctx;
        ctx.physical = settings_.physical;
        ctx.batchBytes = settings_.batchBytes;
        ctx.batchRows = settings_.batchRows;
        ctx.maxStatementBytes = settings_.limits.maxTxnBytes;
        ctx.maxEntryBytes = tidb_ || settings_.entryCheckAnywhere ? settings_.limits.maxEntryBytes : 0;
        ctx.targetEndpoint = target_->endpoint();
        ctx.batches = &batches_;
        ctx.throttle = &throttle_;
        ctx.halted = [this] { return halted(); };
        std::optional<db::Connection> clearing;
        try {
            while (!halted()) {
                auto chunk = nextChunk();
                if (!chunk) return;
                if (chunk->clearFirst) clearForRedo(src, clearing, *chunk);
                recording(*chunk, [&] { checkpoint_.markStarted(chunk->table->key, chunk->no, snapshotSeq_); });
                if (readChunk(src, chunk, ctx) == ReadOutcome::Abandoned) {
                    abandoned_ = true;
                    return;
                }
                release(chunk);
            }
        } catch (...) {
            fail(std::current_exception());
        }
    }

    void writer(BatchWriter& w) {
        try {
            while (auto b = batches_.pop()) {
                if (failure_.failed()) return;
                auto chunk = (*b)->chunk;
                // The batches of a chunk to redo are dropped: it is read again whole.
                if (!chunk->redo && w.write(**b)) {
                    progress_.rowsCopied += (*b)->rows;
                    progress_.bytesCopied += (*b)->bytes;
                    rows_ += (*b)->rows;
                    bytes_ += (*b)->bytes;
                    chunk->writtenRows += (*b)->rows;
                    chunk->writtenBytes += (*b)->bytes;
                } else {
                    chunk->redo = true;
                }
                b->reset();
                release(chunk);
            }
        } catch (...) {
            fail(std::current_exception());
        }
    }

    // Adds the deferred indexes of tables whose rows are complete, while other tables are still
    // copied; several at once at the end, when every table completes together.
    void finisher(const db::ConnectOptions& target) {
        try {
            std::optional<db::Connection> conn;
            while (auto key = finishing_.pop()) {
                if (halted()) return;
                const auto& deferred = plan_.deferred.at(*key);
                if (!deferred.empty()) {
                    if (!conn) {
                        conn = db::connectWithRetry(target);
                        prepareAdminSession(*conn);  // an ALTER checks DEFAULT '0000-00-00' clauses
                    }
                    const TargetTable& into = plan_.targets.at(*key);
                    addDeferredIndexes(*conn, {into.db, into.name}, deferred);
                }
                checkpoint_.markTable(*key, TableState::Complete);
                progress_.tablesDone++;
            }
        } catch (const db::DbError& e) {
            fail(std::make_exception_ptr(
                db::DbError(e.kind(), e.code(),
                            std::string(e.what()) + " [adding the deferred secondary indexes; the copy is resumable]",
                            e.serverText())));
        } catch (...) {
            fail(std::current_exception());
        }
    }

    Plan& plan_;
    const Settings& settings_;
    Checkpoint& checkpoint_;
    Progress& progress_;
    const int snapshotSeq_;
    const std::atomic<bool>& stop_;
    Failure failure_;
    BoundedQueue<std::unique_ptr<Batch>> batches_;
    BoundedQueue<TableKey> finishing_{1u << 20};
    Throttle throttle_;
    std::atomic<std::uint64_t> rows_{0}, bytes_{0};
    std::atomic<bool> abandoned_{false};
    const db::ConnectOptions* target_ = nullptr;
    bool tidb_ = false;
    status::StatusSink* sink_ = nullptr;
    std::mutex chunksMutex_;
    std::condition_variable chunksChanged_;
    std::atomic<std::size_t> chunksOpen_;  // chunks not yet done (a redo keeps its chunk open)
};

}  // namespace

CopyOptions CopyOptions::fromEnvironment() {
    CopyOptions o;
    o.chunkRows = static_cast<std::uint64_t>(envNumber("TIDEMARK_COPY_CHUNK_ROWS", 0));
    o.workers = static_cast<int>(envNumber("TIDEMARK_COPY_WORKERS", 0));
    o.writers = static_cast<int>(envNumber("TIDEMARK_COPY_WRITERS", 0));
    o.exportMiBPerSecond = envNumber("TIDEMARK_COPY_EXPORT_MIBPS", 0);
    o.batchBytes = static_cast<std::size_t>(envNumber("TIDEMARK_COPY_BATCH_BYTES", 0));
    o.lockWaitSeconds = static_cast<int>(envNumber("TIDEMARK_COPY_LOCK_WAIT_TIMEOUT", 0));
    o.lockAttempts = static_cast<int>(envNumber("TIDEMARK_COPY_LOCK_ATTEMPTS", 0));
    const double maxTxn = envNumber("TIDEMARK_COPY_MAX_TXN_BYTES", 0);
    const double maxEntry = envNumber("TIDEMARK_COPY_MAX_ENTRY_BYTES", 0);
    if (maxTxn > 0 || maxEntry > 0) {
        o.limits = db::dialect::TxnLimits{};
        if (maxTxn > 0) o.limits->maxTxnBytes = static_cast<std::size_t>(maxTxn);
        if (maxEntry > 0) o.limits->maxEntryBytes = static_cast<std::size_t>(maxEntry);
    }
    return o;
}

FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop) {
    return runFullCopy(job, source, target, sink, stop, CopyOptions::fromEnvironment());
}

FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop,
                           const CopyOptions& options) {
    const Settings settings = settingsFor(job, options);
    Checkpoint checkpoint(target, job.instanceKey());
    FullCopyResult result;
    const auto priorState = checkpoint.jobState();
    result.resumed = priorState.has_value();
    if (priorState == std::optional<std::string>("done")) {
        summarizeSnapshots(checkpoint, result);
        sink.note("full copy of job " + job.name + " already finished; nothing to copy");
        nlohmann::json done = {
            {std::string(api::contract::kFullCopyDone), true}, {"percent", 100.0}, {"resumed", true}};
        sink.report(std::string(api::contract::kBlockFullCopy), done);
        return result;
    }

    auto srcMeta = db::connectWithRetry(source);
    auto srcKeys = db::connectWithRetry(source);
    prepareReadSession(srcKeys);
    auto tgtAdmin = db::connectWithRetry(target);
    prepareAdminSession(tgtAdmin);
    const bool tidb = isTidb(tgtAdmin);

    // Inspect every selected table, largest first.
    std::vector<TableInfo> infos;
    for (auto& [d, t] : db::selectedTables(srcMeta, job.objects)) infos.push_back(inspectTable(srcMeta, d, t));
    std::stable_sort(infos.begin(), infos.end(),
                     [](const TableInfo& a, const TableInfo& b) { return a.estimatedBytes > b.estimatedBytes; });
    const auto records = checkpoint.tables();

    Progress progress(sink, std::string(api::nameOf(job.fullMode)));
    progress.tablesTotal = infos.size();
    for (auto& i : infos) {
        progress.rowsEstimated += i.estimatedRows;
        progress.bytesEstimated += i.estimatedBytes;
    }
    Plan plan;
    routeTables(job, infos, plan);
    refuseUnsafeMerges(infos, plan.targets, settings.physical);
    if (settings.physical) refuseNonEmptyTargets(tgtAdmin, infos, plan.targets, records);

    // Nothing is written to the target before this point.
    checkpoint.beginJob(api::nameOf(job.fullMode));
    if (result.resumed) {
        sink.note("full copy: resuming job " + job.name + " from tidemark_meta");
        auto [rows, bytes] = checkpoint.copiedSoFar();
        progress.setCopiedBefore(rows, bytes);
    }
    for (auto& [key, into] : plan.targets)
        if (into.renamed()) sink.note("full copy: routing " + into.label());
    planTables(infos, records, settings, tidb, srcMeta, srcKeys, tgtAdmin, checkpoint, sink, progress, plan);
    sink.note("full copy: " + std::to_string(infos.size()) + " tables, " + std::to_string(plan.chunkCount) +
              " chunks to copy");

    // One snapshot for all readers, when there is anything to read. A first run always records
    // a position, even with nothing to copy: replay starts there.
    std::optional<Snapshot> snap;
    int snapshotSeq = 0;
    if (plan.chunkCount > 0 || checkpoint.snapshots().empty()) {
        std::vector<TableKey> lockList;
        for (auto& t : plan.tables)
            if (t->chunksLeft > 0) lockList.push_back(t->key);
        const int readers = std::max(1, std::min<int>(settings.workers, static_cast<int>(plan.chunkCount)));
        LockPolicy lock;
        if (options.lockWaitSeconds > 0) lock.waitSeconds = options.lockWaitSeconds;
        if (options.lockAttempts > 0) lock.attempts = options.lockAttempts;
        snap = openSnapshot(source, readers, lockList, options.snapshot, lock);
        snapshotSeq = checkpoint.addSnapshot(snap->from, snap->until);
        result.lockSeconds = snap->lockSeconds;
        sink.note("full copy: snapshot at " + snap->from.file + ":" + std::to_string(snap->from.pos) +
                  (snap->from.gtidSet.empty() ? "" : " (" + snap->from.gtidSet + ")") + " via " + snap->method);
        progress.setSnapshot(snap->from, snap->lockSeconds, result.resumed);
        if (options.afterSnapshot) options.afterSnapshot();
        refuseShardConflicts(job, infos, plan, snap->readers.front(), tgtAdmin);
    } else {
        auto snaps = checkpoint.snapshots();
        progress.setSnapshot(snaps.empty() ? BinlogPosition{} : snaps.back().from, 0, result.resumed);
    }
    srcMeta = db::Connection::open(source);  // keep the source quiet: the planning connections are done
    srcKeys = db::Connection::open(source);

    Pipeline pipeline(plan, settings, checkpoint, progress, snapshotSeq, stop);
    const auto outcome = pipeline.run(snap ? &snap->readers : nullptr, target, tidb, sink);
    snap.reset();
    result.rows = outcome.rows;
    result.bytes = outcome.bytes;
    if (outcome.abandoned || !plan.chunks.empty() || (stop.load() && progress.tablesDone < progress.tablesTotal)) {
        progress.report();
        sink.flush();
        throw CopyInterrupted(
            "full copy of job " + job.name + " stopped; " + std::to_string(progress.tablesDone.load()) + " of " +
            std::to_string(progress.tablesTotal.load()) + " tables done; running it again resumes from tidemark_meta");
    }
    checkpoint.finishJob();
    summarizeSnapshots(checkpoint, result);
    progress.report(true);
    sink.note("full copy done: " + std::to_string(result.rows) + " rows, " + status::humanBytes(double(result.bytes)) +
              (result.resumed ? " (resumed)" : ""));
    sink.flush();
    return result;
}

}  // namespace tidemark::copy
