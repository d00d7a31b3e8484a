// Collation ids ↔ charset names, for the collations MySQL and MariaDB write into binlogs.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidemark::binlog {

// Charset of a collation id ("utf8mb4", "latin1", "binary"), or "" when the id is unknown.
std::string_view charsetOfCollation(uint16_t collation);

// Default collation id of a charset name (case-insensitive; "utf8" = utf8mb3), 0 if unknown.
uint16_t defaultCollationForCharset(std::string_view charset);

}  // namespace tidemark::binlog
