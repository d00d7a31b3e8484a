// The first differences a final validation found, named down to the row key where the table has
// one: copy::verify reports each differing chunk with its key range as SQL on each server
// (copy::VerifyDifference), and this re-reads that range on both servers (key and a digest of
// each row) to name the keys that differ. Keys only: a row's values never appear, only its key and what is wrong with
// it.
//
// A table without a key, a range above kMaxRowsPerRange rows, or a range the servers no longer
// disagree on is reported at range level (verify's counts and checksums, no row values).
#pragma once

#include "api/migration_job.h"
#include "runner/copy/full_copy.h"
#include "runner/copy/inspect.h"
#include "runner/db/connection.h"

#include <cstddef>
#include <string>
#include <vector>

namespace tidemark::cutover {

struct Difference {
    std::string table;    // `db`.`t`
    std::string key;      // "id=42", "a=1, b='x'"; "" when the table has no key or the problem is the table's
    std::string problem;  // "differs", "missing on the target", "only on the target", or the range's summary
};

inline constexpr std::size_t kMaxRowsPerRange = 200000;

// The one expression that digests a row of `t` for an exact comparison, the same on both servers:
// SHA2 over every column's bytes (CAST AS BINARY) and which of them are NULL. Shared with the
// continuous validation (runner/validate/). Needs a reading session (copy::prepareReadSession).
std::string rowDigestExpression(const copy::TableInfo& t);

// A row's key as differences name it ("id=42", "a=1, b='x'"), from the values of t.key's
// columns as copy::readExpression reads them, in t.key's order.
std::string renderKey(const copy::TableInfo& t, const std::vector<std::string>& values);

// At most `limit` differences behind `verified`'s, in their order. Throws db::DbError when
// a server cannot be read.
std::vector<Difference> locateDifferences(const db::ConnectOptions& source, const db::ConnectOptions& target,
                                          const copy::VerifyResult& verified, std::size_t limit);

}  // namespace tidemark::cutover
