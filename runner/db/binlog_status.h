// The source's current binary log position, GTID set and binlog filters: one reader for the
// precheck, the copy's snapshot and replay, whatever the server calls the statement.
//
// MySQL 8.2 added SHOW BINARY LOG STATUS and 8.4 removed SHOW MASTER STATUS; MariaDB and MySQL
// before 8.2 know only the old name (TiDB answers both). The GTID set is MySQL's
// Executed_Gtid_Set (newlines removed; tagged GTIDs of 8.3+ kept as the server prints them) or,
// on MariaDB, BINLOG_GTID_POS of the position.
#pragma once

#include "runner/db/connection.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tidemark::db {

struct BinlogStatus {
    std::string file;  // "mysql-bin.000042"
    std::uint64_t pos = 0;
    std::string gtidSet;                 // "" when the source has no GTIDs
    std::vector<std::string> doDbs;      // binlog_do_db: only these databases are logged (when any)
    std::vector<std::string> ignoreDbs;  // binlog_ignore_db
};

// The statement that reads the status on `server`: "SHOW BINARY LOG STATUS" on MySQL 8.2+,
// "SHOW MASTER STATUS" elsewhere. Pure: from the version string only.
std::string binlogStatusStatement(const std::string& serverVersion);

// Reads the status; nullopt when binary logging is off. Throws DbError (for instance when the
// user lacks REPLICATION CLIENT / BINLOG MONITOR).
std::optional<BinlogStatus> readBinlogStatus(Connection& server);

}  // namespace tidemark::db
