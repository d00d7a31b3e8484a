// Reads one chunk from a snapshot connection as a stream (mysql_use_result) and hands it on
// as batches (the values of a REPLACE statement, or LOAD DATA text) through the bounded queue.
#pragma once

#include "runner/copy/pipeline.h"
#include "runner/copy/progress.h"

#include <functional>
#include <memory>

namespace tidemark::copy {

struct ReadContext {
    bool physical = false;
    // Physical: a batch is sent at batchBytes or batchRows. Logical: at the table's
    // rowsPerStatement, or early at 4 x batchBytes when its rows are far above the average.
    std::size_t batchBytes = 1 << 20;
    std::uint64_t batchRows = 10'000;
    // A batch never takes more than this in one statement or LOAD DATA (statementBound of its
    // rows): TxnLimits.maxTxnBytes; 0 = no cap. A single row above it is a batch of its own.
    std::size_t maxStatementBytes = 0;
    // A row whose values take more bytes than this fails the copy, naming the table, the row's
    // key and its size (TiDB's txn-entry-size-limit: TxnLimits.maxEntryBytes); 0 = no check.
    std::size_t maxEntryBytes = 0;
    std::string targetEndpoint;  // named in that failure
    BoundedQueue<std::unique_ptr<Batch>>* batches = nullptr;
    Throttle* throttle = nullptr;
    std::function<bool()> halted;  // stop or failure elsewhere: abandon the chunk
};

enum class ReadOutcome {
    Complete,   // every row is in a batch; the caller releases the reader's reference
    Abandoned,  // stopped part way: the chunk stays unfinished (its reference is kept)
};

// Streams `chunk` from `source` (a reading session inside the snapshot). Each batch handed on
// holds a reference to the chunk. Throws db::DbError naming the chunk (and, when the table
// is gone or changed, saying so, with kind Transient: retryable) when the source fails, and
// CopyError for a row above
// maxEntryBytes.
ReadOutcome readChunk(db::Connection& source, const std::shared_ptr<ChunkWork>& chunk, const ReadContext& ctx);

}  // namespace tidemark::copy
