#include "runner/precheck/grants.h"

#include <algorithm>
#include <cctype>

namespace tidemark::precheck {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

// Reads one identifier (backticked, quoted or bare) from `s` at `i`.
std::string readIdent(std::string_view s, std::size_t& i) {
    std::string out;
    if (i < s.size() && (s[i] == '`' || s[i] == '\'' || s[i] == '"')) {
        const char q = s[i++];
        while (i < s.size()) {
            if (s[i] == q) {
                if (i + 1 < s.size() && s[i + 1] == q) {
                    out += q;
                    i += 2;
                    continue;
                }
                ++i;
                break;
            }
            out += s[i++];
        }
        return out;
    }
    while (i < s.size() && s[i] != '.' && !std::isspace(static_cast<unsigned char>(s[i]))) out += s[i++];
    return out;
}

// Splits "SELECT (a, b), INSERT, LOCK TABLES" at top-level commas.
std::vector<std::string> splitPrivileges(std::string_view s) {
    std::vector<std::string> out;
    int depth = 0;
    std::string cur;
    for (char c : s) {
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (c == ',' && depth == 0) {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!trim(cur).empty()) out.push_back(trim(cur));
    return out;
}

// MySQL LIKE with \ escapes, as the server matches database grants.
bool likeMatch(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) return text.empty();
    if (pattern[0] == '\\' && pattern.size() > 1)
        return !text.empty() && text[0] == pattern[1] && likeMatch(pattern.substr(2), text.substr(1));
    if (pattern[0] == '%') {
        for (std::size_t k = 0; k <= text.size(); ++k)
            if (likeMatch(pattern.substr(1), text.substr(k))) return true;
        return false;
    }
    if (text.empty()) return false;
    if (pattern[0] == '_' || pattern[0] == text[0]) return likeMatch(pattern.substr(1), text.substr(1));
    return false;
}

}  // namespace

std::vector<std::string> parseRoleList(std::string_view text) {
    const auto t = trim(text);
    if (t.empty() || upper(t) == "NONE") return {};
    if (t[0] != '`' && t[0] != '\'' && t[0] != '"') return {t};  // MariaDB: one bare name
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < t.size()) {
        const auto start = i;
        auto name = readIdent(t, i);
        if (i == start) ++i;  // a character no identifier starts with: step over it
        if (i < t.size() && t[i] == '@') {
            ++i;
            readIdent(t, i);  // the host: MySQL roles are accounts, nearly always `%`
        }
        if (!name.empty()) out.push_back(std::move(name));
        while (i < t.size() && (t[i] == ',' || t[i] == ' ')) ++i;
    }
    return out;
}

std::string canonicalPrivilege(std::string_view name) {
    auto n = upper(trim(name));
    if (n == "BINLOG MONITOR") return "REPLICATION CLIENT";
    if (n == "REPLICATION REPLICA") return "REPLICATION SLAVE";
    if (n == "ALL PRIVILEGES") return "ALL";
    return n;
}

Grants parseGrants(const std::vector<std::string>& lines) {
    Grants out;
    for (const auto& raw : lines) {
        const auto line = trim(raw);
        const auto u = upper(line);
        if (u.rfind("GRANT ", 0) != 0) continue;
        const auto on = u.find(" ON ");
        const auto to = u.find(" TO ");
        if (to == std::string::npos) continue;
        if (on == std::string::npos || on > to) {
            // "GRANT `r1`@`%`,`r2`@`%` TO `user`@`host`": roles granted to the account. MariaDB's
            // "GRANT `r2` TO `r1`" grants a role to a role (the grantee has no host): r2 is active
            // exactly when r1 is, and its privileges show with r1's.
            std::size_t g = to + 4;
            while (g < line.size() && line[g] == ' ') ++g;
            readIdent(line, g);
            if (g >= line.size() || line[g] != '@') continue;
            const auto roles = parseRoleList(std::string_view(line).substr(6, to - 6));
            out.roles.insert(out.roles.end(), roles.begin(), roles.end());
            continue;
        }
        if (u.rfind("GRANT PROXY", 0) == 0) continue;
        Grant g;
        for (const auto& p : splitPrivileges(std::string_view(line).substr(6, on - 6))) {
            auto name = p.substr(0, p.find('('));
            g.privileges.insert(canonicalPrivilege(name));
        }
        std::size_t i = on + 4;
        while (i < line.size() && line[i] == ' ') ++i;
        // Skip an object type keyword: ON TABLE x / ON FUNCTION x / ON PROCEDURE x.
        for (auto kw : {"TABLE ", "FUNCTION ", "PROCEDURE ", "PACKAGE BODY ", "PACKAGE "}) {
            if (u.compare(i, std::string_view(kw).size(), kw) == 0) {
                if (std::string_view(kw) != "TABLE ") g.privileges.clear();  // routine grants don't count
                i += std::string_view(kw).size();
                break;
            }
        }
        const bool quotedDb = i < line.size() && line[i] == '`';
        g.database = readIdent(line, i);
        if (i < line.size() && line[i] == '.') {
            ++i;
            g.table = readIdent(line, i);
        } else {
            // "ON tbl" means a table in the default database; we cannot know which: treat as unknown.
            continue;
        }
        if (!quotedDb && g.database == "*") g.table = "*";
        g.databaseIsPattern =
            g.database != "*" && g.table == "*" && g.database.find_first_of("%_") != std::string::npos;
        if (!g.privileges.empty()) out.grants.push_back(std::move(g));
    }
    return out;
}

bool Grants::allows(std::string_view privilege, std::string_view database, std::string_view table) const {
    const auto want = canonicalPrivilege(privilege);
    for (const auto& g : grants) {
        if (!g.privileges.count(want) && !g.privileges.count("ALL")) continue;
        if (g.database == "*") return true;
        if (database == "*") continue;  // a global question needs a global grant
        const bool dbMatches = g.databaseIsPattern ? likeMatch(g.database, database) : g.database == database;
        if (!dbMatches) continue;
        if (g.table == "*") return true;
        if (table != "*" && g.table == table) return true;
    }
    return false;
}

}  // namespace tidemark::precheck
