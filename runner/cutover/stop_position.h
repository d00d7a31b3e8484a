// Where a cutover stops replay: what the user asked for (--stop-at, --cutover-at, spec.cutover.stopAt)
// and how that request reads. Pure: no server is asked here (cutover.h resolves "now").
//
//   "now"       the source's position once its writes have stopped (switch_checks.h decides when)
//   FILE:POS    a binlog file and offset, e.g. "mysql-bin.000042:1234"
//   GTID set    a MySQL GTID set ("uuid:1-500,uuid2:1-7"); replay stops once it has applied it.
//               MariaDB GTID lists have no order replay can stop by: give FILE:POS there.
#pragma once

#include "runner/replay/position.h"

#include <string>
#include <string_view>

namespace tidemark::cutover {

struct StopRequest {
    enum class Kind { Now, FilePosition, GtidSet };
    Kind kind = Kind::Now;
    replay::Position position;  // FilePosition: file and pos; GtidSet: gtidSet only; Now: unknown

    std::string text() const;  // as the user wrote it, normalized: "now", "FILE:POS" or the set
};

// Parses a request; throws std::invalid_argument with a one-line message naming the accepted
// forms. MariaDB GTID lists ("0-1-100") are refused for the reason above.
StopRequest parseStopRequest(std::string_view text);

}  // namespace tidemark::cutover
