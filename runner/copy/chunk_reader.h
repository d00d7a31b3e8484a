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
// is gone or changed, saying so) when the source fails.
ReadOutcome readChunk(db::Connection& source, const std::shared_ptr<ChunkWork>& chunk, const ReadContext& ctx);

}  // namespace tidemark::copy
