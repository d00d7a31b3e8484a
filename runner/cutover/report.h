// A cutover's report: its state, the positions it stopped at and reached, what the final
// validation compared and found, the switch checks, and why it is unsafe when it is. It is the
// status block `cutover` (api::contract::kBlockCutover) as toJson() writes it:
//   state            Waiting | CatchingUp | Validating (in progress), Safe | Unsafe (final)
//   stopAt           the request: "now", "FILE:POS" or a GTID set
//   stopPosition     where the source stood: "FILE:POS" ("" until known)
//   gtidSet          the source's GTID set at the stop position ("" when it has none)
//   appliedPosition  the target's replay checkpoint: "FILE:POS" ("" when it has none)
//   rowsCompared     rows the final validation read on the source
//   differences      [{table, key, problem}], the first few; keys only, never row values
//   checks           [{name, state: Pass|Warning|Failed, message, instruction?}] (switch_checks.h)
//   reasons          why it is unsafe, one line each; [] when safe
//   startedAt, finishedAt  RFC 3339 UTC ("" while running), seconds
#pragma once

#include "runner/cutover/differences.h"
#include "runner/precheck/precheck.h"
#include "runner/replay/position.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::cutover {

enum class Phase { Waiting, CatchingUp, Validating, Safe, Unsafe };
const char* nameOf(Phase);

struct CutoverReport {
    Phase state = Phase::Unsafe;                      // Safe or Unsafe once runCutover returns
    std::vector<std::string> reasons;                 // why it is unsafe; empty when safe
    std::string stopAt;                               // the request: "now", "FILE:POS" or a GTID set
    replay::Position stopPosition;                    // resolved: where the source stood (file:pos and GTID set)
    std::optional<replay::Position> appliedPosition;  // the target's replay checkpoint afterwards
    std::uint64_t rowsCompared = 0;
    std::vector<Difference> differences;  // the first maxDifferences
    std::vector<precheck::Item> checks;   // switch_checks.h, in switchCheckNames() order
    std::string startedAt, finishedAt;    // RFC 3339
    double seconds = 0;
    bool interrupted = false;  // `stop` ended it early

    bool safe() const { return state == Phase::Safe; }
};

// A job of several sources cuts each source over: (source id, its report) in spec order, summed
// up as one report. Safe only when every source's is; each source's reasons, differences and
// checks, their text prefixed "source <id>: "; rows compared summed; the longest time; no stop
// or applied position (each source has its own: status.sources.<id>.cutover).
CutoverReport combineSources(const std::vector<std::pair<std::string, CutoverReport>>& perSource);

// The status block (fields above), a terminal table, and indented JSON.
nlohmann::json toJson(const CutoverReport& report);
std::string renderTable(const CutoverReport& report);
std::string renderJson(const CutoverReport& report);

}  // namespace tidemark::cutover
