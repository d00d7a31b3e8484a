// Shared pieces of the full-copy tests: one source and one target server per test process,
// jobs selecting given databases, a status sink that keeps what it was told, and row dumps
// (HEX of every column) to compare tables byte for byte.
#pragma once

#include "runner/copy/checkpoint.h"
#include "runner/copy/full_copy.h"
#include "tests/support/db_server.h"

#include <nlohmann/json.hpp>

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

}  // namespace tidemark::copytest
