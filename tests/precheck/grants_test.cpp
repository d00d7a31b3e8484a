#include <doctest/doctest.h>

#include "runner/precheck/grants.h"

using namespace tidemark::precheck;

TEST_CASE("global grants, with the password hash MariaDB prints") {
    auto g =
        parseGrants({"GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `migrator`@`%` "
                     "IDENTIFIED BY PASSWORD '*E56A114692FE0DE073F9A1DD68A00EEB9703F3F1'"});
    CHECK(g.allows("SELECT", "shop", "orders"));
    CHECK(g.allows("LOCK TABLES"));
    CHECK(g.allows("REPLICATION SLAVE"));
    CHECK(g.allows("REPLICATION CLIENT"));  // BINLOG MONITOR is MariaDB 10.5+'s name for it
    CHECK_FALSE(g.allows("INSERT", "shop", "orders"));
}

TEST_CASE("ALL PRIVILEGES globally covers everything, on a database only that database") {
    auto all = parseGrants({"GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION"});
    CHECK(all.allows("REPLICATION SLAVE"));
    CHECK(all.allows("SELECT", "x", "y"));
    auto db = parseGrants({"GRANT USAGE ON *.* TO `u`@`%`", "GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`"});
    CHECK(db.allows("SELECT", "shop", "orders"));
    CHECK(db.allows("DROP", "shop", "*"));
    CHECK_FALSE(db.allows("SELECT", "crm", "orders"));
    CHECK_FALSE(db.allows("REPLICATION SLAVE"));  // replication privileges are global only
    CHECK_FALSE(db.allows("SELECT"));
}

TEST_CASE("table and column grants count for that table only") {
    auto g = parseGrants({"GRANT SELECT ON `shop`.`orders` TO `u`@`%`",
                          "GRANT SELECT (`id`, `name`), INSERT (`id`) ON `shop`.`customers` TO `u`@`%`"});
    CHECK(g.allows("SELECT", "shop", "orders"));
    CHECK_FALSE(g.allows("SELECT", "shop", "audit"));
    CHECK_FALSE(g.allows("SELECT", "shop", "*"));
    CHECK(g.allows("SELECT", "shop", "customers"));
    CHECK(g.allows("INSERT", "shop", "customers"));
}

TEST_CASE("database grants with LIKE wildcards and escapes") {
    auto g = parseGrants({"GRANT SELECT ON `shop\\_%`.* TO `u`@`%`", "GRANT INSERT ON `a_c`.* TO `u`@`%`"});
    CHECK(g.allows("SELECT", "shop_eu", "t"));
    CHECK_FALSE(g.allows("SELECT", "shopX", "t"));  // \_ is a literal underscore
    CHECK(g.allows("INSERT", "abc", "t"));          // _ matches one character
    CHECK(g.allows("INSERT", "a_c", "t"));
}

TEST_CASE("identifiers with backticks and dots in names") {
    auto g = parseGrants({"GRANT SELECT ON `we``ird.db`.`t.1` TO `u`@`%`"});
    CHECK(g.allows("SELECT", "we`ird.db", "t.1"));
    CHECK_FALSE(g.allows("SELECT", "we`ird.db", "t"));
}

TEST_CASE("roles granted to the account are reported, MySQL's and MariaDB's, but not role-to-role grants") {
    auto g = parseGrants({"GRANT USAGE ON *.* TO `u`@`%`", "GRANT `migration_role` TO `u`@`%`",
                          "GRANT `r2`@`%`,`r3`@`%` TO `u`@`%`", "GRANT `nested` TO `migration_role`"});
    CHECK(g.roles == std::vector<std::string>{"migration_role", "r2", "r3"});
    CHECK_FALSE(g.allows("SELECT"));
}

TEST_CASE("CURRENT_ROLE() lists as MySQL and MariaDB print them") {
    CHECK(parseRoleList("`r1`@`%`,`we``ird`@`localhost`") == std::vector<std::string>{"r1", "we`ird"});
    CHECK(parseRoleList("NONE").empty());                                                  // MySQL, no active role
    CHECK(parseRoleList("").empty());                                                      // MariaDB's NULL
    CHECK(parseRoleList("migration_role") == std::vector<std::string>{"migration_role"});  // MariaDB
}

TEST_CASE("MySQL 8+ grants: static privileges listed by name, dynamic ones on a line of their own") {
    // SHOW GRANTS of root@127.0.0.1 on MySQL 9.7.4.
    auto g = parseGrants(
        {"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, SHUTDOWN, PROCESS, FILE, REFERENCES, INDEX, "
         "ALTER, "
         "SHOW DATABASES, SUPER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, "
         "CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, CREATE TABLESPACE, "
         "CREATE "
         "ROLE, DROP ROLE ON *.* TO `root`@`127.0.0.1` WITH GRANT OPTION",
         "GRANT ALLOW_NONEXISTENT_DEFINER,APPLICATION_PASSWORD_ADMIN,AUDIT_ADMIN,BACKUP_ADMIN,BINLOG_ADMIN,"
         "CONNECTION_ADMIN,FLUSH_PRIVILEGES,REPLICATION_SLAVE_ADMIN,SYSTEM_VARIABLES_ADMIN,TRANSACTION_GTID_TAG,"
         "XA_RECOVER_ADMIN ON *.* TO `root`@`127.0.0.1` WITH GRANT OPTION"});
    CHECK(g.allows("SELECT", "shop", "orders"));
    CHECK(g.allows("LOCK TABLES", "shop", "orders"));
    CHECK(g.allows("REPLICATION SLAVE"));
    CHECK(g.allows("REPLICATION CLIENT"));
    CHECK(g.allows("BACKUP_ADMIN"));
    CHECK(g.allows("TRANSACTION_GTID_TAG"));
    CHECK_FALSE(g.allows("ALL"));  // MySQL root lists its privileges, it holds no ALL PRIVILEGES
    CHECK(g.roles.empty());
}

TEST_CASE("renamed and aliased privileges map to one name") {
    CHECK(canonicalPrivilege("binlog monitor") == "REPLICATION CLIENT");
    CHECK(canonicalPrivilege("REPLICATION REPLICA") == "REPLICATION SLAVE");
    CHECK(canonicalPrivilege("ALL PRIVILEGES") == "ALL");
    auto g = parseGrants({"GRANT REPLICATION REPLICA, REPLICATION SLAVE ADMIN ON *.* TO `u`@`%`"});
    CHECK(g.allows("REPLICATION SLAVE"));
    CHECK_FALSE(g.allows("REPLICATION CLIENT"));  // SLAVE ADMIN is not CLIENT
}

TEST_CASE("routine grants and proxy grants are not table privileges") {
    auto g = parseGrants({"GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`", "GRANT PROXY ON ''@'%' TO 'u'@'%'"});
    CHECK_FALSE(g.allows("EXECUTE", "shop", "*"));
    CHECK(g.grants.empty());
}
