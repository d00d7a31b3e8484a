// QUERY / QUERY_COMPRESSED events: status variables, schema, statement, and what kind of
// statement it is (transaction control vs. DDL vs. statement-based DML).
#pragma once

#include <cstdint>
#include <string_view>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/events.h"

namespace tidemark::binlog {

// Decodes a QUERY body (checksum removed). compressed: MariaDB QUERY_COMPRESSED, whose
// statement is zlib-compressed. Throws DecodeError.
Query parseQuery(ByteReader& r, uint8_t postHeaderLength, bool compressed);

// BEGIN / COMMIT / ROLLBACK / SAVEPOINT / XA / Other, from the first keyword after comments.
QueryKind classifyQuery(std::string_view statement);

// "INSERT", "UPDATE", "DELETE", "REPLACE" or "LOAD" when the statement is DML that a
// statement-based (or MIXED) binlog logged as text; nullptr otherwise. In a ROW stream such a
// change has no row images, so replay cannot reproduce it.
const char* statementDmlKeyword(std::string_view statement);

}  // namespace tidemark::binlog
