// Splits a table into ranges of its chunk key (PRIMARY or a NOT NULL UNIQUE key, composite
// too), each about `chunkRows` rows: arithmetic on a dense integer key, else a walk over the
// index (`ORDER BY key LIMIT 1 OFFSET n`, one index scan in all). A table without such a key
// is one chunk. Chunk i is `key > b(i-1) AND key <= b(i)`, so the chunks partition the table
// whatever the boundaries are, also when rows come and go while planning. The boundaries are
// values (chunk_range.h), compared in the source's order.
#pragma once

#include "runner/copy/checkpoint.h"
#include "runner/copy/chunk_range.h"
#include "runner/copy/inspect.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tidemark::copy {

// Rows for about a second of work (16 MiB of row data), from the table's average row length.
std::uint64_t autoChunkRows(const TableInfo& t);

// `source` must be a reading session (prepareReadSession). Returns chunks numbered from 0.
std::vector<ChunkRecord> planChunks(db::Connection& source, const TableInfo& t, std::uint64_t chunkRows);

}  // namespace tidemark::copy
