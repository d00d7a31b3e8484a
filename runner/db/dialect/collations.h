// Character sets and collations on a TiDB target: which exist there (new collation framework,
// TiDB 7.4+), and the one mapping from a source collation TiDB lacks to the one it gets. The
// copy's CREATE TABLE, replay's DDL, the precheck's message and the WHERE clauses run on the
// target all use this mapping, so a column and a comparison with it always agree.
#pragma once

#include <string>
#include <string_view>

namespace tidemark::db::dialect {

bool tidbHasCharset(std::string_view charset);      // "" counts as present (not declared)
bool tidbHasCollation(std::string_view collation);  // "" counts as present; utf8mb3_x = utf8_x
// `collation` itself (lower case, utf8mb3_ spelled utf8_) when TiDB has it; else the closest
// TiDB has for the same charset.
std::string tidbCollation(std::string_view collation);
// The charset TiDB uses for `charset` (utf8mb3 -> utf8; others unchanged).
std::string tidbCharset(std::string_view charset);
// One sentence describing the mapping, for the precheck's message.
std::string_view collationMappingRule();

}  // namespace tidemark::db::dialect
