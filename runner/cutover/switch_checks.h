// The checks that say whether the application may switch from the source to the target, as
// precheck items (precheck::Item: name, Pass | Warning | Failed, message, instruction):
//
//   source_writes_stopped  the source is read-only (read_only / super_read_only ON), or its binlog
//                          position has not moved for the quiet period, and has not moved since
//   replay_caught_up       the target's applied position (its replay checkpoint) has reached the
//                          stop position
//   auto_increment         for every selected table with an AUTO_INCREMENT counter, the target's
//                          next value is at or above the source's (else the application's first
//                          inserts on the target collide with, or reuse, the source's ids); the
//                          instruction is the ALTER TABLE that fixes it
//   no_ddl_pending         replay applied every DDL up to the stop position (none was refused), and
//                          the source runs no ALTER / CREATE / DROP / RENAME / TRUNCATE on a
//                          selected schema (SHOW FULL PROCESSLIST: other users' statements show
//                          only with the PROCESS privilege)
//
// Each check takes open connections and throws db::DbError only when a server cannot be asked.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"
#include "runner/precheck/precheck.h"
#include "runner/replay/position.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tidemark::cutover {

// The item names, in the order a report lists them.
const std::vector<std::string>& switchCheckNames();

// Whether the source's writes have stopped, and where its binlog stood when they had.
struct WritesStopped {
    precheck::Item item;                 // source_writes_stopped: Pass, or Failed with what moved
    std::optional<replay::Position> at;  // the source's position once stopped; nothing when not
    bool readOnly = false;               // the source refuses writes (read_only / super_read_only)
};

// The decision behind "writes stopped": the binlog position observed over time, quiet once it
// has stayed put for `quiet`. Pure.
class QuietWatch {
public:
    explicit QuietWatch(std::chrono::steady_clock::duration quiet) : quiet_(quiet) {}
    // Records the position seen at `now`; true once it has not moved for the quiet period.
    bool observe(const replay::Position& position, std::chrono::steady_clock::time_point now);

private:
    std::chrono::steady_clock::duration quiet_;
    std::optional<replay::Position> last_;
    std::chrono::steady_clock::time_point since_;
};

// Watches the source until its writes have stopped (read-only, or the binlog quiet for `quiet`),
// re-evaluating a few times a second, for at most `timeout` or until `stop` is set. Throws
// ReplayError (replay/errors.h) when the source writes no binlog.
WritesStopped waitForWritesToStop(db::Connection& source, std::chrono::seconds quiet, std::chrono::seconds timeout,
                                  const std::atomic<bool>& stop);

// source_writes_stopped at the end of a cutover: still read-only, or still at `stopped.at`.
precheck::Item checkWritesStillStopped(db::Connection& source, const WritesStopped& stopped);

// replay_caught_up: `applied` (nothing: the target has no replay checkpoint for the job) against `stop`.
precheck::Item checkReplayCaughtUp(const std::optional<replay::Position>& applied, const replay::Position& stop);

// auto_increment over the job's selected tables.
precheck::Item checkAutoIncrement(const api::MigrationJob& job, db::Connection& source, db::Connection& target);

// no_ddl_pending: `refusedDdl` describes a DDL replay could not apply ("" when none).
precheck::Item checkNoDdlPending(const api::MigrationJob& job, db::Connection& source, const std::string& refusedDdl);

}  // namespace tidemark::cutover
