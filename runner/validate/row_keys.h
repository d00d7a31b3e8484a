// The rows a committed replay batch changed, named by table and key: what the continuous
// validation re-reads on both servers.
//
// Contracts:
//  - Pure: from the batch's row images only (no server).
//  - A row is named by its table's identity (replay's TableSchema::identity: the primary key, else
//    a NOT NULL unique key) with each value as the SQL literal replay itself matches the row by
//    (binlog/sql_literal.h), so a comparison finds exactly the row replay wrote. An UPDATE that
//    changes the key names both the old and the new key.
//  - Tables without an identity, or whose identity holds a FLOAT/DOUBLE column (no exact `=`), give
//    no keys: they are listed in unkeyedTables instead.
//  - RowKey::text names the key for people as runner/cutover/differences.h does ("id=42",
//    "a=1, b='x'", binary as 0x..), never a non-key value.
#pragma once

#include "runner/replay/change.h"

#include <set>
#include <string>
#include <vector>

namespace tidemark::validate {

struct RowKey {
    std::string database, table;
    std::vector<std::string> columns;   // the key's column names
    std::vector<std::string> literals;  // their values as SQL literals, in `columns` order
    std::string text;                   // "id=42": for status, never values beyond the key

    std::string qualified() const;  // `db`.`table`
    std::string id() const;         // unique per table and key: for maps
};

struct BatchKeys {
    std::vector<RowKey> keys;             // in the batch's order, repeats included
    std::set<std::string> unkeyedTables;  // `db`.`table` of changed tables without a usable key
};

BatchKeys keysOf(const replay::Batch& batch);

}  // namespace tidemark::validate
