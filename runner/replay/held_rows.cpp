#include "runner/replay/held_rows.h"

namespace tidemark::replay {

namespace {

constexpr const char* kHeld = "tidemark_meta.ddl_held_rows";
constexpr const char* kOrder = " ORDER BY instance, batch, share, piece, k";
constexpr int kPage = 200;  // statements read per round trip while releasing

std::string mergedWhere(db::Connection& c, const std::string& jobKey, const consolidate::TableName& merged) {
    return " WHERE job = " + c.quote(jobKey) + " AND merged_db = " + c.quote(merged.first) +
        " AND merged_table = " + c.quote(merged.second);
}

}  // namespace

void ensureHeldRowsTable(db::Connection& target) {
    target.execute("CREATE DATABASE IF NOT EXISTS tidemark_meta");
    target.execute(std::string("CREATE TABLE IF NOT EXISTS ") + kHeld +
                   " (job VARCHAR(128) NOT NULL, merged_db VARCHAR(64) NOT NULL, merged_table VARCHAR(64) NOT NULL, "
                   "instance VARCHAR(128) NOT NULL, batch BIGINT UNSIGNED NOT NULL, share INT NOT NULL, "
                   "piece BIGINT UNSIGNED NOT NULL, k BIGINT UNSIGNED NOT NULL, step BIGINT UNSIGNED NOT NULL, "
                   "source_db VARCHAR(64) NOT NULL, source_table VARCHAR(64) NOT NULL, stmt LONGBLOB NOT NULL, "
                   "PRIMARY KEY (job, merged_db, merged_table, instance, batch, share, piece, k))");
}

std::string holdStatement(const std::string& jobKey, const std::string& instanceKey,
                          const consolidate::TableName& merged, const consolidate::TableName& shard, uint64_t step,
                          const HeldOrder& order, const std::string& sql) {
    return std::string("INSERT INTO ") + kHeld +
        " (job, merged_db, merged_table, instance, batch, share, piece, k, step, source_db, source_table, stmt) "
        "VALUES (" +
        db::hexLiteral(jobKey) + ", " + db::hexLiteral(merged.first) + ", " + db::hexLiteral(merged.second) + ", " +
        db::hexLiteral(instanceKey) + ", " + std::to_string(order.batch) + ", " + std::to_string(order.share) + ", " +
        std::to_string(order.piece) + ", " + std::to_string(order.k) + ", " + std::to_string(step) + ", " +
        db::hexLiteral(shard.first) + ", " + db::hexLiteral(shard.second) + ", " + db::hexLiteral(sql) + ")";
}

bool releaseHeldRows(db::Connection& c, const std::string& jobKey, const consolidate::TableName& merged, uint64_t step,
                     size_t maxBytes, uint64_t& ran) {
    const std::string where = mergedWhere(c, jobKey, merged) + " AND step <= " + std::to_string(step);
    size_t bytes = 0;
    for (;;) {
        // Each page is deleted once run, so the next read starts after it.
        auto page =
            c.query("SELECT stmt FROM " + std::string(kHeld) + where + kOrder + " LIMIT " + std::to_string(kPage));
        if (page.empty()) return true;
        size_t k = 0;
        for (; k < page.size() && (k == 0 || bytes < maxBytes); ++k) {
            const std::string statement = page.rows[k][0].value_or("");
            c.execute(statement);
            bytes += statement.size();
        }
        c.execute("DELETE FROM " + std::string(kHeld) + where + kOrder + " LIMIT " + std::to_string(k));
        ran += k;
        if (k == page.size() && page.size() < static_cast<size_t>(kPage)) return true;
        if (bytes >= maxBytes) return false;
    }
}

uint64_t heldRowCount(db::Connection& c, const std::string& jobKey, const consolidate::TableName& merged) {
    const auto n = c.scalar("SELECT COUNT(*) FROM " + std::string(kHeld) + mergedWhere(c, jobKey, merged));
    return n ? std::strtoull(n->c_str(), nullptr, 10) : 0;
}

}  // namespace tidemark::replay
