// The full table scan's book of differences: rows (or whole keyless tables) whose first
// comparison differed and wait for their re-check, the ones whose difference persisted (reported),
// and the counts the status shows. Pure bookkeeping: no server, no clock of its own, not
// thread-safe (the TableScan guards it).
//
// A finding is named by table and key (a keyless table's whole contents: an empty key). What was
// read is kept as digests only (Reading): never a row's values.
//
// Contracts:
//  - differs(): a first comparison differed. The finding becomes a suspect, due for its re-check
//    after recheckAfter; nothing is reported at a first comparison. At most maxWatched findings
//    are kept; beyond, a new one is counted as skipped.
//  - rechecked(): a due finding was read again (source, then target once replay passed the
//    source's position). Equal: forgotten. Still differing with the same digests on both sides as
//    at its previous reading: the difference persists and is reported (re-checked as often, and
//    forgotten once equal). Differing with other digests: a row still being written, so a suspect
//    again, due after recheckAfter.
//  - due(): the findings whose re-check is due (they stay in the book until rechecked()).
#pragma once

#include "runner/copy/chunk_range.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tidemark::validate {

struct FindingId {
    std::string database, table;
    copy::KeyValues key;  // the key's values as copy::keyExpression reads them; empty: the whole table
    auto operator<=>(const FindingId&) const = default;
};

// One comparison's digests on each side; nullopt = no such row there.
struct Reading {
    std::optional<std::string> source, target;
    bool differs() const { return source != target; }
    bool operator==(const Reading&) const = default;
};

struct ScanDifference {
    std::string table;    // `db`.`t`
    std::string key;      // "id=42" (cutover::renderKey); "" for a keyless table
    std::string problem;  // "differs", "missing on the target", "only on the target", or a table's counts
    std::string since;    // when it was first seen differing (RFC 3339)
};

struct ScanFindingCounts {
    std::uint64_t suspects = 0;   // differed once, waiting for their re-check
    std::uint64_t differing = 0;  // reported: still differed when re-checked
    std::uint64_t skipped = 0;    // differences not kept: too many watched already
};

class ScanFindings {
public:
    using Clock = std::chrono::steady_clock;

    ScanFindings(std::size_t maxWatched, std::chrono::seconds recheckAfter);

    // `keyText` and `problem` are for people (ScanDifference); `nowText` is now in RFC 3339.
    void differs(const FindingId& id, const std::string& keyText, const std::string& problem, const Reading& read,
                 Clock::time_point now, const std::string& nowText);
    void rechecked(const FindingId& id, const std::string& problem, const Reading& read, Clock::time_point now);
    std::vector<FindingId> due(Clock::time_point now) const;
    // No longer comparable (its table dropped, its key changed): out of the book, not reported.
    void forget(const FindingId& id) { watched_.erase(id); }
    bool watching(const FindingId& id) const { return watched_.count(id) > 0; }

    ScanFindingCounts counts() const;
    // The reported differences, oldest first, at most `limit`.
    std::vector<ScanDifference> differences(std::size_t limit) const;

private:
    struct Watched {
        std::string keyText, problem, since;
        Reading last;
        bool reported = false;  // false: a suspect
        Clock::time_point due;
        std::uint64_t order = 0;  // when it started being watched, for differences()
    };

    std::size_t maxWatched_;
    std::chrono::seconds recheckAfter_;
    std::map<FindingId, Watched> watched_;
    std::uint64_t skipped_ = 0, watchOrder_ = 0;
};

}  // namespace tidemark::validate
