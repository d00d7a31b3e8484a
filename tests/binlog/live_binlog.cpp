#include "tests/binlog/live_binlog.h"

#include <algorithm>
#include <regex>

#include "runner/binlog/sql_literal.h"

namespace tidemark::testing::live {

namespace fs = std::filesystem;
using binlog::Event;

ServerOptions sourceOptions() {
    ServerOptions o = ServerOptions::source();
    o.rowMetadata = "FULL";
    return o;
}

std::vector<fs::path> binlogFiles(const DbServer& server) {
    static const std::regex name(R"(mysql-bin\.[0-9]+)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(server.dir() / "data"))
        if (std::regex_match(entry.path().filename().string(), name)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<Event> decodeFile(const fs::path& file, binlog::DecoderOptions options) {
    binlog::BinlogFileSource source(file.string(), options);
    std::vector<Event> events;
    Event ev;
    while (source.next(ev)) events.push_back(std::move(ev));
    return events;
}

std::vector<Event> decodeAllBinlogs(DbServer& server) {
    server.exec("FLUSH BINARY LOGS");
    std::vector<Event> events;
    for (const auto& file : binlogFiles(server)) {
        auto more = decodeFile(file);
        std::move(more.begin(), more.end(), std::back_inserter(events));
    }
    return events;
}

std::vector<RowChange> changesOf(const std::vector<Event>& events, const std::string& database,
                                 const std::string& table) {
    std::vector<RowChange> out;
    for (const auto& ev : events) {
        const auto* rows = ev.as<binlog::RowsEvent>();
        if (!rows || !rows->table || rows->table->schema != database || rows->table->table != table) continue;
        for (const auto& row : rows->rows) out.push_back({rows->kind, &row, rows->table.get()});
    }
    return out;
}

std::vector<std::string> columnsOf(db::Connection& c, const std::string& database, const std::string& table) {
    auto rows = c.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + c.quote(database) +
                        " AND TABLE_NAME = " + c.quote(table) + " ORDER BY ORDINAL_POSITION");
    std::vector<std::string> names;
    for (const auto& r : rows.rows) names.push_back(r.at(0).value_or(""));
    return names;
}

std::vector<std::vector<std::optional<std::string>>> rowsOf(db::Connection& c, const std::string& database,
                                                            const std::string& table) {
    const auto columns = columnsOf(c, database, table);
    std::string list;
    for (const auto& col : columns) list += (list.empty() ? "" : ", ") + db::quoteIdent(col);
    return c.query("SELECT " + list + " FROM " + db::qualified(database, table) + " ORDER BY 1").rows;
}

void applyDecoded(db::Connection& c, const std::string& database, const std::string& copy,
                  const std::vector<std::string>& columns, const RowChange& change) {
    const std::string target = db::qualified(database, copy);
    const auto& before = change.row->before;
    const auto& after = change.row->after;
    REQUIRE(columns.size() == change.table->columns.size());
    std::string sql;
    switch (change.kind) {
        case binlog::RowsKind::Write: {
            std::string names, values;
            for (size_t i = 0; i < columns.size(); ++i) {
                names += (i ? ", " : "") + db::quoteIdent(columns[i]);
                values += (i ? ", " : "") + binlog::sqlLiteral(after.at(i));
            }
            sql = "INSERT INTO " + target + " (" + names + ") VALUES (" + values + ")";
            break;
        }
        case binlog::RowsKind::Update: {
            std::string set;
            for (size_t i = 0; i < columns.size(); ++i) {
                if (!after.at(i).isPresent()) continue;
                const std::string column = db::quoteIdent(columns[i]);
                set += (set.empty() ? "" : ", ") + column + " = " +
                    (after[i].kind == binlog::Value::Kind::JsonDiff ? binlog::jsonDiffExpression(column, after[i])
                                                                    : binlog::sqlLiteral(after[i]));
            }
            sql = "UPDATE " + target + " SET " + set + " WHERE " + db::quoteIdent(columns[0]) + " = " +
                binlog::sqlLiteral(before.at(0));
            break;
        }
        case binlog::RowsKind::Delete:
            sql = "DELETE FROM " + target + " WHERE " + db::quoteIdent(columns[0]) + " = " +
                binlog::sqlLiteral(before.at(0));
            break;
    }
    c.execute(sql);
    // ROW_COUNT(): Connection::affectedRows() reads -1 once execute() has drained the results.
    CHECK_MESSAGE(c.scalar("SELECT ROW_COUNT()") == "1", "not one row changed by: " << sql.substr(0, 300));
}

}  // namespace tidemark::testing::live
