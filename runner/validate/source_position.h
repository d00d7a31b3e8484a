// Where the source's binary log ends now: what both validations read before and after reading
// rows on the source, to know how far replay must have applied before the target is read.
#pragma once

#include "runner/db/connection.h"
#include "runner/replay/position.h"

namespace tidemark::validate {

// The source's current binlog position and GTID set. Throws db::DbError when the server cannot
// say (binary logging off, or the user lacks REPLICATION CLIENT / BINLOG MONITOR).
replay::Position sourcePosition(db::Connection& source);

}  // namespace tidemark::validate
