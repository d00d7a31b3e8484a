#include "tests/replay/replay_fixture.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>

#include "runner/replay/binlog_streamer.h"

namespace tidemark::testing {

void RecordingSink::report(std::string_view block, const nlohmann::json& fields) {
    std::lock_guard lock(mu_);
    if (block == "incremental") last_.merge_patch(fields);
}

void RecordingSink::note(std::string_view message) {
    std::lock_guard lock(mu_);
    notes_.emplace_back(message);
}

nlohmann::json RecordingSink::last() const {
    std::lock_guard lock(mu_);
    return last_;
}

std::vector<std::string> RecordingSink::notes() const {
    std::lock_guard lock(mu_);
    return notes_;
}

bool RecordingSink::noted(std::string_view fragment) const {
    std::lock_guard lock(mu_);
    return std::any_of(notes_.begin(), notes_.end(),
                       [&](const std::string& n) { return n.find(fragment) != std::string::npos; });
}

DbServer& sharedSource() {
    static DbServer server(ServerOptions::source());
    return server;
}

DbServer& sharedTarget() {
    static DbServer server(ServerOptions::target());
    return server;
}

api::MigrationJob jobFor(const std::string& name, const std::vector<std::string>& databases) {
    api::MigrationJob job;
    job.name = name;
    job.type = api::JobType::Incremental;
    for (auto& d : databases) job.objects.include.push_back(api::ObjectRule{d, {}});
    job.incremental.safeModeDuration = std::chrono::seconds(60);
    return job;
}

std::vector<std::string> tableRows(db::Connection& c, const std::string& database, const std::string& table) {
    auto cols = c.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + c.quote(database) +
                        " AND TABLE_NAME = " + c.quote(table) + " ORDER BY ORDINAL_POSITION");
    std::string expr = "CONCAT_WS('|'";
    for (size_t i = 0; i < cols.size(); ++i) {
        const std::string col = db::quoteIdent(cols.rows[i][0].value_or(""));
        expr += ", CONCAT(" + c.quote(cols.rows[i][0].value_or("")) + ", '=', IFNULL(HEX(CAST(" + col +
            " AS BINARY)), 'NULL'))";
    }
    expr += ")";
    auto rows = c.query("SELECT " + expr + " FROM " + db::qualified(database, table));
    std::vector<std::string> out;
    for (auto& r : rows.rows) out.push_back(r[0].value_or("<null>"));
    std::sort(out.begin(), out.end());
    return out;
}

void freshDatabase(const std::string& database) {
    for (DbServer* s : {&sharedSource(), &sharedTarget()}) {
        auto c = s->connectRoot();
        c.execute("DROP DATABASE IF EXISTS " + db::quoteIdent(database));
        c.execute("CREATE DATABASE " + db::quoteIdent(database));
    }
}

void catchUp(const api::MigrationJob& job, replay::ReplayOptions options, RecordingSink* sink) {
    auto src = sharedSource().connectRoot();
    options.stopAt = replay::currentSourcePosition(src);
    RecordingSink local;
    std::atomic<bool> stop{false};
    // A replay that never reaches the position fails the test instead of hanging it.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false, timedOut = false;
    std::thread guard([&] {
        std::unique_lock lock(mu);
        if (!cv.wait_for(lock, std::chrono::seconds(120), [&] { return done; })) {
            timedOut = true;
            stop = true;
        }
    });
    auto finish = [&] {
        {
            std::lock_guard lock(mu);
            done = true;
        }
        cv.notify_all();
        guard.join();
    };
    try {
        replay::runReplay(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), options,
                          sink ? *sink : local, stop);
    } catch (...) {
        finish();
        throw;
    }
    finish();
    if (timedOut) FAIL("replay of job " << job.name << " did not reach " << options.stopAt->text() << " in 120 s");
}

BackgroundReplay::BackgroundReplay(api::MigrationJob job, replay::ReplayOptions options)
    : job_(std::move(job)), options_(std::move(options)) {
    thread_ = std::thread([this] {
        try {
            replay::runReplay(job_, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"),
                              options_, sink_, stop_);
        } catch (...) {
            error_ = std::current_exception();
        }
    });
}

BackgroundReplay::~BackgroundReplay() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void BackgroundReplay::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(error_);
}

bool waitSame(const std::string& database, const std::string& table, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            auto s = sharedSource().connectRoot();
            auto t = sharedTarget().connectRoot();
            if (tableRows(s, database, table) == tableRows(t, database, table)) return true;
        } catch (const db::DbError&) {}
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

SourceLoad::SourceLoad(std::string database, const DbServer& server) : db_(std::move(database)) {
    thread_ = std::thread([this, &server] {
        auto c = server.connectRoot();
        const std::string k = db::qualified(db_, "k"), n = db::qualified(db_, "n");
        for (int i = 1; !stop_; ++i) {
            const std::string s = std::to_string(i);
            c.execute("START TRANSACTION");
            c.execute("INSERT INTO " + k + " VALUES (" + s + ", " + s + ", REPEAT('s', " + std::to_string(i % 40) +
                      "))");
            c.execute("UPDATE " + k + " SET v = v + 1 WHERE id = " + std::to_string(i / 2));
            if (i % 3 == 0) c.execute("DELETE FROM " + k + " WHERE id = " + std::to_string(i - 5));
            c.execute("INSERT INTO " + n + " VALUES (" + std::to_string(i % 7) + ", 'x')");
            if (i % 4 == 0) c.execute("DELETE FROM " + n + " WHERE a = " + std::to_string(i % 7) + " LIMIT 1");
            c.execute("UPDATE " + n + " SET b = CONCAT(b, 'y') WHERE a = " + std::to_string(i % 5) + " LIMIT 1");
            if (i % 10 == 0) c.execute("INSERT INTO " + n + " SELECT a, 'bulk' FROM " + n + " WHERE b = 'x' LIMIT 30");
            c.execute("COMMIT");
            ++transactions_;
        }
    });
}

SourceLoad::~SourceLoad() { stop(); }

void SourceLoad::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void createLoadTables(const std::string& database) {
    freshDatabase(database);
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) {
        auto c = server->connectRoot();
        c.execute("CREATE TABLE " + db::qualified(database, "k") + " (id INT PRIMARY KEY, v INT, s VARCHAR(50))");
        c.execute("CREATE TABLE " + db::qualified(database, "n") + " (a INT, b VARCHAR(200))");
    }
}

replay::Position sourceNow() {
    auto c = sharedSource().connectRoot();
    return replay::currentSourcePosition(c);
}

std::set<std::string> binlogEventTypes(const DbServer& server, const replay::Position& from) {
    auto c = server.connectRoot();
    auto logs = c.query("SHOW BINARY LOGS");
    std::set<std::string> types;
    bool reached = false;
    for (size_t i = 0; i < logs.size(); ++i) {
        const std::string file = logs.text(i, "Log_name");
        if (file == from.file) reached = true;
        if (!reached) continue;
        const uint64_t pos = file == from.file ? std::max<uint64_t>(from.pos, 4) : 4;
        auto events = c.query("SHOW BINLOG EVENTS IN " + c.quote(file) + " FROM " + std::to_string(pos));
        for (size_t k = 0; k < events.size(); ++k) types.insert(events.text(k, "Event_type"));
    }
    return types;
}

replay::ReplayOptions startingAt(const replay::Position& p, int workers) {
    replay::ReplayOptions o;
    o.start = p;
    o.workers = workers;
    o.heartbeat = std::chrono::milliseconds(250);
    return o;
}

void checkSame(const std::string& database, const std::string& table) {
    auto s = sharedSource().connectRoot();
    auto t = sharedTarget().connectRoot();
    auto a = tableRows(s, database, table);
    auto b = tableRows(t, database, table);
    CHECK(a.size() == b.size());
    CHECK(a == b);
    if (a == b) return;
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        std::string x = i < a.size() ? a[i] : "", y = i < b.size() ? b[i] : "";
        if (x == y) continue;
        // The first differing column of the row.
        size_t p = 0;
        while (p < x.size() && p < y.size() && x[p] == y[p]) ++p;
        size_t from = x.rfind('|', p);
        from = from == std::string::npos ? 0 : from + 1;
        MESSAGE("source: " << x.substr(from, 200) << "\ntarget: " << y.substr(from, 200));
    }
}

}  // namespace tidemark::testing
