// The cutover: the moment the application moves from the source to the target. runCutover()
// tells, with evidence, whether the target holds exactly what the source held when its writes
// stopped:
//
//   1. Waiting     wait until the source's writes have stopped (switch_checks.h:
//                  source_writes_stopped, re-evaluated until it passes or waitTimeout), then
//                  resolve the stop position ("now" = the source's position at that moment, from
//                  db::readBinlogStatus; or the FILE:POS / GTID set asked for)
//   2. CatchingUp  replay from the job's checkpoint until the stop position (replay::runReplay
//                  with stopAt); it then stays there: nothing written later is applied
//   3. Validating  copy::verify over every selected table, row for row, and the first differing
//                  keys (differences.h)
//   4. Safe | Unsafe, from the switch checks and the validation; reasons say why not
//
// Progress and the result go to the status block `cutover` (api::contract::kBlockCutover) of
// `sink` (its fields: report.h), with a note per step.
//
// Errors: a server that cannot be reached throws db::DbError (retryable() says whether to try
// again); a lost connection during replay is retried by replay itself. Everything else that makes
// the switch unsafe (writes that never stop, a DDL the target refuses, a stop position the source
// never reached) is a report with state Unsafe and a reason. When `stop` is set the cutover ends
// early with state Unsafe, `interrupted` set and a reason saying so.
#pragma once

#include "api/migration_job.h"
#include "runner/cutover/report.h"
#include "runner/cutover/stop_position.h"
#include "runner/db/connection.h"
#include "runner/replay/replay.h"
#include "runner/status/status_sink.h"

#include <atomic>
#include <chrono>

namespace tidemark::cutover {

struct CutoverOptions {
    StopRequest stopAt;                     // where replay stops; "now" by default
    std::chrono::seconds quiet{5};          // the binlog must stay still this long for writes to count as stopped
    std::chrono::seconds waitTimeout{600};  // how long to wait for that
    std::size_t maxDifferences = 10;        // differences listed in the report
    // Where replay starts when the job has no checkpoint yet (the full copy's replayFrom, ...),
    // safe mode, workers, limits: as for the job's run. runCutover sets stopAt itself.
    replay::ReplayOptions replay;
};

CutoverReport runCutover(const api::MigrationJob& job, const db::ConnectOptions& source,
                         const db::ConnectOptions& target, const CutoverOptions& options, status::StatusSink& sink,
                         const std::atomic<bool>& stop);

}  // namespace tidemark::cutover
