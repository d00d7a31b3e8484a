#include "runner/db/dialect/flavor.h"

#include <cctype>

#include "runner/db/connection.h"

namespace tidemark::db::dialect {

namespace {

// Reads "<maj>.<min>[.<patch>]" at `s[i..]`; false when no "<digits>." starts there.
bool readVersion(std::string_view s, std::size_t i, int& major, int& minor, int& patch) {
    int parts[3] = {0, 0, 0};
    int n = 0;
    while (n < 3 && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        int v = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            if (v < 100000) v = v * 10 + (s[i] - '0');
            ++i;
        }
        parts[n++] = v;
        if (i < s.size() && s[i] == '.') ++i;
        else break;
    }
    if (n < 2) return false;
    major = parts[0];
    minor = parts[1];
    patch = parts[2];
    return true;
}

bool containsNoCase(std::string_view text, std::string_view word) {
    if (word.size() > text.size()) return false;
    for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < word.size() &&
               std::tolower(static_cast<unsigned char>(text[i + k])) ==
                   std::tolower(static_cast<unsigned char>(word[k])))
            ++k;
        if (k == word.size()) return true;
    }
    return false;
}

}  // namespace

bool ServerInfo::atLeast(int maj, int min, int pat) const {
    if (major != maj) return major > maj;
    if (minor != min) return minor > min;
    return patch >= pat;
}

ServerInfo parseServerVersion(std::string_view version) {
    ServerInfo info;
    info.versionText = std::string(version);
    // TiDB: "<mysql-compatible prefix>-TiDB-v<maj>.<min>.<patch>[-suffix]". The prefix is the
    // server-version setting (8.0.11 by default, 5.7.25 on old releases), so only what follows
    // "-TiDB-v" is TiDB's own version.
    static constexpr std::string_view kTidb = "-TiDB-v";
    for (std::size_t at = version.find(kTidb); at != std::string_view::npos; at = version.find(kTidb, at + 1)) {
        if (readVersion(version, at + kTidb.size(), info.major, info.minor, info.patch)) {
            info.flavor = Flavor::TiDB;
            return info;
        }
    }
    if (containsNoCase(version, "mariadb")) {
        info.flavor = Flavor::MariaDB;
        // MariaDB 10+ may announce itself as "5.5.5-10.11.6-MariaDB" (the replication handshake's
        // prefix, for clients that expect a 5.x server): the real version follows it.
        std::string_view v = version;
        if (v.substr(0, 6) == "5.5.5-") v.remove_prefix(6);
        readVersion(v, 0, info.major, info.minor, info.patch);
        return info;
    }
    info.flavor = Flavor::MySQL;
    readVersion(version, 0, info.major, info.minor, info.patch);
    return info;
}

ServerInfo detectServer(Connection& c) { return parseServerVersion(c.scalar("SELECT VERSION()").value_or("")); }

int lowerCaseTableNames(Connection& c) {
    const auto v = c.scalar("SELECT @@lower_case_table_names").value_or("0");
    return v == "1" ? 1 : v == "2" ? 2 : 0;
}

std::string_view nameOf(Flavor f) {
    switch (f) {
        case Flavor::MySQL: return "MySQL";
        case Flavor::MariaDB: return "MariaDB";
        case Flavor::TiDB: return "TiDB";
    }
    return "MySQL";
}

std::string_view processListView(const ServerInfo& server) {
    return server.isTidb() ? "information_schema.CLUSTER_PROCESSLIST" : "information_schema.PROCESSLIST";
}

}  // namespace tidemark::db::dialect
