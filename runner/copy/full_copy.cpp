// Wires the copy: inspect the selected tables, prepare and plan them (checkpointed), open one
// snapshot for all readers, then readers -> bounded batch queue -> writers, a finisher adding
// deferred indexes, and a progress reporter.
#include "runner/copy/full_copy.h"

#include "runner/db/catalog.h"

#include "runner/copy/checkpoint.h"
#include "runner/copy/chunk_reader.h"
#include "runner/copy/chunker.h"
#include "runner/copy/inspect.h"
#include "runner/copy/logical_writer.h"
#include "runner/copy/physical_writer.h"
#include "runner/copy/pipeline.h"
#include "runner/copy/progress.h"
#include "runner/copy/schema_translate.h"
#include "runner/copy/snapshot.h"

#include <algorithm>
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
    void push(std::shared_ptr<ChunkWork> c) { items_.push_back(std::move(c)); }
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
                              " in tidemark_meta; the copy is resumable]");
    }
}

struct Plan {
    std::vector<std::shared_ptr<TableWork>> tables;
    std::map<TableKey, std::vector<DeferredIndex>> deferred;
    std::vector<TableKey> toFinish;  // data done earlier, indexes not yet added
    ChunkQueue chunks;
    std::size_t chunkCount = 0;
    std::uint64_t rowsDoneBefore = 0;
};

std::shared_ptr<TableWork> makeTableWork(const TableInfo& info, bool physical, std::size_t batchBytes,
                                         std::uint64_t batchRows) {
    auto w = std::make_shared<TableWork>();
    w->info = info;
    w->key = {info.db, info.name};
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

}  // namespace

CopyOptions CopyOptions::fromEnvironment() {
    CopyOptions o;
    o.chunkRows = static_cast<std::uint64_t>(envNumber("TIDEMARK_COPY_CHUNK_ROWS", 0));
    o.workers = static_cast<int>(envNumber("TIDEMARK_COPY_WORKERS", 0));
    o.writers = static_cast<int>(envNumber("TIDEMARK_COPY_WRITERS", 0));
    o.exportMiBPerSecond = envNumber("TIDEMARK_COPY_EXPORT_MIBPS", 0);
    o.batchBytes = static_cast<std::size_t>(envNumber("TIDEMARK_COPY_BATCH_BYTES", 0));
    return o;
}

FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop) {
    return runFullCopy(job, source, target, sink, stop, CopyOptions::fromEnvironment());
}

FullCopyResult runFullCopy(const api::MigrationJob& job, const db::ConnectOptions& source,
                           const db::ConnectOptions& target, status::StatusSink& sink, const std::atomic<bool>& stop,
                           const CopyOptions& options) {
    const bool physical = job.fullMode == api::FullMode::Physical;
    const auto capacity = api::capacityPlan(job.capacity);
    const int workers = options.workers > 0 ? options.workers : capacity.workers;
    const int writers = options.writers > 0 ? options.writers : workers;
    const double cap = options.exportMiBPerSecond != 0 ? options.exportMiBPerSecond : capacity.exportMiBPerSecond;
    // Logical statements of about 128 KiB cost the target the least CPU per row (measured: 1 MiB
    // ones about 15% more, as the server's per-placeholder work grows with the statement).
    const std::size_t batchBytes = options.batchBytes > 0 ? options.batchBytes : (physical ? 4u << 20 : 128u << 10);
    const std::uint64_t batchRows = physical ? 1'000'000 : 10'000;

    Checkpoint checkpoint(target, job.name);
    FullCopyResult result;
    const auto priorState = checkpoint.jobState();
    result.resumed = priorState.has_value();

    auto summarize = [&] {
        auto snaps = checkpoint.snapshots();
        if (snaps.empty()) return;
        result.replayFrom = snaps.front().from;
        result.safeUntil = snaps.front().until;
        for (auto& s : snaps) {
            if (positionLess(s.from, result.replayFrom)) result.replayFrom = s.from;
            if (positionLess(result.safeUntil, s.until)) result.safeUntil = s.until;
        }
    };
    if (priorState == std::optional<std::string>("done")) {
        summarize();
        sink.note("full copy of job " + job.name + " already finished; nothing to copy");
        return result;
    }

    auto srcMeta = db::connectWithRetry(source);
    auto srcKeys = db::connectWithRetry(source);
    prepareReadSession(srcKeys);
    auto tgtAdmin = db::connectWithRetry(target);
    tgtAdmin.execute("SET SESSION foreign_key_checks = 0");
    const bool tidb = isTidb(tgtAdmin);

    // Inspect and plan every selected table.
    const auto names = db::selectedTables(srcMeta, job.objects);
    std::vector<TableInfo> infos;
    for (auto& [d, t] : names) infos.push_back(inspectTable(srcMeta, d, t));
    std::stable_sort(infos.begin(), infos.end(),
                     [](const TableInfo& a, const TableInfo& b) { return a.estimatedBytes > b.estimatedBytes; });
    auto records = checkpoint.tables();

    Progress progress(sink, std::string(api::nameOf(job.fullMode)));
    progress.tablesTotal = infos.size();
    for (auto& i : infos) {
        progress.rowsEstimated += i.estimatedRows;
        progress.bytesEstimated += i.estimatedBytes;
    }

    if (physical) {
        for (auto& info : infos) {
            auto rec = records.find({info.db, info.name});
            if (rec != records.end()) continue;
            auto exists = tgtAdmin.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                                          tgtAdmin.quote(info.db) + " AND TABLE_NAME = " + tgtAdmin.quote(info.name));
            if (exists && targetHasRows(tgtAdmin, info.db, info.name))
                throw CopyError(target.endpoint() + ": physical mode needs empty target tables, and " +
                                info.qualified() + " holds rows; empty it or use logical mode");
        }
    }

    // Nothing is written to the target before this point.
    checkpoint.beginJob(api::nameOf(job.fullMode));
    if (result.resumed) {
        sink.note("full copy: resuming job " + job.name + " from tidemark_meta");
        auto [rows, bytes] = checkpoint.copiedSoFar();
        progress.setCopiedBefore(rows, bytes);
    }

    Plan plan;
    std::vector<std::vector<std::shared_ptr<ChunkWork>>> perTable;
    for (auto& info : infos) {
        const TableKey key{info.db, info.name};
        auto work = makeTableWork(info, physical, batchBytes, batchRows);
        auto rec = records.find(key);
        std::vector<ChunkRecord> chunks;
        TableState state;
        if (rec == records.end() || rec->second.state == TableState::Creating) {
            auto prep = prepareTargetTable(srcMeta, tgtAdmin, info, tidb, true);
            std::vector<DeferredIndex> deferred =
                rec != records.end() ? rec->second.deferred : prep.deferred;
            if (!prep.exists) deferred = prep.deferred;
            checkpoint.recordTable(key, deferred, info.estimatedRows);
            if (!prep.exists) {
                tgtAdmin.execute(prep.createDatabase);
                tgtAdmin.execute(prep.createTable);
            }
            for (auto& w : prep.warnings) sink.note("schema: " + w);
            chunks = planChunks(srcKeys, info, options.chunkRows ? options.chunkRows : autoChunkRows(info));
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
        for (auto& c : chunks) {
            if (c.state == ChunkState::Done) continue;
            ++unfinished;
            if (c.state == ChunkState::Started) {
                // Some of this chunk's rows may be in the target: remove them before recopying.
                if (c.where.empty()) tgtAdmin.execute("TRUNCATE TABLE " + info.qualified());
                else tgtAdmin.execute("DELETE FROM " + info.qualified() + " WHERE " + c.where);
            }
            auto cw = std::make_shared<ChunkWork>();
            cw->table = work;
            cw->no = c.no;
            cw->of = static_cast<int>(chunks.size());
            cw->where = c.where;
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
    {
        std::size_t n = 0;
        for (auto& v : perTable) n += v.size();
        sink.note("full copy: " + std::to_string(infos.size()) + " tables, " + std::to_string(n) + " chunks to copy");
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

    // One snapshot for all readers, when there is anything to read.
    std::optional<Snapshot> snap;
    int snapshotSeq = 0;
    // A first run always records a position, even with nothing to copy: replay starts there.
    if (plan.chunkCount > 0 || checkpoint.snapshots().empty()) {
        std::vector<std::pair<std::string, std::string>> lockList;
        for (auto& t : plan.tables)
            if (t->chunksLeft > 0) lockList.push_back(t->key);
        snap = openSnapshot(source, std::max(1, std::min<int>(workers, static_cast<int>(plan.chunkCount))), lockList,
                            options.snapshot);
        snapshotSeq = checkpoint.addSnapshot(snap->from, snap->until);
        result.lockSeconds = snap->lockSeconds;
        sink.note("full copy: snapshot at " + snap->from.file + ":" + std::to_string(snap->from.pos) +
                  (snap->from.gtidSet.empty() ? "" : " (" + snap->from.gtidSet + ")") + " via " + snap->method);
        progress.setSnapshot(snap->from, snap->lockSeconds, result.resumed);
        if (options.afterSnapshot) options.afterSnapshot();
    } else {
        auto snaps = checkpoint.snapshots();
        progress.setSnapshot(snaps.empty() ? BinlogPosition{} : snaps.back().from, 0, result.resumed);
    }
    srcMeta = db::Connection::open(source);  // keep the source quiet: the planning connections are done
    srcKeys = db::Connection::open(source);

    Failure failure;
    std::atomic<bool> abandoned{false};
    auto halted = [&] { return failure.failed() || stop.load(); };
    BoundedQueue<std::unique_ptr<Batch>> batches(static_cast<std::size_t>(2 * writers));
    BoundedQueue<TableKey> finishing(1u << 20);
    for (auto& k : plan.toFinish) finishing.push(k);
    Throttle throttle(cap);
    std::atomic<std::uint64_t> rowsThisRun{0}, bytesThisRun{0};

    auto release = [&](ChunkWork& c) {
        if (--c.refs != 0) return;
        recording(c, [&] {
            checkpoint.markDone(c.table->key, c.no, c.rows, c.bytes);
            if (--c.table->chunksLeft == 0) {
                checkpoint.markTable(c.table->key, TableState::DataDone);
                finishing.push(c.table->key);
            }
        });
    };

    ReadContext readContext;
    readContext.physical = physical;
    readContext.batchBytes = batchBytes;
    readContext.batchRows = batchRows;
    readContext.batches = &batches;
    readContext.throttle = &throttle;
    readContext.halted = halted;

    auto reader = [&](db::Connection& src) {
        try {
            while (!halted()) {
                auto chunk = plan.chunks.pop();
                if (!chunk) return;
                recording(*chunk, [&] { checkpoint.markStarted(chunk->table->key, chunk->no, snapshotSeq); });
                if (readChunk(src, chunk, readContext) == ReadOutcome::Abandoned) {
                    abandoned = true;
                    return;
                }
                release(*chunk);
            }
        } catch (...) {
            failure.set(std::current_exception());
            batches.abort();
            finishing.abort();
        }
    };

    auto writer = [&](std::unique_ptr<BatchWriter> w) {
        try {
            while (auto b = batches.pop()) {
                if (failure.failed()) return;
                w->write(**b);
                progress.rowsCopied += (*b)->rows;
                progress.bytesCopied += (*b)->bytes;
                rowsThisRun += (*b)->rows;
                bytesThisRun += (*b)->bytes;
                auto chunk = (*b)->chunk;
                b->reset();
                release(*chunk);
            }
        } catch (...) {
            failure.set(std::current_exception());
            batches.abort();
            finishing.abort();
        }
    };

    // Finishers add the deferred indexes of tables whose data is complete, while other tables
    // are still copied; several at once at the end, when every table completes together.
    auto finisher = [&] {
        try {
            std::optional<db::Connection> conn;
            while (auto key = finishing.pop()) {
                if (halted()) return;
                const auto& deferred = plan.deferred.at(*key);
                if (!deferred.empty()) {
                    if (!conn) {
                        conn = db::connectWithRetry(target);
                        conn->execute("SET SESSION foreign_key_checks = 0");
                    }
                    addDeferredIndexes(*conn, *key, deferred);
                }
                checkpoint.markTable(*key, TableState::Complete);
                progress.tablesDone++;
            }
        } catch (const db::DbError& e) {
            failure.set(std::make_exception_ptr(db::DbError(
                e.kind(), e.code(), std::string(e.what()) + " [adding the deferred secondary indexes; the copy is resumable]")));
            batches.abort();
            finishing.abort();
        } catch (...) {
            failure.set(std::current_exception());
            batches.abort();
            finishing.abort();
        }
    };

    // Writers connect first so a target that is away fails before any read.
    std::vector<std::unique_ptr<BatchWriter>> writerConns;
    for (int i = 0; i < (plan.chunkCount ? writers : 0); ++i)
        writerConns.push_back(physical ? std::make_unique<LoadDataWriter>(target, tidb)
                                       : std::make_unique<BatchWriter>(target, tidb, false));
    progress.start();
    progress.report();
    std::vector<std::thread> readerThreads, writerThreads;
    std::vector<std::thread> finisherThreads;
    for (int i = 0; i < std::max(1, std::min(writers, 4)); ++i) finisherThreads.emplace_back(finisher);
    for (auto& w : writerConns) writerThreads.emplace_back(writer, std::move(w));
    if (snap)
        for (auto& r : snap->readers) readerThreads.emplace_back(reader, std::ref(r));
    for (auto& t : readerThreads) t.join();
    batches.close();
    for (auto& t : writerThreads) t.join();
    if (!failure.failed() && plan.chunkCount > 0) sink.note("full copy: rows copied, adding deferred indexes");
    finishing.close();
    for (auto& t : finisherThreads) t.join();
    progress.stop();
    snap.reset();

    result.rows = rowsThisRun;
    result.bytes = bytesThisRun;
    if (failure.failed()) {
        progress.report();
        sink.flush();
        failure.rethrow();
    }
    if (abandoned || !plan.chunks.empty() || (stop.load() && progress.tablesDone < progress.tablesTotal)) {
        progress.report();
        sink.flush();
        throw CopyInterrupted("full copy of job " + job.name + " stopped; " + std::to_string(progress.tablesDone.load()) +
                              " of " + std::to_string(progress.tablesTotal.load()) +
                              " tables done; running it again resumes from tidemark_meta");
    }
    checkpoint.finishJob();
    summarize();
    progress.report(true);
    sink.note("full copy done: " + std::to_string(result.rows) + " rows, " + status::humanBytes(double(result.bytes)) +
              (result.resumed ? " (resumed)" : ""));
    sink.flush();
    return result;
}

}  // namespace tidemark::copy
