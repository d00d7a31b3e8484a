#include "tests/precheck/precheck_fixture.h"

#include <chrono>
#include <functional>
#include <thread>

using namespace tidemark;
using namespace tidemark::testing;
using precheck::State;

namespace {

const std::string kShop = "  objects: {include: [{database: pc_shop}]}\n";

void createShop(const DbServer& s) {
    s.exec("CREATE DATABASE IF NOT EXISTS pc_shop");
    s.exec("CREATE TABLE IF NOT EXISTS pc_shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2))");
    s.exec(
        "CREATE TABLE IF NOT EXISTS pc_shop.customers (id INT NOT NULL, email VARCHAR(100) NOT NULL, UNIQUE KEY "
        "(email))");
}

// A least-privileged source user for the job's type on either flavor (REPLICATION CLIENT is
// MariaDB's alias of BINLOG MONITOR, which SHOW GRANTS prints there), holding on MySQL also a
// dynamic privilege, which SHOW GRANTS lists on a line of its own.
db::ConnectOptions migrator(const DbServer& s) {
    auto c = s.connectRoot();
    c.execute("CREATE USER IF NOT EXISTS 'migrator'@'%' IDENTIFIED BY 'pw-migrator'");
    c.execute("GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'migrator'@'%'");
    if (s.isMySql()) c.execute("GRANT BACKUP_ADMIN ON *.* TO 'migrator'@'%'");
    auto o = s.rootOptions("source");
    o.user = "migrator";
    o.password = "pw-migrator";
    return o;
}

void checkEveryItemRan(const precheck::Report& r) {
    for (auto name : {"source_connection",
                      "target_connection",
                      "source_version",
                      "source_privileges",
                      "target_privileges",
                      "binlog_enabled",
                      "binlog_format",
                      "binlog_row_image",
                      "binlog_retention",
                      "server_id",
                      "binlog_compression",
                      "binlog_db_filter",
                      "source_writable",
                      "source_connection_limit",
                      "target_connection_limit",
                      "object_selection",
                      "primary_keys",
                      "foreign_keys",
                      "charsets",
                      "column_types",
                      "unsupported_tables",
                      "non_transactional_tables",
                      "target_tables"})
        CHECK(hasItem(r, name));
    CHECK_FALSE(hasItem(r, "physical_target_empty"));  // logical mode
    CHECK_FALSE(hasItem(r, "start_position"));         // no start position given
    CHECK(item(r, "object_selection").message.find("2 table(s) in 1 database(s)") == 0);
}

DbServer serverWith(const std::string& name, const std::function<void(ServerOptions&)>& tweak) {
    auto o = ServerOptions::source();
    o.name = name;
    tweak(o);
    return DbServer(o);
}

}  // namespace

TEST_CASE("a healthy MariaDB source and an empty target pass every item but the MariaDB notice") {
    if (sharedSource().isMySql()) {
        MESSAGE("skipped on MySQL: MySQL has no MariaDB notice; 'a healthy MySQL source ...' is its counterpart");
        return;
    }
    createShop(sharedSource());
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), migrator(sharedSource()),
                           sharedTarget().rootOptions("target"));
    for (const auto& i : r.items) {
        INFO(i.name << ": " << i.message);
        if (i.name == "source_version") CHECK(i.state == State::Warning);
        else CHECK(i.state == State::Pass);
    }
    checkEveryItemRan(r);
    CHECK(r.mayProceed(true));
    CHECK_FALSE(r.mayProceed(false));
}

TEST_CASE("a healthy MySQL source and an empty target pass every item") {
    if (!sharedSource().isMySql()) {
        MESSAGE(
            "skipped on MariaDB: a MariaDB source always carries a notice; 'a healthy MariaDB source ...' is its "
            "counterpart");
        return;
    }
    createShop(sharedSource());
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), migrator(sharedSource()),
                           sharedTarget().rootOptions("target"));
    for (const auto& i : r.items) {
        INFO(i.name << ": " << i.message);
        CHECK(i.state == State::Pass);
    }
    checkEveryItemRan(r);
    // MySQL 8.4 removed SHOW MASTER STATUS: the filter item read SHOW BINARY LOG STATUS.
    CHECK(item(r, "source_version").message == "MySQL " + sharedSource().version() + " is supported");
    CHECK(item(r, "source_privileges")
              .message.find("user 'migrator' has SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT") == 0);
    CHECK(r.mayProceed(false));
}

TEST_CASE("binlog_format STATEMENT fails with the instruction to set ROW") {
    auto src = serverWith("stmt", [](ServerOptions& o) { o.binlogFormat = "STATEMENT"; });
    createShop(src);
    auto r = runAsRoot(job(src, sharedTarget(), kShop), src, sharedTarget());
    const auto& i = item(r, "binlog_format");
    CHECK(i.state == State::Failed);
    CHECK(i.message.find("binlog_format is STATEMENT") == 0);
    CHECK(i.instruction.find("binlog_format = ROW") != std::string::npos);
    CHECK_FALSE(r.mayProceed(true));

    // A full copy does not read the binary log, so the same source is fine for it.
    auto full = runAsRoot(job(src, sharedTarget(), kShop, "Full"), src, sharedTarget());
    CHECK_FALSE(hasItem(full, "binlog_format"));
    CHECK(full.mayProceed(true));
}

TEST_CASE("binlog off and a MINIMAL row image fail for incremental jobs") {
    auto off = serverWith("nobinlog", [](ServerOptions& o) { o.binlog = false; });
    createShop(off);
    auto r = runAsRoot(job(off, sharedTarget(), kShop), off, sharedTarget());
    CHECK(item(r, "binlog_enabled").state == State::Failed);
    CHECK(item(r, "binlog_enabled").instruction.find("log_bin") != std::string::npos);
    // MySQL 8.0+ logs unless told not to: the fix is to drop that option.
    if (off.isMySql()) CHECK(item(r, "binlog_enabled").instruction.find("skip-log-bin") != std::string::npos);

    auto minimal = serverWith("minimal", [](ServerOptions& o) { o.rowImage = "MINIMAL"; });
    createShop(minimal);
    auto m = runAsRoot(job(minimal, sharedTarget(), kShop), minimal, sharedTarget());
    CHECK(item(m, "binlog_row_image").state == State::Failed);
    CHECK(item(m, "binlog_row_image").message.find("MINIMAL") != std::string::npos);
}

TEST_CASE("binlog retention under a day fails, under a week warns, with per-flavor instructions") {
    auto src = serverWith("retention", [](ServerOptions&) {});
    createShop(src);
    auto check = [&](long seconds, const std::string& flavor) {
        src.exec("SET GLOBAL binlog_expire_logs_seconds = " + std::to_string(seconds));
        auto text = manifest(src.port(), sharedTarget().port(), kShop);
        const std::string own = std::string("flavor: ") + flavorName(sourceFlavor());
        text.replace(text.find(own), own.size(), "flavor: " + flavor);
        return item(runAsRoot(api::parseManifest(text, "t.yaml"), src, sharedTarget()), "binlog_retention");
    };
    auto hour = check(3600, "MySQL");
    CHECK(hour.state == State::Failed);
    CHECK(hour.instruction.find("SET PERSIST binlog_expire_logs_seconds = 604800;") != std::string::npos);
    auto threeDays = check(3 * 86400, "CloudSQLMySQL");
    CHECK(threeDays.state == State::Warning);
    CHECK(threeDays.instruction.find("Cloud SQL") != std::string::npos);
    CHECK(check(3 * 86400, "AzureMySQL").instruction.find("Azure portal") != std::string::npos);
    CHECK(check(8 * 86400, "MySQL").state == State::Pass);
    CHECK(check(0, "MySQL").state == State::Pass);  // never purged
}

TEST_CASE("a source user without REPLICATION CLIENT fails, and a full copy needs it on MySQL only") {
    createShop(sharedSource());
    sharedSource().exec("CREATE USER IF NOT EXISTS 'norc'@'%' IDENTIFIED BY 'pw-norc'");
    sharedSource().exec("GRANT SELECT, LOCK TABLES, REPLICATION SLAVE ON *.* TO 'norc'@'%'");
    auto src = sharedSource().rootOptions("source");
    src.user = "norc";
    src.password = "pw-norc";
    const bool mysql = sharedSource().isMySql();
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), src, sharedTarget().rootOptions("target"));
    const auto& i = item(r, "source_privileges");
    CHECK(i.state == State::Failed);
    CHECK(i.message.find("user 'norc' lacks REPLICATION CLIENT on *.*") == 0);
    // MySQL's snapshot takes a lock on the tables; MariaDB's consistent snapshot needs none.
    CHECK(i.instruction.find(mysql
                                 ? "GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.*"
                                 : "GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.*") != std::string::npos);

    // A full copy reads the snapshot's binlog position: with SHOW BINARY LOG STATUS on MySQL
    // (REPLICATION CLIENT), from session variables on MariaDB.
    auto full =
        precheck::run(job(sharedSource(), sharedTarget(), kShop, "Full"), src, sharedTarget().rootOptions("target"));
    if (mysql) {
        CHECK(item(full, "source_privileges").state == State::Failed);
        CHECK(item(full, "source_privileges").message.find("user 'norc' lacks REPLICATION CLIENT on *.*") == 0);
    } else {
        CHECK(item(full, "source_privileges").state == State::Pass);
    }
}

TEST_CASE("database-level SELECT is enough when it covers every selected table") {
    createShop(sharedSource());
    sharedSource().exec("CREATE DATABASE IF NOT EXISTS pc_other");
    sharedSource().exec("CREATE TABLE IF NOT EXISTS pc_other.t (id INT PRIMARY KEY)");
    sharedSource().exec("CREATE USER IF NOT EXISTS 'dbuser'@'%' IDENTIFIED BY 'pw-dbuser'");
    sharedSource().exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'dbuser'@'%'");
    sharedSource().exec("GRANT SELECT, LOCK TABLES ON `pc\\_shop`.* TO 'dbuser'@'%'");
    auto src = sharedSource().rootOptions("source");
    src.user = "dbuser";
    src.password = "pw-dbuser";
    auto ok = precheck::run(job(sharedSource(), sharedTarget(), kShop), src, sharedTarget().rootOptions("target"));
    CHECK(item(ok, "source_privileges").state == State::Pass);
    // With pc_other selected too, SELECT on pc_shop is not enough. (SHOW VIEW makes its table
    // visible to the user without granting SELECT.)
    sharedSource().exec("GRANT SHOW VIEW ON `pc_other`.* TO 'dbuser'@'%'");
    auto both = precheck::run(
        job(sharedSource(), sharedTarget(), "  objects: {include: [{database: pc_shop}, {database: pc_other}]}\n"), src,
        sharedTarget().rootOptions("target"));
    CHECK(item(both, "source_privileges").state == State::Failed);
    CHECK(item(both, "source_privileges").message.find("SELECT on `pc_other`.`t`") != std::string::npos);
}

TEST_CASE("a target user without write privileges fails target_privileges") {
    createShop(sharedSource());
    sharedTarget().exec("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'pw-reader'");
    sharedTarget().exec("GRANT SELECT, INSERT ON *.* TO 'reader'@'%'");
    auto tgt = sharedTarget().rootOptions("target");
    tgt.user = "reader";
    tgt.password = "pw-reader";
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), sharedSource().rootOptions("source"), tgt);
    const auto& i = item(r, "target_privileges");
    CHECK(i.state == State::Failed);
    CHECK(i.message.find("CREATE on") != std::string::npos);
    CHECK(i.message.find("INDEX on") != std::string::npos);
    CHECK(i.message.find("SELECT on") == std::string::npos);
}

TEST_CASE("physical mode fails when a target table holds rows, passes when it is empty") {
    createShop(sharedSource());
    auto target = DbServer(ServerOptions::target());
    target.exec("CREATE DATABASE pc_shop");
    target.exec("CREATE TABLE pc_shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2))");
    const std::string physical = kShop + "  fullMode: Physical\n";
    auto empty = runAsRoot(job(sharedSource(), target, physical, "FullAndIncremental"), sharedSource(), target);
    CHECK(item(empty, "physical_target_empty").state == State::Pass);
    target.exec("INSERT INTO pc_shop.orders VALUES (1, 9.99)");
    auto full = runAsRoot(job(sharedSource(), target, physical, "FullAndIncremental"), sharedSource(), target);
    const auto& i = item(full, "physical_target_empty");
    CHECK(i.state == State::Failed);
    CHECK(i.message.find("`pc_shop`.`orders`") != std::string::npos);
    CHECK(i.instruction.find("fullMode: Logical") != std::string::npos);
}

TEST_CASE("TLS with the wrong CA fails the connection item with a TLS message") {
    auto tlsSource = serverWith("tlssrc", [](ServerOptions& o) { o.tls = true; });
    auto src = tlsSource.rootOptions("source");
    src.tls = db::TlsFiles{testTls().otherCaCert.string(), "", ""};
    auto r = precheck::run(job(tlsSource, sharedTarget(), kShop), src, sharedTarget().rootOptions("target"));
    const auto& i = item(r, "source_connection");
    CHECK(i.state == State::Failed);
    CHECK(i.message.find("TLS failed") != std::string::npos);
    CHECK(i.instruction.find("ca.crt") != std::string::npos);
    CHECK_FALSE(hasItem(r, "binlog_format"));  // nothing else runs without the connection

    src.tls = db::TlsFiles{testTls().caCert.string(), "", ""};
    createShop(tlsSource);
    auto ok = precheck::run(job(tlsSource, sharedTarget(), kShop), src, sharedTarget().rootOptions("target"));
    CHECK(item(ok, "source_connection").state == State::Pass);
    CHECK(item(ok, "source_connection").message.find("over verified TLS") != std::string::npos);
}

TEST_CASE("an unreachable target fails its connection item and the source items still run") {
    createShop(sharedSource());
    auto tgt = sharedTarget().rootOptions("target");
    tgt.port = 1;
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), sharedSource().rootOptions("source"), tgt);
    CHECK(item(r, "target_connection").state == State::Failed);
    CHECK(item(r, "target_connection").message.find("cannot reach the server") != std::string::npos);
    CHECK(item(r, "binlog_format").state == State::Pass);
    CHECK_FALSE(hasItem(r, "target_privileges"));
}

TEST_CASE("object selection must resolve to a table, and never to system schemas") {
    auto none = runAsRoot(job(sharedSource(), sharedTarget(), "  objects: {include: [{database: no_such_db}]}\n"),
                          sharedSource(), sharedTarget());
    CHECK(item(none, "object_selection").state == State::Failed);

    auto src = DbServer(ServerOptions::source());
    src.exec("CREATE DATABASE only_one");
    src.exec("CREATE TABLE only_one.t (id INT PRIMARY KEY)");
    auto all = runAsRoot(job(src, sharedTarget(), ""), src, sharedTarget());
    // mysql.* holds dozens of tables; "all" must count just the one user table.
    CHECK(item(all, "object_selection").message.find("1 table(s) in 1 database(s)") == 0);
}

TEST_CASE("table schemas: missing keys and foreign keys warn, TiDB-less types fail, charsets warn") {
    auto src = DbServer(ServerOptions::source());
    src.exec("CREATE DATABASE pc_schema");
    src.exec("CREATE TABLE pc_schema.parent (id INT PRIMARY KEY)");
    src.exec(
        "CREATE TABLE pc_schema.child (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES "
        "pc_schema.parent(id))");
    src.exec("CREATE TABLE pc_schema.nokey (a INT, b INT, UNIQUE KEY (a))");  // nullable unique key is no key
    src.exec("CREATE TABLE pc_schema.wide (id INT PRIMARY KEY, s VARCHAR(10) CHARACTER SET utf16)");
    // INET6 is MariaDB's own; POINT exists on both.
    src.exec(std::string("CREATE TABLE pc_schema.addr (id INT PRIMARY KEY, spot POINT") +
             (src.isMySql() ? ")" : ", ip INET6)"));
    auto r =
        runAsRoot(job(src, sharedTarget(), "  objects: {include: [{database: pc_schema}]}\n"), src, sharedTarget());
    CHECK(item(r, "primary_keys").state == State::Warning);
    CHECK(item(r, "primary_keys").message.find("`pc_schema`.`nokey`") != std::string::npos);
    CHECK(item(r, "primary_keys").message.find("`pc_schema`.`parent`") == std::string::npos);
    CHECK(item(r, "foreign_keys").state == State::Warning);
    CHECK(item(r, "foreign_keys").message.find("`pc_schema`.`child`") != std::string::npos);
    CHECK(item(r, "charsets").state == State::Warning);
    CHECK(item(r, "charsets").message.find("`pc_schema`.`wide`.s (utf16_general_ci)") != std::string::npos);
    CHECK(item(r, "column_types").state == State::Failed);
    if (!src.isMySql())
        CHECK(item(r, "column_types").message.find("`pc_schema`.`addr`.ip (inet6)") != std::string::npos);
    CHECK(item(r, "column_types").message.find("`pc_schema`.`addr`.spot (point)") != std::string::npos);
    CHECK(item(r, "unsupported_tables").state == State::Pass);
}

// The copy takes base tables only: MariaDB's system-versioned tables and sequences would stay
// behind without a word.
TEST_CASE("system-versioned tables fail and sequences warn as tables that are not migrated") {
    auto src = DbServer(ServerOptions::source());
    if (src.isMySql()) {
        MESSAGE("skipped on MySQL: sequences and system-versioned tables are MariaDB's");
        return;
    }
    src.exec("CREATE DATABASE pc_kinds");
    src.exec("CREATE TABLE pc_kinds.plain (id INT PRIMARY KEY)");
    src.exec("CREATE SEQUENCE pc_kinds.seq");
    auto warned =
        runAsRoot(job(src, sharedTarget(), "  objects: {include: [{database: pc_kinds}]}\n"), src, sharedTarget());
    CHECK(item(warned, "unsupported_tables").state == State::Warning);
    CHECK(item(warned, "unsupported_tables").message.find("`pc_kinds`.`seq`") != std::string::npos);
    src.exec("CREATE TABLE pc_kinds.history (id INT PRIMARY KEY) WITH SYSTEM VERSIONING");
    auto failed =
        runAsRoot(job(src, sharedTarget(), "  objects: {include: [{database: pc_kinds}]}\n"), src, sharedTarget());
    CHECK(item(failed, "unsupported_tables").state == State::Failed);
    CHECK(item(failed, "unsupported_tables").message.find("`pc_kinds`.`history`") != std::string::npos);
    CHECK(item(failed, "unsupported_tables").message.find("`pc_kinds`.`seq`") != std::string::npos);
    // Excluded, they are no longer the job's.
    auto excluded = runAsRoot(job(src, sharedTarget(),
                                  "  objects: {include: [{database: pc_kinds}], exclude: [{database: pc_kinds, "
                                  "tables: [history, seq]}]}\n"),
                              src, sharedTarget());
    CHECK(item(excluded, "unsupported_tables").state == State::Pass);
}

// MyISAM and Aria keep no MVCC snapshot: the copy reads them after its snapshot, so they can be
// inconsistent with the position replay starts from.
TEST_CASE("selected non-transactional tables warn in non_transactional_tables, naming each and its engine") {
    const auto& src = sharedSource();
    src.exec("DROP DATABASE IF EXISTS pc_engines");
    src.exec("CREATE DATABASE pc_engines");
    src.exec("CREATE TABLE pc_engines.ledger (id INT PRIMARY KEY) ENGINE=InnoDB");
    src.exec("CREATE TABLE pc_engines.hits (id INT PRIMARY KEY) ENGINE=InnoDB");
    const std::string all = "  objects: {include: [{database: pc_engines}]}\n";
    auto innodb = runAsRoot(job(src, sharedTarget(), all), src, sharedTarget());
    CHECK(item(innodb, "non_transactional_tables").state == State::Pass);

    src.exec("ALTER TABLE pc_engines.hits ENGINE=MyISAM");
    if (!src.isMySql()) src.exec("CREATE TABLE pc_engines.cache (id INT PRIMARY KEY) ENGINE=Aria");
    auto plain = runAsRoot(job(src, sharedTarget(), all), src, sharedTarget());
    const auto& warned = item(plain, "non_transactional_tables");
    CHECK(warned.state == State::Warning);
    CHECK(warned.message.find("`pc_engines`.`hits` (MyISAM)") != std::string::npos);
    if (!src.isMySql()) {
        CHECK(warned.message.find("`pc_engines`.`cache` (Aria)") != std::string::npos);
        CHECK(warned.message.find("2 selected table(s)") == 0);
    }
    CHECK(warned.message.find("`pc_engines`.`ledger`") == std::string::npos);
    CHECK(warned.instruction.find("ENGINE=InnoDB") != std::string::npos);

    // Only the selection counts: the InnoDB table alone passes.
    auto listed =
        runAsRoot(job(src, sharedTarget(), "  objects: {include: [{database: pc_engines, tables: [ledger]}]}\n"), src,
                  sharedTarget());
    CHECK(item(listed, "non_transactional_tables").state == State::Pass);
    src.exec("DROP DATABASE pc_engines");
}

TEST_CASE("an existing target table with other columns fails target_tables") {
    createShop(sharedSource());
    auto target = DbServer(ServerOptions::target());
    target.exec("CREATE DATABASE pc_shop");
    target.exec("CREATE TABLE pc_shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2))");  // same: reused
    auto same = runAsRoot(job(sharedSource(), target, kShop), sharedSource(), target);
    CHECK(item(same, "target_tables").state == State::Pass);
    target.exec("CREATE TABLE pc_shop.customers (id INT NOT NULL, mail VARCHAR(100))");
    auto differ = runAsRoot(job(sharedSource(), target, kShop), sharedSource(), target);
    CHECK(item(differ, "target_tables").state == State::Failed);
    CHECK(item(differ, "target_tables").message.find("`pc_shop`.`customers`") != std::string::npos);
    CHECK(item(differ, "target_tables").message.find("`pc_shop`.`orders`") == std::string::npos);
}

TEST_CASE("binlog_do_db that leaves a selected database out fails binlog_db_filter") {
    auto src = serverWith("dodb", [](ServerOptions& o) { o.extraArgs.push_back("--binlog-do-db=elsewhere"); });
    createShop(src);
    auto r = runAsRoot(job(src, sharedTarget(), kShop), src, sharedTarget());
    CHECK(item(r, "binlog_db_filter").state == State::Failed);
    CHECK(item(r, "binlog_db_filter").message.find("pc_shop") != std::string::npos);
}

TEST_CASE("an incremental start position must still exist on the source") {
    auto src = serverWith("purge", [](ServerOptions&) {});
    createShop(src);
    auto c = src.connectRoot();
    const auto first = c.query("SHOW BINARY LOGS").text(0, "Log_name");
    c.execute("INSERT INTO pc_shop.orders VALUES (1, 1.00)");
    const auto gtidBefore =
        *c.scalar(src.isMySql() ? "SELECT REPLACE(@@GLOBAL.gtid_executed, '\\n', '')" : "SELECT @@gtid_binlog_pos");
    c.execute("FLUSH BINARY LOGS");
    c.execute("INSERT INTO pc_shop.orders VALUES (2, 2.00)");
    c.execute("FLUSH BINARY LOGS");
    auto at = [&](const std::string& start) {
        return item(
            runAsRoot(job(src, sharedTarget(), kShop + "  incremental: {start: " + start + "}\n", "Incremental"), src,
                      sharedTarget()),
            "start_position");
    };
    CHECK(at("{binlogFile: " + first + ", binlogPos: 4}").state == State::Pass);
    CHECK(at("{gtidSet: '" + gtidBefore + "'}").state == State::Pass);
    const auto pastEnd = at("{binlogFile: " + first + ", binlogPos: 999999999}");
    CHECK(pastEnd.state == State::Failed);
    // MySQL 8.4 removed SHOW MASTER STATUS: the instruction names the statement the source knows.
    CHECK(pastEnd.instruction.find(src.isMySql() ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS") !=
          std::string::npos);

    // A binlog file is purged only once InnoDB has checkpointed its transactions.
    const auto logs = c.query("SHOW BINARY LOGS");
    const auto last = logs.text(logs.size() - 1, "Log_name");
    for (int i = 0; i < 100 && c.query("SHOW BINARY LOGS").text(0, "Log_name") != last; ++i) {
        c.execute("FLUSH ENGINE LOGS");
        c.execute("PURGE BINARY LOGS TO " + c.quote(last));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(c.query("SHOW BINARY LOGS").text(0, "Log_name") == last);
    auto purged = at("{binlogFile: " + first + ", binlogPos: 4}");
    CHECK(purged.state == State::Failed);
    CHECK(purged.message.find("binlog file " + first + " is not on the source") == 0);
    auto purgedGtid = at("{gtidSet: '" + gtidBefore + "'}");
    CHECK(purgedGtid.state == State::Failed);
    CHECK(purgedGtid.message.find("were purged") != std::string::npos);
}

TEST_CASE("a target that cannot take the job's connections fails the limit item") {
    createShop(sharedSource());
    auto o = ServerOptions::target();
    o.extraArgs.push_back("--max-connections=10");  // MariaDB's minimum
    auto small = DbServer(o);
    auto r = runAsRoot(job(sharedSource(), small, kShop + "  capacity: 16\n"), sharedSource(), small);
    CHECK(item(r, "target_connection_limit").state == State::Failed);
    CHECK(item(r, "target_connection_limit").message.find("up to 17 connections") != std::string::npos);
    CHECK(item(r, "target_connection_limit").instruction.find("lower spec.capacity") != std::string::npos);
}

TEST_CASE("skipped items do not run and are listed as skipped") {
    createShop(sharedSource());
    auto r =
        runAsRoot(job(sharedSource(), sharedTarget(), kShop + "  precheck: {skip: [source_version, primary_keys]}\n"),
                  sharedSource(), sharedTarget());
    CHECK_FALSE(hasItem(r, "source_version"));
    CHECK(r.skipped == std::vector<std::string>{"source_version", "primary_keys"});
    CHECK(r.mayProceed(false));
}

TEST_CASE("privileges granted through a default role count, read with MariaDB's renamed privileges") {
    createShop(sharedSource());
    auto c = sharedSource().connectRoot();
    c.execute("CREATE ROLE IF NOT EXISTS migration_role");
    c.execute("GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO migration_role");
    c.execute("CREATE USER IF NOT EXISTS 'roleuser'@'%' IDENTIFIED BY 'pw-roleuser'");
    c.execute("GRANT migration_role TO 'roleuser'@'%'");
    c.execute(std::string("SET DEFAULT ROLE migration_role ") + (sharedSource().isMySql() ? "TO" : "FOR") +
              " 'roleuser'@'%'");
    auto src = sharedSource().rootOptions("source");
    src.user = "roleuser";
    src.password = "pw-roleuser";
    auto r = precheck::run(job(sharedSource(), sharedTarget(), kShop), src, sharedTarget().rootOptions("target"));
    const auto& i = item(r, "source_privileges");
    INFO(i.message);
    CHECK(i.state == State::Pass);
}

TEST_CASE("a granted role that is not active at login gives nothing, and the fix says how to activate it") {
    createShop(sharedSource());
    const bool mysql = sharedSource().isMySql();
    auto c = sharedSource().connectRoot();
    c.execute("CREATE ROLE IF NOT EXISTS idle_role");
    c.execute("GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO idle_role");
    c.execute("CREATE USER IF NOT EXISTS 'idleuser'@'%' IDENTIFIED BY 'pw-idleuser'");
    c.execute("GRANT idle_role TO 'idleuser'@'%'");
    // Reading the mysql schema lets the user look at the role's grants: they still do not apply.
    c.execute("GRANT SELECT ON mysql.* TO 'idleuser'@'%'");
    auto src = sharedSource().rootOptions("source");
    src.user = "idleuser";
    src.password = "pw-idleuser";
    const auto privileges = [&] {
        return item(
            precheck::run(job(sharedSource(), sharedTarget(), kShop), src, sharedTarget().rootOptions("target")),
            "source_privileges");
    };

    const auto idle = privileges();
    CHECK(idle.state == State::Failed);
    CHECK(idle.message.find("user 'idleuser' lacks REPLICATION SLAVE on *.*") == 0);
    CHECK(idle.message.find("granted role(s) `idle_role` are not active when the user logs in") != std::string::npos);
    CHECK(idle.instruction.find(mysql ? "SET DEFAULT ROLE `idle_role` TO 'idleuser'@'%';"
                                      : "SET DEFAULT ROLE `idle_role` FOR 'idleuser'@'%';") != std::string::npos);

    if (mysql) {
        // MySQL can also activate every granted role at login.
        c.execute("SET GLOBAL activate_all_roles_on_login = ON");
        const auto all = privileges();
        c.execute("SET GLOBAL activate_all_roles_on_login = OFF");
        INFO(all.message);
        CHECK(all.state == State::Pass);
    }
    c.execute(std::string("SET DEFAULT ROLE idle_role ") + (mysql ? "TO" : "FOR") + " 'idleuser'@'%'");
    const auto active = privileges();
    INFO(active.message);
    CHECK(active.state == State::Pass);
}

TEST_CASE(
    "target tables with the source's columns in the other flavor's spelling pass, and a real difference names the "
    "column") {
    // MariaDB spells int(11), bigint(20) unsigned, year(4); MySQL 8.0.19+ (and TiDB) int, bigint
    // unsigned, year. Only servers of both flavors show the two spellings side by side.
    const auto other = sourceFlavor() == Flavor::MySQL ? Flavor::MariaDB : Flavor::MySQL;
    if (std::string why; !available(other, &why)) {
        MESSAGE("skipped: needs a " << flavorName(other) << " target beside the " << flavorName(sourceFlavor())
                                    << " source: " << why);
        return;
    }
    const std::string columns =
        "(id INT NOT NULL PRIMARY KEY, big BIGINT UNSIGNED, flag TINYINT(1), y YEAR, amount DECIMAL(10,2), "
        "name VARCHAR(40), at DATETIME(3), kind ENUM('a','b'))";
    auto& source = sharedSource();
    source.exec("CREATE DATABASE IF NOT EXISTS pc_spell");
    source.exec("CREATE TABLE IF NOT EXISTS pc_spell.t " + columns);
    auto o = ServerOptions::target();
    o.flavor = other;
    DbServer target(o);
    target.exec("CREATE DATABASE pc_spell");
    target.exec("CREATE TABLE pc_spell.t " + columns);
    const std::string typeOfId =
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'pc_spell' AND COLUMN_NAME = 'id'";
    REQUIRE(source.connectRoot().scalar(typeOfId) != target.connectRoot().scalar(typeOfId));  // int vs int(11)

    const std::string spell = "  objects: {include: [{database: pc_spell}]}\n";
    auto same = item(runAsRoot(job(source, target, spell, "Incremental"), source, target), "target_tables");
    INFO(same.message);
    CHECK(same.state == State::Pass);

    target.exec("ALTER TABLE pc_spell.t MODIFY amount DECIMAL(12,2)");
    auto differ = item(runAsRoot(job(source, target, spell, "Incremental"), source, target), "target_tables");
    CHECK(differ.state == State::Failed);
    CHECK(differ.message.find("`pc_spell`.`t` (source amount decimal(10,2), target amount decimal(12,2))") !=
          std::string::npos);
}
