// Which server a connection talks to, and its version: the one detection every stage uses.
//
// VERSION() answers "10.11.6-MariaDB-0+deb12u1-log", "9.7.4" or "8.0.11-TiDB-v7.5.1" (TiDB's
// MySQL-compatible prefix is configurable, so TiDB is recognized by "-TiDB-v<semver>" and its own
// version is what `major/minor/patch` hold, not the prefix's).
#pragma once

#include <string>
#include <string_view>

namespace tidemark::db {
class Connection;
}

namespace tidemark::db::dialect {

enum class Flavor { MySQL, MariaDB, TiDB };

struct ServerInfo {
    Flavor flavor = Flavor::MySQL;
    int major = 0, minor = 0, patch = 0;  // the server's own version (TiDB: v7.5.1 -> 7, 5, 1)
    std::string versionText;              // VERSION() as the server said it

    bool atLeast(int maj, int min, int pat = 0) const;
    bool isTidb() const { return flavor == Flavor::TiDB; }
    bool isMariaDB() const { return flavor == Flavor::MariaDB; }
};

// The view listing every session a KILL or a liveness check can see: TiDB's PROCESSLIST holds
// only the sessions of the tidb-server answering, its CLUSTER_PROCESSLIST those of all of them.
std::string_view processListView(const ServerInfo& server);

// Pure: the server a VERSION() text names.
ServerInfo parseServerVersion(std::string_view version);
// Runs SELECT VERSION() (a DbError propagates).
ServerInfo detectServer(Connection& c);
// The server's lower_case_table_names (0, 1 or 2): how it stores and compares database and table
// names. The one reader of it: the job's selection takes its rule from the source's value
// (api::nameCaseFor, db::withNameRuleOf), so copy, replay and precheck compare names alike.
// A DbError propagates.
int lowerCaseTableNames(Connection& c);
std::string_view nameOf(Flavor);

}  // namespace tidemark::db::dialect
