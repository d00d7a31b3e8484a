// Shared pieces of the full-copy tests: one source and one target server per test process,
// jobs selecting given databases, a status sink that keeps what it was told, and row dumps
// (HEX of every column) to compare tables byte for byte.
#pragma once

#include "runner/copy/checkpoint.h"
#include "runner/copy/full_copy.h"
#include "tests/support/db_server.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace tidemark::copytest {

const testing::DbServer& source();
const testing::DbServer& target();

api::MigrationJob job(const std::string& name, const std::vector<std::string>& databases,
                      api::FullMode mode = api::FullMode::Logical);

db::ConnectOptions sourceOptions();
db::ConnectOptions targetOptions();

class RecordingSink : public status::StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override;
    void note(std::string_view message) override;
    void flush() override {}
    nlohmann::json last(const std::string& block);
    std::vector<std::string> notes();

private:
    std::mutex m_;
    nlohmann::json blocks_ = nlohmann::json::object();
    std::vector<std::string> notes_;
};

// Every row of `table` as "HEX(c1)|HEX(c2)|..." (NULL as "NULL"), ordered by all columns.
std::vector<std::string> hexRows(db::Connection& c, const std::string& db, const std::string& table);

// Options for tests: small chunks, no throttle unless asked.
copy::CopyOptions testOptions(std::uint64_t chunkRows = 100, double mibps = -1, int workers = 2);

// Drops the databases on both servers and the job's checkpoint rows on the target.
void reset(const std::string& jobName, const std::vector<std::string>& databases);

std::uint64_t count(db::Connection& c, const std::string& qualifiedTable);

// A derived table of the integers 1..n (n <= 1,000,000) in a column `seq`, for
// `INSERT ... SELECT seq ... FROM numbers(n)` on either flavor: MySQL has no mysql.seq_1_to_N,
// and its recursive CTEs stop at cte_max_recursion_depth (1,000) rows.
std::string numbers(std::uint64_t n);

// Chunks of a job in tidemark_meta: how many are done, of how many planned.
struct ChunkCounts {
    std::uint64_t done = 0, total = 0;
};
ChunkCounts chunkCounts(const std::string& jobName);

// Runs runFullCopy(job, options) in a forked child and SIGKILLs it as soon as `killWhen()` holds
// (polled every 25 ms, for at most 10 s). Returns whether the child died of the SIGKILL, which is
// false when it finished or failed first: the caller REQUIREs it. The checkpoint schema is
// created first, so that `killWhen` can read tidemark_meta.
bool copyKilledWhen(const api::MigrationJob& job, const copy::CopyOptions& options,
                    const std::function<bool()>& killWhen);

// How many transactions a GTID set holds: MySQL's "uuid[:tag]:1-5:7,uuid2:1-3" (every interval
// of every source), or MariaDB's "0-1-42,1-2-7" (the sequence number of domain 0).
std::uint64_t gtidTransactions(const std::string& gtidSet);

// The source's GTID set now: @@gtid_executed (MySQL) or @@gtid_binlog_pos (MariaDB).
std::string sourceGtidSet(db::Connection& source);

}  // namespace tidemark::copytest
