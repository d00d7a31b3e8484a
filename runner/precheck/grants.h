// Reading privileges out of SHOW GRANTS, the way the server applies them.
//
// Handles global (*.*), database (`db`.* including LIKE wildcards), and table grants,
// ALL PRIVILEGES, column lists, roles (granted role names are reported so the caller can
// expand them), and MariaDB 10.5+ names (BINLOG MONITOR for REPLICATION CLIENT,
// REPLICATION REPLICA for REPLICATION SLAVE). Never keeps the password hash a line may hold.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::precheck {

struct Grant {
    std::set<std::string> privileges;  // upper case, canonical names; "ALL" for ALL PRIVILEGES
    std::string database;              // "*" for global
    std::string table;                 // "*" for database-wide or global
    bool databaseIsPattern = false;    // database grants use LIKE wildcards (% and _)
};

struct Grants {
    std::vector<Grant> grants;
    std::vector<std::string> roles;    // roles granted to the account

    // True when `privilege` (canonical upper-case name) applies to `database`.`table`;
    // pass "*" for table to ask about a whole database, "*" for both to ask globally.
    bool allows(std::string_view privilege, std::string_view database = "*", std::string_view table = "*") const;
};

// Parses the lines of SHOW GRANTS. Lines that are not GRANT statements are ignored.
Grants parseGrants(const std::vector<std::string>& lines);

// Maps aliases to the canonical names used by allows(): "REPLICATION CLIENT" and
// "BINLOG MONITOR" → "REPLICATION CLIENT"; "REPLICATION REPLICA" → "REPLICATION SLAVE".
std::string canonicalPrivilege(std::string_view name);

}  // namespace tidemark::precheck
