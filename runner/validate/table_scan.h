// The background pass over whole tables (spec.validation.fullScan): every selected table compared
// source vs target chunk by chunk, while replay runs and without stopping the source's writes, at
// a rate the user caps; then, after a pause, the next pass.
//
// A thread of its own walks each table in key order (its primary key, else a NOT NULL unique key).
// For each chunk of up to chunkRows rows it:
//   1. reads on the source each row's key and digest (one expression for all of tidemark:
//      cutover::rowDigestExpression, exact for every column type), then the source's position P;
//   2. waits until replay applied up to P (WaitApplied; if replay is further behind than the
//      waiter waits, the chunk is read again later), so changes in flight are not differences;
//   3. reads the target's rows in the same key range (rendered with the target's collations) and
//      books each key that differs (changed, missing on the target, only on the target) as a
//      suspect (ScanFindings): only a difference a re-check finds unchanged on both sides after
//      recheckAfter is reported. Rows that replay keeps changing are the changed-row validation's.
// A table without such a key, or whose key the target orders otherwise (a collation mapped for
// TiDB), is compared whole, as one chunk: a row count and sums of pieces of every row's digest, a
// multiset digest that counts duplicates (a row held twice on the source and once on the target
// differs). Such a table is read in one statement, so for it the rate cap holds on average only.
//
// The rate cap (RateCap) paces rows read from the source; the target is read for the same rows.
// Status: status.incremental.validation.fullScan (counts, and the first differences by table and
// key, never row values), at most every 2 s while scanning. A statement a server refuses for one
// table (a table missing on the target, a column gone) skips that table for the pass, with a
// note; losing a server ends the pass, which starts over (reconnecting) after retryAfterError.
// Nothing the scan meets reaches replay. Until the Validator knows how far replay applied
// (validator.h: replay's checkpoint, its start, or its first batch), the scan waits.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"
#include "runner/replay/position.h"
#include "runner/status/status_sink.h"
#include "runner/validate/rate_cap.h"
#include "runner/validate/scan_findings.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tidemark::validate {

struct TableScanOptions {
    api::ObjectSelection objects;  // the tables to compare: the job's selection
    // Whether a selected table is compared (routed and filtered ones are not: consolidate/comparable.h);
    // empty = every one.
    std::function<bool(std::string_view database, std::string_view table)> comparable;
    std::uint64_t rowsPerSecond = 10000;
    std::uint64_t chunkRows = 1000;
    std::chrono::seconds recheckAfter{5};
    std::chrono::milliseconds pauseBetweenPasses{300000};
    std::chrono::milliseconds retryAfterError{5000};
    std::size_t maxWatched = 1000;  // suspects and reported differences kept at once
};

TableScanOptions tableScanOptionsFor(const api::MigrationJob& job);

struct TableScanCounts {
    std::uint64_t passes = 0;           // passes over all selected tables finished
    std::uint64_t tablesDone = 0;       // tables of the current (else the last) pass compared
    std::uint64_t tablesTotal = 0;      // tables that pass covers
    std::uint64_t rowsScanned = 0;      // source rows compared, all passes
    std::uint64_t chunksCompared = 0;   // chunks compared (a table compared whole is one), all passes
    std::uint64_t differingChunks = 0;  // chunks whose first comparison differed, all passes
    std::uint64_t rateWaits = 0;        // times the rate cap made the scan wait
    ScanFindingCounts findings;
};

// Blocks until replay applied the source up to the position; false when it gave up first.
using WaitApplied = std::function<bool(const replay::Position&)>;

class TableScan {
public:
    // Starts the thread; `sink` must outlive this, and `waitApplied` until this is destroyed.
    TableScan(db::ConnectOptions source, db::ConnectOptions target, TableScanOptions options, WaitApplied waitApplied,
              status::StatusSink& sink);
    ~TableScan();  // stops the thread (a read in progress ends at its next server round trip)
    TableScan(const TableScan&) = delete;
    TableScan& operator=(const TableScan&) = delete;

    TableScanCounts counts() const;
    std::vector<ScanDifference> differences(std::size_t limit) const;

private:
    struct ChunkEnd;

    void run();
    bool passOverTables();
    void scanTable(const std::string& database, const std::string& table);
    void walkChunks(const copy::TableInfo& t, const copy::KeySide& targetSide);
    std::optional<ChunkEnd> compareChunk(const copy::TableInfo& t, const std::optional<copy::KeyValues>& after,
                                         const copy::KeySide& targetSide);
    bool compareWhole(const copy::TableInfo& t);
    void recheckDue();
    void recheckTable(const std::string& database, const std::string& table, const std::vector<FindingId>& ids);
    void recheckWhole(const copy::TableInfo& t, const FindingId& id);
    void recheckKeys(const copy::TableInfo& t, const std::vector<FindingId>& ids);
    void pace(std::uint64_t rows);
    bool sleepFor(std::chrono::steady_clock::duration d);
    bool stopping() const;
    void report(bool force);

    db::ConnectOptions sourceOptions_, targetOptions_;
    TableScanOptions options_;
    WaitApplied waitApplied_;
    status::StatusSink& sink_;

    mutable std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    TableScanCounts counts_;
    ScanFindings findings_;
    std::string lastPassEnd_;  // RFC 3339; "" before the first pass ended

    // The thread's own.
    RateCap rate_;
    std::optional<db::Connection> source_, target_;
    bool tidbTarget_ = false;
    std::string lastError_;
    std::chrono::steady_clock::time_point lastReport_{};
    std::thread thread_;
};

}  // namespace tidemark::validate
