#include "tests/copy/copy_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

namespace tidemark::copytest {

const testing::DbServer& source() {
    static testing::DbServer s(testing::ServerOptions::source());
    return s;
}

const testing::DbServer& target() {
    static testing::DbServer s(testing::ServerOptions::target());
    return s;
}

db::ConnectOptions sourceOptions() { return source().rootOptions("source"); }
db::ConnectOptions targetOptions() { return target().rootOptions("target"); }

api::MigrationJob job(const std::string& name, const std::vector<std::string>& databases, api::FullMode mode) {
    api::MigrationJob j;
    j.name = name;
    j.type = api::JobType::Full;
    j.fullMode = mode;
    for (auto& d : databases) j.objects.include.push_back({d, {}});
    j.capacity = 2;
    return j;
}

void RecordingSink::report(std::string_view block, const nlohmann::json& fields) {
    std::lock_guard lock(m_);
    blocks_[std::string(block)].merge_patch(fields);
}

void RecordingSink::note(std::string_view message) {
    std::lock_guard lock(m_);
    notes_.emplace_back(message);
}

nlohmann::json RecordingSink::last(const std::string& block) {
    std::lock_guard lock(m_);
    return blocks_.contains(block) ? blocks_[block] : nlohmann::json::object();
}

std::vector<std::string> RecordingSink::notes() {
    std::lock_guard lock(m_);
    return notes_;
}

std::vector<std::string> hexRows(db::Connection& c, const std::string& dbName, const std::string& table) {
    auto cols = c.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + c.quote(dbName) +
                        " AND TABLE_NAME = " + c.quote(table) + " ORDER BY ORDINAL_POSITION");
    std::string exprs, order;
    for (auto& r : cols.rows) {
        const std::string q = db::quoteIdent(r[0].value_or(""));
        exprs += (exprs.empty() ? "" : ", ") + std::string("COALESCE(HEX(CAST(") + q + " AS BINARY)), 'NULL')";
        order += (order.empty() ? "" : ", ") + std::string("HEX(CAST(") + q + " AS BINARY))";
    }
    c.execute("SET time_zone = '+00:00'");
    auto rows = c.query("SELECT " + exprs + " FROM " + db::qualified(dbName, table) + " ORDER BY " + order);
    std::vector<std::string> out;
    for (auto& r : rows.rows) {
        std::string line;
        for (auto& v : r) line += v.value_or("?") + "|";
        out.push_back(line);
    }
    return out;
}

copy::CopyOptions testOptions(std::uint64_t chunkRows, double mibps, int workers) {
    copy::CopyOptions o;
    o.chunkRows = chunkRows;
    o.exportMiBPerSecond = mibps;
    o.workers = workers;
    o.writers = workers;
    return o;
}

void reset(const std::string& jobName, const std::vector<std::string>& databases) {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (auto& d : databases) {
        s.execute("DROP DATABASE IF EXISTS " + db::quoteIdent(d));
        t.execute("DROP DATABASE IF EXISTS " + db::quoteIdent(d));
    }
    if (t.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tidemark_meta' LIMIT 1")) {
        for (const char* tbl : {"copy_job", "copy_snapshot", "copy_table", "copy_chunk"})
            t.execute(std::string("DELETE FROM tidemark_meta.") + tbl + " WHERE job = " + t.quote(jobName));
    }
}

std::uint64_t count(db::Connection& c, const std::string& qualifiedTable) {
    return std::stoull(c.scalar("SELECT COUNT(*) FROM " + qualifiedTable).value_or("0"));
}

std::string numbers(std::uint64_t n) {
    const std::string digits =
        "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
        "SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    std::string expr = "1", from;
    std::uint64_t scale = 1;
    for (int i = 0; scale < n && i < 6; ++i, scale *= 10) {
        const std::string alias = "d" + std::to_string(i);
        expr += " + " + std::to_string(scale) + " * " + alias + ".d";
        from += (from.empty() ? "" : " CROSS JOIN ") + digits + " AS " + alias;
    }
    if (from.empty()) from = "(SELECT 0 AS d) AS d0";
    return "(SELECT " + expr + " AS seq FROM " + from + " WHERE " + expr + " <= " + std::to_string(n) + ") AS numbers";
}

std::uint64_t gtidTransactions(const std::string& gtidSet) {
    std::uint64_t total = 0;
    std::size_t start = 0;
    while (start <= gtidSet.size()) {
        const auto end = std::min(gtidSet.find(',', start), gtidSet.size());
        std::string part = gtidSet.substr(start, end - start);
        part.erase(std::remove_if(part.begin(), part.end(), [](unsigned char c) { return std::isspace(c); }),
                   part.end());
        if (part.find(':') != std::string::npos) {
            // uuid[:tag]:a-b:c...: the parts after the uuid that start with a digit are intervals.
            std::size_t p = part.find(':');
            while (p != std::string::npos) {
                const auto next = part.find(':', p + 1);
                const std::string iv = part.substr(p + 1, next == std::string::npos ? std::string::npos : next - p - 1);
                if (!iv.empty() && std::isdigit(static_cast<unsigned char>(iv[0]))) {
                    const auto dash = iv.find('-');
                    const std::uint64_t lo = std::stoull(iv.substr(0, dash));
                    const std::uint64_t hi = dash == std::string::npos ? lo : std::stoull(iv.substr(dash + 1));
                    total += hi - lo + 1;
                }
                p = next;
            }
        } else if (part.rfind("0-", 0) == 0) {
            total += std::stoull(part.substr(part.rfind('-') + 1));
        }
        start = end + 1;
    }
    return total;
}

std::string sourceGtidSet(db::Connection& c) {
    return c.scalar(c.isMariaDB() ? "SELECT @@gtid_binlog_pos" : "SELECT @@gtid_executed").value_or("");
}

ChunkCounts chunkCounts(const std::string& jobName) {
    auto t = target().connectRoot();
    auto r = t.query("SELECT COALESCE(SUM(state = 2), 0), COUNT(*) FROM tidemark_meta.copy_chunk WHERE job = " +
                     t.quote(jobName));
    if (r.empty()) return {};
    return {std::stoull(r.rows[0][0].value_or("0")), std::stoull(r.rows[0][1].value_or("0"))};
}

bool copyKilledWhen(const api::MigrationJob& job, const copy::CopyOptions& options,
                    const std::function<bool()>& killWhen) {
    { copy::Checkpoint cp(targetOptions(), job.name); }
    const pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        try {
            RecordingSink sink;
            std::atomic<bool> stop{false};
            copy::runFullCopy(job, sourceOptions(), targetOptions(), sink, stop, options);
            _exit(0);
        } catch (...) {
            _exit(1);
        }
    }
    for (int i = 0; i < 400; ++i) {
        if (killWhen()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace tidemark::copytest
