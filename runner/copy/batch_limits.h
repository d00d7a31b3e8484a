// The size rules of what the copy sends the target: a bound on a statement's bytes (so one
// statement, one autocommitted transaction, stays under TxnLimits.maxTxnBytes), the entry-size
// check of one row (TiDB's txn-entry-size-limit), the halving of a batch the target found too
// large (error class Split), and naming a row by its key in the one-line errors about it.
#pragma once

#include "runner/copy/pipeline.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tidemark::copy {

// An upper bound of the bytes `n` values of these lengths take in a REPLACE statement or a
// LOAD DATA file: escaping at most doubles a value; separators, quotes and a CONVERT() wrapper
// add a fixed amount per value.
std::size_t statementBound(const unsigned long* lengths, std::size_t n);

// The value of written column `col` in row `row` (0-based) of `b`, or nullopt for NULL: from the
// bound values (logical) or the LOAD DATA lines (physical, unescaped).
std::optional<std::string> batchValue(const Batch& b, std::size_t columns, std::size_t row, std::size_t col);
// The bytes of row `row`'s values (logical), or of its LOAD DATA line (physical).
std::size_t rowBytes(const Batch& b, std::size_t columns, std::size_t row);
// The row of `b` with the most bytes (as rowBytes counts them), and its size.
std::pair<std::size_t, std::size_t> largestRow(const Batch& b, std::size_t columns);

// The batch's rows in two batches of the first half and the rest (a batch of at least 2 rows).
std::pair<Batch, Batch> splitBatch(const Batch& b);

// "(`id`=42, `name`='abc')": the row's chunk-key values (printable text quoted, other bytes in
// hex, long values cut), or "(no key; row N of the batch)" for a table without one.
// `value(col)` gives the value of written column `col` (nullopt for NULL).
std::string rowKeyText(const TableWork& t, const std::function<std::optional<std::string>(std::size_t written)>& value);

// The one-line message for a row above the target's entry limit: the table, the row's key, its
// size, and what to raise. `cause` says who refused it: tidemark's own limit or the server's
// error text.
std::string entryTooLargeMessage(const std::string& endpoint, const TableWork& t, const std::string& key,
                                 std::size_t bytes, const std::string& cause);

}  // namespace tidemark::copy
