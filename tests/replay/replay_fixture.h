// Shared pieces of the replay integration tests: servers, a recording status sink, and a
// row-for-row comparison of tables via HEX() of every column.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/migration_job.h"
#include "runner/replay/replay.h"
#include "runner/status/status_sink.h"
#include "tests/support/db_server.h"

namespace tidemark::testing {

class RecordingSink : public status::StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override;
    void note(std::string_view message) override;
    void flush() override {}
    nlohmann::json last() const;
    std::vector<std::string> notes() const;
    bool noted(std::string_view fragment) const;

private:
    mutable std::mutex mu_;
    nlohmann::json last_ = nlohmann::json::object();
    std::vector<std::string> notes_;
};

// A source (binlog ROW/FULL, CRC32) and a target, shared by the tests of one process.
DbServer& sharedSource();
DbServer& sharedTarget();

api::MigrationJob jobFor(const std::string& name, const std::vector<std::string>& databases);

// Every row of db.table as one text of HEX(CAST(col AS BINARY)) values, sorted: equal vectors
// mean the same multiset of rows (so duplicates and losses both show).
std::vector<std::string> tableRows(db::Connection& c, const std::string& database, const std::string& table);

// Creates `database` on both servers (dropping it first).
void freshDatabase(const std::string& database);

// Runs replay until the target has applied the source's current position.
void catchUp(const api::MigrationJob& job, replay::ReplayOptions options, RecordingSink* sink = nullptr);

// Replay in a background thread until stop().
class BackgroundReplay {
public:
    BackgroundReplay(api::MigrationJob job, replay::ReplayOptions options);
    ~BackgroundReplay();
    void stop();  // rethrows the replay's error, if any
    RecordingSink& sink() { return sink_; }

private:
    api::MigrationJob job_;
    replay::ReplayOptions options_;
    RecordingSink sink_;
    std::atomic<bool> stop_{false};
    std::exception_ptr error_;
    std::thread thread_;
};

// Writes a mix of transactions into database.k (id INT PRIMARY KEY, v INT, s VARCHAR(50)) and
// database.n (a INT, b VARCHAR(200), no key) until stopped: keyed inserts/updates/deletes, keyless
// inserts and DELETE/UPDATE ... LIMIT 1 that replay must neither repeat nor drop.
class SourceLoad {
public:
    explicit SourceLoad(std::string database, const DbServer& server = sharedSource());
    ~SourceLoad();
    void stop();
    int transactions() const { return transactions_; }

private:
    std::string db_;
    std::atomic<bool> stop_{false};
    std::atomic<int> transactions_{0};
    std::thread thread_;
};

// Creates database.k and database.n (as SourceLoad writes them) on the source and the target.
void createLoadTables(const std::string& database);

// The source's current binlog position.
replay::Position sourceNow();

// The event types (SHOW BINLOG EVENTS' Event_type: "Update_rows_partial", "Transaction_payload",
// "Query_compressed", ...) that `server` logged from `from` on, across later files too.
std::set<std::string> binlogEventTypes(const DbServer& server, const replay::Position& from);

// Replay options that start at `p` with `workers` appliers and a short heartbeat.
replay::ReplayOptions startingAt(const replay::Position& p, int workers = 3);

// Checks (doctest CHECKs) that db.table holds the same rows on source and target, row for row,
// and shows the first differing column of each differing row.
void checkSame(const std::string& database, const std::string& table);

// Waits until the target's rows of db.table equal the source's (or times out, returning false).
bool waitSame(const std::string& database, const std::string& table, std::chrono::seconds timeout);

}  // namespace tidemark::testing
