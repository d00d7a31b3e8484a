#include "runner/copy/chunk_reader.h"

#include "runner/copy/logical_writer.h"
#include "runner/copy/physical_writer.h"

#include <mysql.h>
#include <mysqld_error.h>

namespace tidemark::copy {

namespace {

// A message for a failed read that says what probably happened and that the copy resumes.
db::DbError readError(const db::DbError& e, const ChunkWork& c) {
    std::string hint;
    if (e.code() == ER_NO_SUCH_TABLE || e.code() == 1412 /* ER_TABLE_DEF_CHANGED */ || e.code() == ER_BAD_FIELD_ERROR)
        hint = "; the table was dropped or altered on the source during the copy";
    return db::DbError(e.kind(), e.code(),
                       std::string(e.what()) + " [reading " + c.describe() + hint +
                           "; the copy is resumable: finished chunks are kept in tidemark_meta]");
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
    if (!chunk->where.empty()) sql += " WHERE " + chunk->where;
    MYSQL* m = source.raw();
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) failRead(source, nullptr, *chunk);
    MYSQL_RES* res = mysql_use_result(m);
    if (!res) failRead(source, nullptr, *chunk);
    const unsigned ncols = mysql_num_fields(res);

    std::unique_ptr<Batch> batch;
    auto fresh = [&] {
        batch = std::make_unique<Batch>();
        batch->chunk = chunk;
        batch->data.reserve(ctx.batchBytes + (64u << 10));
    };
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

    fresh();
    bool stopped = false;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
        const unsigned long* len = mysql_fetch_lengths(res);
        if (ctx.physical) {
            appendTsvRow(batch->data, t, row, len);
        } else {
            batch->data += batch->rows == 0 ? std::string_view(t.writePrefix) : std::string_view(",");
            appendValuesRow(batch->data, t, row, len);
        }
        ++batch->rows;
        for (unsigned i = 0; i < ncols; ++i) batch->bytes += len[i];
        if ((batch->data.size() >= ctx.batchBytes || batch->rows >= ctx.batchRows) && !flush()) {
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
    if (batch->rows > 0 && !flush()) return ReadOutcome::Abandoned;
    return ReadOutcome::Complete;
}

}  // namespace tidemark::copy
