// Splits a table into ranges of its chunk key (PRIMARY or a NOT NULL UNIQUE key, composite
// too), each about `chunkRows` rows: arithmetic on a dense integer key, else a walk over the
// index (`ORDER BY key LIMIT 1 OFFSET n`, one index scan in all). A table without such a key
// is one chunk. Chunk i is `key > b(i-1) AND key <= b(i)`, so the chunks partition the table
// whatever the boundaries are, also when rows come and go while planning.
#pragma once

#include "runner/copy/checkpoint.h"
#include "runner/copy/inspect.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tidemark::copy {

// Rows for about a second of work (16 MiB of row data), from the table's average row length.
std::uint64_t autoChunkRows(const TableInfo& t);

// `source` must be a reading session (prepareReadSession). Returns chunks numbered from 0.
std::vector<ChunkRecord> planChunks(db::Connection& source, const TableInfo& t, std::uint64_t chunkRows);

// The condition `key > values` / `key <= values` (lexicographic over a composite key).
std::string keyAbove(const TableInfo& t, const std::vector<std::string>& literals);
std::string keyAtMost(const TableInfo& t, const std::vector<std::string>& literals);

}  // namespace tidemark::copy
