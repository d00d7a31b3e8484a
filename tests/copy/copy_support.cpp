#include "tests/copy/copy_support.h"

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

}  // namespace tidemark::copytest
