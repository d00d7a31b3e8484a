#include "runner/db/binlog_status.h"

#include <algorithm>

#include "runner/db/dialect/flavor.h"

namespace tidemark::db {

namespace {

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s + ",") {
        if (c != ',') {
            cur += c;
        } else if (!cur.empty()) {
            out.push_back(cur);
            cur.clear();
        }
    }
    return out;
}

std::string textOr(const Rows& rows, std::string_view column) {
    try {
        return rows.text(0, column);
    } catch (const std::out_of_range&) {
        return "";
    }
}

}  // namespace

std::string binlogStatusStatement(const std::string& serverVersion) {
    // MySQL 8.2 renamed the statement (8.4 removed the old name); MariaDB and TiDB keep it.
    const auto server = dialect::parseServerVersion(serverVersion);
    return server.flavor == dialect::Flavor::MySQL && server.atLeast(8, 2) ? "SHOW BINARY LOG STATUS"
                                                                           : "SHOW MASTER STATUS";
}

std::optional<BinlogStatus> readBinlogStatus(Connection& server) {
    const auto version = server.serverVersion();
    const auto statement = binlogStatusStatement(version);
    Rows rows;
    try {
        rows = server.query(statement);
    } catch (const DbError& e) {
        // A server that reports a version it does not behave like (a proxy, a fork): the other name.
        if (e.kind() != ErrorKind::Query) throw;
        rows = server.query(statement == "SHOW MASTER STATUS" ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS");
    }
    if (rows.empty() || rows.text(0, "File").empty()) return std::nullopt;
    BinlogStatus s;
    s.file = rows.text(0, "File");
    try {
        s.pos = std::stoull(rows.text(0, "Position"));
    } catch (const std::exception&) {
        throw DbError(ErrorKind::Other, 0,
                      server.options().endpoint() + ": " + statement + " returned position '" +
                          rows.text(0, "Position") + "', not a number");
    }
    s.doDbs = splitList(textOr(rows, "Binlog_Do_DB"));
    s.ignoreDbs = splitList(textOr(rows, "Binlog_Ignore_DB"));
    if (dialect::parseServerVersion(version).isMariaDB()) {
        s.gtidSet = server.scalar("SELECT BINLOG_GTID_POS(" + server.quote(s.file) + ", " + std::to_string(s.pos) + ")")
                        .value_or("");
    } else {
        s.gtidSet = textOr(rows, "Executed_Gtid_Set");
        std::erase(s.gtidSet, '\n');
    }
    return s;
}

}  // namespace tidemark::db
