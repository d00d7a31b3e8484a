// DDL for the target: what one statement from the source (a SHOW CREATE text for the copy, a
// replicated DDL for replay) becomes on a MariaDB, MySQL or TiDB target. The copy and replay
// both call this, so a table comes out the same whichever stage creates it.
//
// Contracts:
//  - MariaDB targets get the statement as it is.
//  - MySQL targets get it as it is, except MariaDB's CREATE OR REPLACE TABLE (MySQL lacks it:
//    DROP TABLE IF EXISTS, then CREATE TABLE) and MariaDB's sequences (CREATE/ALTER refused,
//    DROP SEQUENCE runs nothing: tidemark never created one there).
//  - TiDB targets get what MySQL targets get, plus: utf8mb3 spelled utf8; every collation
//    through tidbCollation() (collations.h); MariaDB's table options TiDB lacks dropped
//    (PAGE_CHECKSUM, TRANSACTIONAL, PAGE_COMPRESSED, PAGE_COMPRESSION_LEVEL, ENCRYPTED,
//    ENCRYPTION_KEY_ID, ROW_FORMAT=PAGE); ENGINE=Aria/MyISAM written InnoDB; the column attributes
//    INVISIBLE (TiDB has no invisible columns: the column becomes visible) and MariaDB's
//    COMPRESSED dropped; MariaDB's index option IGNORED written INVISIBLE (NOT IGNORED: VISIBLE).
//    It refuses what TiDB cannot take: the column types of types.h, SPATIAL indexes,
//    system-versioned tables (SYSTEM VERSIONING, PERIOD FOR SYSTEM_TIME), sequences, charsets TiDB
//    lacks, and, when the target's version is known, gb18030 before v9.0 and the utf8mb4_0900
//    collations before v7.4.
//  - Only words in their SQL roles change: names, string literals and comments stay as written.
//  - Pure: no connection is used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runner/db/dialect/flavor.h"

namespace tidemark::db::dialect {

struct DdlTranslation {
    std::vector<std::string> statements;  // to run in this order; empty: nothing to run
    std::vector<std::string> changes;     // what was rewritten, one line each (for warnings and logs)
    // Set when the target cannot take the statement: one line naming the object, what the target
    // lacks and what to do. `statements` is then empty.
    std::string refusal;
    bool refused() const { return !refusal.empty(); }
};

DdlTranslation translateDdl(std::string_view statement, const ServerInfo& target);

}  // namespace tidemark::db::dialect
