// Continuous validation of the rows replay changed (spec.validation.changedRows), while replay runs
// and without stopping the source's writes.
//
// replay calls committed() for each batch once it committed on the target (ReplayOptions::
// onCommitted): its row keys join a ChangedRows book (changed_rows.h) and its end becomes the
// applied position. A thread of its own, every passInterval:
//   1. takes up to keysPerPass keys (re-checks that are due first, then the oldest changed rows);
//   2. reads the source's binlog position B, each row's digest on the source (one expression for
//      all of tidemark: cutover::rowDigestExpression), then the source's position P;
//   3. waits until replay's applied position reached P (up to waitForReplay; else the keys wait
//      for the next pass), so changes still in flight are never differences;
//   4. reads the target's digests and settles each key whose last change committed at or before
//      B (ChangedRows: equal, first difference = suspect, persisting difference = reported);
//   5. reports status.incremental.validation through the sink (when its counts changed, else at
//      most every 30 s).
// Server errors end the pass with a note and its keys are retried on the next one; a statement a
// server refuses for one table (a column or table gone since) drops that table's keys of the pass,
// with a note. Nothing the validator meets reaches replay.
//
// Limits: a table without a usable key is only counted (unkeyedTables), and so is a routed or
// filtered one (notComparedTables: consolidate/comparable.h); a row changed by
// something other than replay, on the target, is seen only when replay next changes it. The
// background pass over whole tables (spec.validation.fullScan; table_scan.h) covers both: when
// asked for, the Validator runs a TableScan beside its own thread, waiting on the same applied
// position (with changedRows off, only the applied position is kept).
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"
#include "runner/replay/change.h"
#include "runner/status/status_sink.h"
#include "runner/validate/changed_rows.h"
#include "runner/validate/table_scan.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tidemark::validate {

struct ValidatorOptions {
    bool changedRows = true;                   // compare the rows replay changed
    std::optional<TableScanOptions> fullScan;  // and, when set, every row of the selected tables
    std::chrono::seconds recheckAfter{5};
    std::chrono::milliseconds passInterval{2000};
    std::chrono::milliseconds waitForReplay{30000};
    std::size_t keysPerPass = 5000;
    std::size_t maxPendingKeys = 100000;
    std::size_t maxWatchedKeys = 10000;
    // What the target holds before replay's first batch commits (the full scan waits on it):
    // replay's checkpoint of job `replayJob` (its instanceKey; "" = none), else everything before
    // `replayFrom`, where replay starts when the job has no checkpoint (ReplayOptions::start).
    std::string replayJob;
    std::optional<replay::Position> replayFrom;
    // Whether a source table is compared with the target table of its name (routed and filtered
    // tables are not: consolidate/comparable.h); empty = every table.
    std::function<bool(std::string_view database, std::string_view table)> comparable;
};

ValidatorOptions optionsFor(const api::MigrationJob& job);

class Validator {
public:
    // Starts the thread; `sink` must outlive this.
    Validator(db::ConnectOptions source, db::ConnectOptions target, ValidatorOptions options, status::StatusSink& sink);
    ~Validator();  // stops the thread (a pass in progress ends at its next server round trip)
    Validator(const Validator&) = delete;
    Validator& operator=(const Validator&) = delete;

    // Thread-safe and quick: queues the batch's keys, moves the applied position to its end.
    void committed(const replay::Batch& batch);
    // committed() as ReplayOptions::onCommitted; this must outlive the replay it is given to.
    std::function<void(const replay::Batch&)> hook();

    ValidationCounts counts() const;
    std::uint64_t passesDone() const { return passes_; }  // passes ended, failed and idle ones too
    std::vector<ReportedDifference> differences(std::size_t limit) const;
    const TableScan* fullScan() const { return scan_.get(); }  // nullptr unless options.fullScan

private:
    void run();
    void pass();
    bool waitApplied(const replay::Position& p);
    void learnApplied();
    void report();

    db::ConnectOptions sourceOptions_, targetOptions_;
    ValidatorOptions options_;
    status::StatusSink& sink_;

    mutable std::mutex mu_;
    std::condition_variable changed_;
    ChangedRows rows_;
    std::optional<replay::Position> applied_;
    bool stop_ = false;
    std::string lastError_;
    nlohmann::json lastReported_;  // the thread's: the counts last reported, without lastPass
    Clock::time_point lastReportTime_{};
    std::optional<db::Connection> source_, target_;  // the thread's
    std::atomic<std::uint64_t> passes_{0};
    std::atomic<bool> appliedLearned_{false};  // learnApplied() ran (once, at the first wait)
    std::thread thread_;
    std::unique_ptr<TableScan> scan_;
};

}  // namespace tidemark::validate
