#include "runner/cutover/switch_checks.h"

#include "runner/db/binlog_status.h"
#include "runner/db/catalog.h"
#include "runner/replay/errors.h"
#include "runner/replay/stream_order.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

namespace tidemark::cutover {

using precheck::Item;
using precheck::State;

namespace {

using Table = std::pair<std::string, std::string>;

replay::Position binlogPosition(db::Connection& source) {
    const auto status = db::readBinlogStatus(source);
    if (!status)
        throw replay::ReplayError(source.options().endpoint() +
                                      ": the source reports no binary log position: binary logging is off, so no "
                                      "cutover position exists (set log_bin and binlog_format=ROW)",
                                  false);
    return replay::Position{status->file, status->pos, status->gtidSet};
}

bool readOnly(db::Connection& source) {
    const auto flags = source.query(source.isMariaDB() ? "SELECT @@global.read_only, 0"
                                                       : "SELECT @@global.read_only, @@global.super_read_only");
    const auto on = [](const std::optional<std::string>& v) { return v && *v != "0" && *v != "OFF"; };
    return on(flags.rows[0][0]) || on(flags.rows[0][1]);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// The first keyword of a statement, past blanks and /* comments */, in lower case.
std::string firstKeyword(std::string_view sql) {
    for (;;) {
        while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) sql.remove_prefix(1);
        if (sql.substr(0, 2) != "/*") break;
        const auto end = sql.find("*/");
        if (end == std::string_view::npos) return "";
        sql.remove_prefix(end + 2);
    }
    std::size_t n = 0;
    while (n < sql.size() && std::isalpha(static_cast<unsigned char>(sql[n]))) ++n;
    return lower(sql.substr(0, n));
}

bool isDdl(std::string_view sql) {
    static const std::set<std::string> keywords = {"alter", "create", "drop", "rename", "truncate"};
    return keywords.count(firstKeyword(sql)) > 0;
}

// Whether `sql` names `database` as a qualifier ("db.t" or "`db`.t").
bool mentions(std::string_view sql, const std::string& database) {
    const auto text = lower(sql);
    const auto name = lower(database);
    return text.find("`" + name + "`.") != std::string::npos || text.find(name + ".") != std::string::npos;
}

// information_schema.TABLES.AUTO_INCREMENT of every table that has a counter. MySQL 8+ caches
// that column for a day unless the session asks for fresh values.
std::map<Table, std::uint64_t> autoIncrements(db::Connection& server) {
    try {
        server.execute("SET SESSION information_schema_stats_expiry = 0");
    } catch (const db::DbError&) {
        // MariaDB and TiDB keep no such cache.
    }
    const auto rows = server.query(
        "SELECT TABLE_SCHEMA, TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
        "WHERE AUTO_INCREMENT IS NOT NULL AND TABLE_TYPE = 'BASE TABLE'");
    std::map<Table, std::uint64_t> out;
    for (const auto& r : rows.rows) out[{r[0].value_or(""), r[1].value_or("")}] = std::stoull(r[2].value_or("0"));
    return out;
}

std::string joinFirst(const std::vector<std::string>& parts, std::size_t shown, const std::string& separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size() && i < shown; ++i) out += (i ? separator : "") + parts[i];
    if (parts.size() > shown) out += separator + "and " + std::to_string(parts.size() - shown) + " more";
    return out;
}

}  // namespace

const std::vector<std::string>& switchCheckNames() {
    static const std::vector<std::string> names = {"source_writes_stopped", "replay_caught_up", "auto_increment",
                                                   "no_ddl_pending"};
    return names;
}

bool QuietWatch::observe(const replay::Position& position, std::chrono::steady_clock::time_point now) {
    if (!last_ || !(*last_ == position) || last_->gtidSet != position.gtidSet) {
        last_ = position;
        since_ = now;
    }
    return now - since_ >= quiet_;
}

WritesStopped waitForWritesToStop(db::Connection& source, std::chrono::seconds quiet, std::chrono::seconds timeout,
                                  const std::atomic<bool>& stop) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    QuietWatch watch(quiet);
    const auto first = binlogPosition(source);
    auto last = first;
    for (;;) {
        last = binlogPosition(source);
        if (readOnly(source))
            return {{"source_writes_stopped", State::Pass,
                     "the source is read-only; its binary log stands at " + last.text(), ""},
                    last,
                    true};
        if (watch.observe(last, Clock::now()))
            return {{"source_writes_stopped", State::Pass,
                     "the source's binary log has not moved for " + std::to_string(quiet.count()) + " s (at " +
                         last.text() + ")",
                     ""},
                    last,
                    false};
        if (stop.load() || Clock::now() - started >= timeout) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    const std::string waited =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count());
    return {{"source_writes_stopped", State::Failed,
             "the source's binary log kept moving (" + first.text() + " then " + last.text() + ") for " + waited +
                 " s: writes have not stopped",
             "stop the application's writes to the source (or SET GLOBAL read_only = ON) and run the cutover again; "
             "--quiet-seconds sets how long the binary log must stay still, --wait-timeout how long to wait"},
            std::nullopt,
            false};
}

Item checkWritesStillStopped(db::Connection& source, const WritesStopped& stopped) {
    if (!stopped.at) return stopped.item;
    const auto now = binlogPosition(source);
    if (now == *stopped.at)
        return {"source_writes_stopped", State::Pass,
                std::string(stopped.readOnly ? "the source is read-only and " : "no writes since they stopped: ") +
                    "its binary log stayed at " + now.text(),
                ""};
    return {"source_writes_stopped", State::Failed,
            "the source wrote after its writes had stopped (binary log at " + stopped.at->text() + ", now " +
                now.text() + "): those writes are not in the validated target",
            "stop every writer of the source (or SET GLOBAL read_only = ON) and run the cutover again"};
}

Item checkReplayCaughtUp(const std::optional<replay::Position>& applied, const replay::Position& stop) {
    const std::string stopText = stop.known() ? stop.text() : "GTID set " + stop.gtidSet;
    if (!applied)
        return {"replay_caught_up", State::Failed, "the target has no replay checkpoint for this job",
                "run the job (tidemark-runner run) so replay starts, then run the cutover again"};
    if (replay::compareStreamPositions(*applied, stop) >= 0)
        return {"replay_caught_up", State::Pass,
                "the target has applied the source up to " + applied->text() + " (stop position " + stopText + ")", ""};
    return {
        "replay_caught_up", State::Failed,
        "the target has applied the source only up to " + applied->text() + ", short of the stop position " + stopText,
        "run the cutover again; replay resumes from its checkpoint"};
}

Item checkAutoIncrement(const api::MigrationJob& job, db::Connection& source, db::Connection& target) {
    const auto selection = db::withNameRuleOf(source, job.objects);
    const auto selected = db::selectedTables(source, selection);
    const auto sourceCounters = autoIncrements(source);
    const auto targetCounters = autoIncrements(target);
    std::vector<std::string> behind, fixes;
    std::size_t counted = 0;
    for (const auto& table : selected) {
        const auto s = sourceCounters.find(table);
        if (s == sourceCounters.end()) continue;
        ++counted;
        const auto t = targetCounters.find(table);
        if (t == targetCounters.end()) {
            behind.push_back(db::qualified(table.first, table.second) +
                             ": the target has no AUTO_INCREMENT counter "
                             "(source " +
                             std::to_string(s->second) + ")");
            continue;
        }
        if (t->second >= s->second) continue;
        behind.push_back(db::qualified(table.first, table.second) + ": target " + std::to_string(t->second) +
                         " < source " + std::to_string(s->second));
        fixes.push_back("ALTER TABLE " + db::qualified(table.first, table.second) +
                        " AUTO_INCREMENT = " + std::to_string(s->second));
    }
    if (behind.empty())
        return {"auto_increment", State::Pass,
                std::to_string(counted) +
                    " selected table(s) with AUTO_INCREMENT: the target's next value is at or "
                    "above the source's for each",
                ""};
    return {"auto_increment", State::Failed,
            "the target's AUTO_INCREMENT counter is below the source's (next value): " + joinFirst(behind, 10, "; "),
            "run on the target: " + joinFirst(fixes, 10, "; ")};
}

Item checkNoDdlPending(const api::MigrationJob& job, db::Connection& source, const std::string& refusedDdl) {
    if (!refusedDdl.empty())
        return {"no_ddl_pending", State::Failed, "the target refused a DDL before the stop position: " + refusedDdl,
                "fix the target (or list the statement's position in spec.ddl.skip) and run the cutover again"};
    const auto selection = db::withNameRuleOf(source, job.objects);
    std::set<std::string> databases;
    for (const auto& table : db::selectedTables(source, selection)) databases.insert(table.first);
    const auto rows = source.query("SHOW FULL PROCESSLIST");
    std::vector<std::string> running;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string info = rows.text(i, "Info");
        if (rows.text(i, "Id") == std::to_string(source.threadId()) || !isDdl(info)) continue;
        const std::string db = rows.text(i, "db");
        const bool onSelected = (!db.empty() && selection.selectsDatabase(db)) ||
            std::any_of(databases.begin(), databases.end(), [&](const auto& d) { return mentions(info, d); });
        if (onSelected) running.push_back("thread " + rows.text(i, "Id") + ": " + info.substr(0, 120));
    }
    if (running.empty())
        return {"no_ddl_pending", State::Pass,
                "replay applied every DDL up to the stop position, and the source runs none on a selected schema", ""};
    return {"no_ddl_pending", State::Failed,
            "the source is running DDL on a selected schema: " + joinFirst(running, 3, "; "),
            "let the DDL finish (replay then applies it) and run the cutover again"};
}

}  // namespace tidemark::cutover
