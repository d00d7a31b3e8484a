// Reading privileges out of SHOW GRANTS, the way the server applies them.
//
// Handles global (*.*), database (`db`.* including LIKE wildcards), and table grants,
// ALL PRIVILEGES, column lists, MySQL 8+'s dynamic privileges (BACKUP_ADMIN, ...: listed
// without spaces), roles granted to the account, and MariaDB 10.5+ names (BINLOG MONITOR for
// REPLICATION CLIENT, REPLICATION REPLICA for REPLICATION SLAVE). Never keeps the password
// hash a line may hold.
//
// For the current user, SHOW GRANTS already includes the privileges of the roles active in the
// session (MySQL 8+ and MariaDB both expand them), and only of those: a granted role that is not
// active at login (no default role; MySQL's activate_all_roles_on_login off) gives nothing.
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
    std::vector<std::string> roles;  // roles granted to the account itself (names, no host),
                                     // not MariaDB's role-to-role lines (GRANT `r2` TO `r1`)

    // True when `privilege` (canonical upper-case name) applies to `database`.`table`;
    // pass "*" for table to ask about a whole database, "*" for both to ask globally.
    bool allows(std::string_view privilege, std::string_view database = "*", std::string_view table = "*") const;
};

// Parses the lines of SHOW GRANTS. Lines that are not GRANT statements are ignored.
Grants parseGrants(const std::vector<std::string>& lines);

// Role names from CURRENT_ROLE(): MySQL prints "`r1`@`%`,`r2`@`%`" or "NONE", MariaDB the bare
// name of its one active role (NULL, passed as "", when none).
std::vector<std::string> parseRoleList(std::string_view text);

// Maps aliases to the canonical names used by allows(): "REPLICATION CLIENT" and
// "BINLOG MONITOR" → "REPLICATION CLIENT"; "REPLICATION REPLICA" → "REPLICATION SLAVE".
std::string canonicalPrivilege(std::string_view name);

}  // namespace tidemark::precheck
