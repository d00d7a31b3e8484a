#include "runner/copy/chunk_reader.h"

#include "runner/copy/batch_limits.h"
#include "runner/copy/full_copy.h"
#include "runner/copy/logical_writer.h"
#include "runner/copy/physical_writer.h"

#include "runner/db/fault_injection.h"

#include <mysql.h>

namespace tidemark::copy {

namespace {

// A message for a failed read that says what probably happened and that the copy resumes. A
// table dropped or altered on the source since the copy planned it is no fault of the job: the
// error is Transient (retryable, exit 3), and the run that resumes reads the new definition
// (full_copy.h: an unfinished table whose definition changed is copied again whole).
db::DbError readError(const db::DbError& e, const ChunkWork& c) {
    std::string hint;
    auto kind = e.kind();
    if (db::dialect::tableChangedUnderneath(e.code())) {
        hint = "; the table was dropped or altered on the source during the copy";
        kind = db::ErrorKind::Transient;
    }
    return db::DbError(kind, e.code(),
                       std::string(e.what()) + " [reading " + c.describe() + hint +
                           "; the copy is resumable: finished chunks are kept in tidemark_meta]",
                       e.serverText());
}

// Throws the connection's current error, named for the chunk, after freeing `res`.
[[noreturn]] void failRead(db::Connection& source, MYSQL_RES* res, const ChunkWork& c) {
    try {
        source.fail("reading rows");
    } catch (const db::DbError& e) {
        if (res) mysql_free_result(res);
        throw readError(e, c);
    }
}

}  // namespace

ReadOutcome readChunk(db::Connection& source, const std::shared_ptr<ChunkWork>& chunk, const ReadContext& ctx) {
    const TableWork& t = *chunk->table;
    std::string sql = t.select;
    if (!chunk->where.empty() && !t.keep.empty()) sql += " WHERE (" + chunk->where + ") AND " + t.keep;
    else if (!chunk->where.empty() || !t.keep.empty()) sql += " WHERE " + chunk->where + t.keep;
    MYSQL* m = source.raw();
    try {
        db::checkFaultBefore(source.options(), sql);
    } catch (const db::DbError& e) {
        throw readError(e, *chunk);
    }
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) failRead(source, nullptr, *chunk);
    MYSQL_RES* res = mysql_use_result(m);
    if (!res) failRead(source, nullptr, *chunk);
    const unsigned ncols = mysql_num_fields(res);

    std::unique_ptr<Batch> batch;
    std::size_t statementBytes = 0;  // statementBound of the batch's rows, and its statement
    auto fresh = [&] {
        statementBytes = t.writePrefix.size();
        batch = std::make_unique<Batch>();
        batch->chunk = chunk;
        batch->data.reserve(ctx.batchBytes + (64u << 10));
        if (!ctx.physical) {
            batch->lengths.reserve(t.rowsPerStatement * ncols);
            batch->nulls.reserve(t.rowsPerStatement * ncols);
        }
    };
    // Logical batches are one prepared statement's rows; a batch of rows far larger than the
    // table's average is sent early (as a plain statement) to keep memory bounded.
    const std::uint64_t rowsPerBatch = ctx.physical ? ctx.batchRows : t.rowsPerStatement;
    const std::size_t bytesPerBatch = ctx.physical ? ctx.batchBytes : 4 * ctx.batchBytes;
    // Hands the batch on; false when the chunk must be abandoned.
    auto flush = [&] {
        chunk->rows += batch->rows;
        chunk->bytes += batch->bytes;
        ++chunk->refs;
        ctx.throttle->acquire(batch->bytes);
        if (!ctx.batches->push(std::move(batch))) {
            --chunk->refs;
            return false;
        }
        fresh();
        return !ctx.halted();
    };

    std::size_t extrasBytes = 0;  // the route's constants each row's values end with
    for (auto& e : t.target.extras) extrasBytes += consolidate::extraLiteral(e.value).size() + 1;
    fresh();
    bool stopped = false;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
        const unsigned long* len = mysql_fetch_lengths(res);
        if (ctx.maxEntryBytes > 0) {
            std::size_t size = 0;
            for (unsigned i = 0; i < ncols; ++i) size += len[i];
            if (size > ctx.maxEntryBytes) {
                const auto key = rowKeyText(t, [&](std::size_t col) {
                    return row[col] ? std::optional<std::string>(std::string(row[col], len[col])) : std::nullopt;
                });
                mysql_free_result(res);
                throw CopyError(entryTooLargeMessage(
                    ctx.targetEndpoint, t, key, size,
                    "spec.target.limits.entrySize = " + std::to_string(ctx.maxEntryBytes) + " bytes"));
            }
        }
        // A row that would take the statement past the cap starts the next batch.
        const std::size_t bound = statementBound(len, ncols) + extrasBytes;
        if (ctx.maxStatementBytes > 0 && batch->rows > 0 && statementBytes + bound > ctx.maxStatementBytes &&
            !flush()) {
            stopped = true;
            break;
        }
        statementBytes += bound;
        if (ctx.physical) {
            appendTsvRow(batch->data, t, row, len);
        } else {
            for (unsigned i = 0; i < ncols; ++i) {
                batch->nulls.push_back(row[i] == nullptr);
                batch->lengths.push_back(row[i] ? len[i] : 0);
                if (row[i]) batch->data.append(row[i], len[i]);
            }
        }
        ++batch->rows;
        for (unsigned i = 0; i < ncols; ++i) batch->bytes += len[i];
        if ((batch->data.size() >= bytesPerBatch || batch->rows >= rowsPerBatch) && !flush()) {
            stopped = true;
            break;
        }
    }
    if (stopped) {
        mysql_free_result(res);  // reads and drops the rest of the chunk
        return ReadOutcome::Abandoned;
    }
    if (mysql_errno(m) != 0) failRead(source, res, *chunk);
    mysql_free_result(res);
    try {
        db::checkFaultAfter(source.options(), sql);
    } catch (const db::DbError& e) {
        throw readError(e, *chunk);
    }
    if (batch->rows > 0 && !flush()) return ReadOutcome::Abandoned;
    return ReadOutcome::Complete;
}

}  // namespace tidemark::copy
