// Safe mode: the statements replay uses where the target may already hold some of the changes.
//
//   INSERT -> REPLACE
//   UPDATE -> DELETE by the old key + REPLACE of the new row (when the after image holds every
//             column; with MINIMAL images a plain UPDATE, as the full row is unknown)
//   DELETE -> DELETE
//
// It is on from the full-copy handoff until the stream passes the snapshot position (the copy
// read rows that the binlog between replay start and snapshot also carries), and after a restart
// that follows an error (ReplayOptions::restartAfterError) for safeModeDuration and at least past
// the position where the error happened. Outside it, a duplicate key in the target is an error
// naming the table and key. Tables without a primary or NOT NULL unique key cannot be
// deduplicated by REPLACE: safe mode may duplicate their rows (as TiDB Cloud documents).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "runner/replay/position.h"

namespace tidemark::replay {

class SafeMode {
public:
    using Clock = std::chrono::system_clock;

    // Safe until the stream passes `untilPosition` (exclusive end), and until `untilTime`.
    void extendTo(const Position& untilPosition);
    void extendTo(Clock::time_point untilTime);

    // For a transaction that ends at `txEnd`, applied at `now`.
    bool activeFor(const Position& txEnd, Clock::time_point now) const;
    bool active(const Position& streamPos, Clock::time_point now) const { return activeFor(streamPos, now); }

    // "mysql-bin.000003:1234" and/or an RFC 3339 time; "" when off for good.
    std::string untilText(const Position& streamPos, Clock::time_point now) const;

private:
    std::optional<Position> untilPosition_;
    std::optional<Clock::time_point> untilTime_;
};

}  // namespace tidemark::replay
