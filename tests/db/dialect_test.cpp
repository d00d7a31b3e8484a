// The target dialect without a server: version detection, the one collation mapping, the column
// types TiDB lacks, DDL translation and refusal per target flavor, and session settings.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>

#include "runner/db/dialect/collations.h"
#include "runner/db/dialect/ddl_translate.h"
#include "runner/db/dialect/flavor.h"
#include "runner/db/dialect/session.h"
#include "runner/db/dialect/types.h"
#include "runner/db/session.h"

using namespace tidemark::db::dialect;

namespace {

ServerInfo server(Flavor f, int major, int minor, int patch = 0) {
    ServerInfo s;
    s.flavor = f;
    s.major = major;
    s.minor = minor;
    s.patch = patch;
    return s;
}
const ServerInfo kTidb = server(Flavor::TiDB, 7, 5, 1);
const ServerInfo kMysql = server(Flavor::MySQL, 9, 7, 0);
const ServerInfo kMaria = server(Flavor::MariaDB, 10, 11, 6);

// The one statement `sql` becomes on `target` (fails the test when it is refused or split).
std::string one(std::string_view sql, const ServerInfo& target = kTidb) {
    auto t = translateDdl(sql, target);
    INFO(t.refusal);
    REQUIRE_FALSE(t.refused());
    REQUIRE(t.statements.size() == 1);
    return t.statements[0];
}

std::string refusal(std::string_view sql, const ServerInfo& target = kTidb) {
    auto t = translateDdl(sql, target);
    CHECK(t.statements.empty());
    return t.refusal;
}

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("server versions: MySQL, MariaDB with and without the 5.5.5 prefix, TiDB by its own version") {
    auto v = parseServerVersion("5.6.51-log");
    CHECK(v.flavor == Flavor::MySQL);
    CHECK((v.major == 5 && v.minor == 6 && v.patch == 51));
    v = parseServerVersion("8.0.36");
    CHECK((v.flavor == Flavor::MySQL && v.major == 8 && v.minor == 0 && v.patch == 36));
    v = parseServerVersion("9.7.4");
    CHECK((v.flavor == Flavor::MySQL && v.major == 9 && v.minor == 7 && v.patch == 4));
    CHECK(v.versionText == "9.7.4");

    v = parseServerVersion("10.11.6-MariaDB-0+deb12u1-log");
    CHECK((v.isMariaDB() && v.major == 10 && v.minor == 11 && v.patch == 6));
    v = parseServerVersion("5.5.5-10.11.6-MariaDB");
    CHECK((v.isMariaDB() && v.major == 10 && v.minor == 11 && v.patch == 6));
    v = parseServerVersion("11.4.2-MariaDB-ubu2404");
    CHECK((v.isMariaDB() && v.major == 11 && v.minor == 4));

    // TiDB's MySQL-compatible prefix is configurable: its own version follows -TiDB-v.
    v = parseServerVersion("8.0.11-TiDB-v7.5.1");
    CHECK((v.isTidb() && v.major == 7 && v.minor == 5 && v.patch == 1));
    v = parseServerVersion("8.0.11-TiDB-v7.5.2-serverless");
    CHECK((v.isTidb() && v.major == 7 && v.minor == 5 && v.patch == 2));
    v = parseServerVersion("5.7.25-TiDB-v3.0.0-beta");
    CHECK((v.isTidb() && v.major == 3 && v.minor == 0 && v.patch == 0));
    v = parseServerVersion("8.0.11-TiDB-v8.5.0");
    CHECK(v.atLeast(8, 5));
    CHECK(v.atLeast(7, 4, 9));
    CHECK_FALSE(v.atLeast(8, 5, 1));
    CHECK_FALSE(v.atLeast(9, 0));

    v = parseServerVersion("not a version");
    CHECK((v.flavor == Flavor::MySQL && v.major == 0));
    CHECK(nameOf(Flavor::TiDB) == "TiDB");
}

TEST_CASE("charsets and collations TiDB has, utf8mb3 spelled utf8") {
    for (auto cs : {"", "utf8", "utf8mb3", "UTF8MB4", "ascii", "latin1", "binary", "gbk", "gb18030"})
        CHECK_MESSAGE(tidbHasCharset(cs), cs);
    for (auto cs : {"utf16", "utf32", "ucs2", "cp1250", "latin2", "sjis", "big5"})
        CHECK_FALSE_MESSAGE(tidbHasCharset(cs), cs);
    CHECK(tidbCharset("utf8mb3") == "utf8");
    CHECK(tidbCharset("UTF8MB4") == "utf8mb4");
    CHECK(tidbCharset("utf16") == "utf16");

    for (auto co : {"", "utf8mb4_bin", "utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_0900_ai_ci",
                    "utf8mb4_0900_bin", "utf8_bin", "utf8mb3_general_ci", "utf8_unicode_ci", "ascii_bin", "latin1_bin",
                    "binary", "gbk_bin", "gbk_chinese_ci", "gb18030_bin", "gb18030_chinese_ci"})
        CHECK_MESSAGE(tidbHasCollation(co), co);
    for (auto co : {"latin1_swedish_ci", "utf8mb4_uca1400_ai_ci", "utf8mb4_unicode_520_ci", "utf8mb4_0900_as_cs",
                    "utf8mb4_nopad_bin", "ascii_general_ci", "utf16_general_ci"})
        CHECK_FALSE_MESSAGE(tidbHasCollation(co), co);
}

TEST_CASE("the one collation mapping: each family to the closest collation TiDB has") {
    // Kept (lower case, utf8mb3_ spelled utf8_).
    CHECK(tidbCollation("utf8mb4_0900_ai_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("UTF8MB4_GENERAL_CI") == "utf8mb4_general_ci");
    CHECK(tidbCollation("utf8mb3_general_ci") == "utf8_general_ci");
    CHECK(tidbCollation("utf8mb3_bin") == "utf8_bin");
    CHECK(tidbCollation("binary") == "binary");
    // UCA 9.0+ (MariaDB's uca1400, MySQL's 0900 variants): utf8mb4_0900_ai_ci, as PingCAP
    // recommends; utf8 has no 0900 collation.
    CHECK(tidbCollation("utf8mb4_uca1400_ai_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("utf8mb4_uca1400_as_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("utf8mb4_uca1400_swedish_ai_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("utf8mb4_0900_as_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("utf8mb4_de_pb_0900_ai_ci") == "utf8mb4_0900_ai_ci");
    CHECK(tidbCollation("utf8mb3_uca1400_ai_ci") == "utf8_unicode_ci");
    // Case-sensitive and binary ones: the charset's binary collation, NO PAD kept NO PAD.
    CHECK(tidbCollation("utf8mb4_0900_as_cs") == "utf8mb4_0900_bin");
    CHECK(tidbCollation("utf8mb4_ja_0900_as_cs_ks") == "utf8mb4_0900_bin");
    CHECK(tidbCollation("utf8mb4_nopad_bin") == "utf8mb4_0900_bin");
    CHECK(tidbCollation("utf8mb4_uca1400_as_cs") == "utf8mb4_bin");
    CHECK(tidbCollation("utf8mb3_nopad_bin") == "utf8_bin");
    // General ones: _general_ci; other Unicode and language ones (UCA 4.0/5.2): _unicode_ci.
    CHECK(tidbCollation("utf8mb4_general_nopad_ci") == "utf8mb4_general_ci");
    CHECK(tidbCollation("utf8mb3_general_mysql500_ci") == "utf8_general_ci");
    CHECK(tidbCollation("utf8mb4_unicode_520_ci") == "utf8mb4_unicode_ci");
    CHECK(tidbCollation("utf8mb4_unicode_520_nopad_ci") == "utf8mb4_unicode_ci");
    CHECK(tidbCollation("utf8mb4_german2_ci") == "utf8mb4_unicode_ci");
    CHECK(tidbCollation("utf8mb3_swedish_ci") == "utf8_unicode_ci");
    // Single-byte ones: the only collation TiDB has for them.
    CHECK(tidbCollation("latin1_swedish_ci") == "latin1_bin");
    CHECK(tidbCollation("latin1_general_cs") == "latin1_bin");
    CHECK(tidbCollation("ascii_general_ci") == "ascii_bin");
    // Chinese ones.
    CHECK(tidbCollation("gbk_chinese_nopad_ci") == "gbk_chinese_ci");
    CHECK(tidbCollation("gbk_nopad_bin") == "gbk_bin");
    CHECK(tidbCollation("gb18030_unicode_520_ci") == "gb18030_chinese_ci");
    // A charset TiDB lacks has nothing to map to.
    CHECK(tidbCollation("utf16_general_ci") == "utf16_general_ci");
    CHECK_FALSE(tidbHasCollation(tidbCollation("utf16_general_ci")));
    // Every mapped collation exists on TiDB.
    for (auto co : {"utf8mb4_uca1400_ai_ci", "utf8mb4_0900_as_cs", "latin1_swedish_ci", "utf8mb4_unicode_520_ci",
                    "gbk_chinese_nopad_ci", "utf8mb3_general_mysql500_ci"})
        CHECK(tidbHasCollation(tidbCollation(co)));
    CHECK(has(std::string(collationMappingRule()), "utf8mb4_0900_ai_ci"));
}

TEST_CASE("column types TiDB lacks: spatial ones and MariaDB's INET4, INET6 and UUID") {
    for (auto t : {"geometry", "POINT", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                   "geometrycollection", "geomcollection"}) {
        REQUIRE_MESSAGE(tidbLacksType(t), t);
        CHECK(tidbMissingType(t)->family == "spatial");
    }
    for (auto t : {"inet4", "inet6", "uuid"}) {
        REQUIRE_MESSAGE(tidbLacksType(t), t);
        CHECK(tidbMissingType(t)->family == "MariaDB");
    }
    for (auto t : {"int", "varchar", "json", "blob", "enum", "bit", "year", "vector"})
        CHECK_FALSE_MESSAGE(tidbLacksType(t), t);
    CHECK(tidbMissingTypes().size() == 12);
}

TEST_CASE("MariaDB targets take every statement as it is") {
    const std::string s = "CREATE OR REPLACE TABLE t (a INT INVISIBLE, g POINT) ENGINE=Aria PAGE_CHECKSUM=1";
    CHECK(one(s, kMaria) == s);
    CHECK(one("CREATE SEQUENCE s START WITH 5", kMaria) == "CREATE SEQUENCE s START WITH 5");
    CHECK(one("ALTER TABLE v ADD SYSTEM VERSIONING", kMaria) == "ALTER TABLE v ADD SYSTEM VERSIONING");
}

TEST_CASE("CREATE OR REPLACE TABLE becomes DROP TABLE IF EXISTS then CREATE TABLE on MySQL and TiDB") {
    for (const auto& target : {kMysql, kTidb}) {
        CAPTURE(nameOf(target.flavor));
        auto t = translateDdl("CREATE OR REPLACE TABLE `d`.`t``x` (id INT PRIMARY KEY)", target);
        REQUIRE_FALSE(t.refused());
        REQUIRE(t.statements.size() == 2);
        CHECK(t.statements[0] == "DROP TABLE IF EXISTS `d`.`t``x`");
        CHECK(t.statements[1] == "CREATE TABLE `d`.`t``x` (id INT PRIMARY KEY)");
        CHECK(t.changes.size() == 1);
        auto tmp = translateDdl("create or replace temporary table t (id int)", target);
        REQUIRE(tmp.statements.size() == 2);
        CHECK(tmp.statements[0] == "DROP TEMPORARY TABLE IF EXISTS t");
        CHECK(tmp.statements[1] == "create temporary table t (id int)");
    }
    // MySQL keeps everything else: no charset, option or type rewriting.
    const std::string s = "CREATE TABLE t (a INT INVISIBLE, c CHAR(1) COLLATE utf8mb4_uca1400_ai_ci) ENGINE=Aria";
    CHECK(one(s, kMysql) == s);
}

TEST_CASE("TiDB: utf8mb3 is utf8 and collations go through the one mapping, names and strings untouched") {
    CHECK(
        one("CREATE TABLE t (a VARCHAR(10) COLLATE utf8mb4_uca1400_ai_ci, b TEXT COLLATE "
            "'utf8mb4_unicode_520_ci', c CHAR(1) COLLATE utf8mb4_bin, d CHAR(2) CHARACTER SET latin1 COLLATE "
            "latin1_swedish_ci, e CHAR(1) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci DEFAULT "
            "'utf8mb4_0900_as_cs', `utf8mb4_uca1400_ai_ci` INT) DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb4_0900_as_cs") ==
        "CREATE TABLE t (a VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, b TEXT COLLATE 'utf8mb4_unicode_ci', c CHAR(1) "
        "COLLATE utf8mb4_bin, d CHAR(2) CHARACTER SET latin1 COLLATE latin1_bin, e CHAR(1) CHARACTER SET utf8 "
        "COLLATE utf8_general_ci DEFAULT 'utf8mb4_0900_as_cs', `utf8mb4_uca1400_ai_ci` INT) DEFAULT CHARSET=utf8 "
        "COLLATE=utf8mb4_0900_bin");
    auto t = translateDdl("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_ai_ci", kTidb);
    REQUIRE(t.statements.size() == 1);
    CHECK(t.statements[0] == "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci");
    CHECK(t.changes == std::vector<std::string>{"collation utf8mb4_uca1400_ai_ci -> utf8mb4_0900_ai_ci"});
    CHECK(one("CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci */") ==
          "CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_bin */");
    CHECK(one("ALTER TABLE t ADD COLUMN c VARCHAR(3) DEFAULT _utf8mb3'x'") ==
          "ALTER TABLE t ADD COLUMN c VARCHAR(3) DEFAULT _utf8'x'");
    // An unquoted column named charset is a name, not a charset.
    CHECK(one("ALTER TABLE t ADD COLUMN charset VARCHAR(10)") == "ALTER TABLE t ADD COLUMN charset VARCHAR(10)");
}

TEST_CASE("TiDB: MariaDB's table options it lacks are dropped, Aria is InnoDB, a SHOW CREATE TABLE stays valid") {
    auto t = translateDdl(
        "CREATE TABLE `d`.`u` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=Aria DEFAULT CHARSET=latin1 "
        "COLLATE=latin1_swedish_ci PAGE_CHECKSUM=1 TRANSACTIONAL=1 ROW_FORMAT=PAGE",
        kTidb);
    REQUIRE(t.statements.size() == 1);
    CHECK(t.statements[0] ==
          "CREATE TABLE `d`.`u` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT "
          "CHARSET=latin1 COLLATE=latin1_bin");
    CHECK(t.changes.size() == 5);  // engine, collation, three options
    CHECK(one("CREATE TABLE t (id INT) ENCRYPTED=YES, ENCRYPTION_KEY_ID=2, PAGE_COMPRESSED=1 ENGINE=InnoDB") ==
          "CREATE TABLE t (id INT) ENGINE=InnoDB");
    CHECK(one("CREATE TABLE t (id INT) ENGINE=InnoDB, PAGE_COMPRESSION_LEVEL=3") ==
          "CREATE TABLE t (id INT) ENGINE=InnoDB");
    CHECK(one("ALTER TABLE t ENGINE=Aria, PAGE_CHECKSUM=1") == "ALTER TABLE t ENGINE=InnoDB");
    CHECK(one("ALTER TABLE t PAGE_CHECKSUM=1, ADD COLUMN x INT") == "ALTER TABLE t ADD COLUMN x INT");
    // An ALTER of options TiDB lacks, and nothing else, runs nothing.
    auto none = translateDdl("ALTER TABLE t PAGE_CHECKSUM=0, TRANSACTIONAL=0", kTidb);
    CHECK_FALSE(none.refused());
    CHECK(none.statements.empty());
}

TEST_CASE("TiDB: INVISIBLE and COMPRESSED columns are plain ones, IGNORED indexes are INVISIBLE ones") {
    CHECK(one("CREATE TABLE t (\n  `c` int(11) INVISIBLE DEFAULT NULL,\n  `m` int DEFAULT NULL /*!80023 INVISIBLE "
              "*/,\n  `b` blob /*M!100301 COMPRESSED*/ DEFAULT NULL,\n  KEY `ki` (`c`) IGNORED,\n  KEY `kv` (`m`) NOT "
              "IGNORED,\n  KEY `kx` (`m`) /*!80000 INVISIBLE */\n)") ==
          "CREATE TABLE t (\n  `c` int(11) DEFAULT NULL,\n  `m` int DEFAULT NULL /*!80023 */,\n  `b` blob /*M!100301*/ "
          "DEFAULT NULL,\n  KEY `ki` (`c`) INVISIBLE,\n  KEY `kv` (`m`) VISIBLE,\n  KEY `kx` (`m`) /*!80000 INVISIBLE "
          "*/\n)");
    CHECK(one("ALTER TABLE t ADD COLUMN h VARCHAR(20) INVISIBLE DEFAULT 'INVISIBLE', MODIFY COLUMN b BLOB "
              "COMPRESSED=zlib, CHANGE a a2 INT INVISIBLE, ALTER INDEX k IGNORED") ==
          "ALTER TABLE t ADD COLUMN h VARCHAR(20) DEFAULT 'INVISIBLE', MODIFY COLUMN b BLOB, CHANGE a a2 INT, "
          "ALTER INDEX k INVISIBLE");
    CHECK(one("CREATE INDEX k ON t (a) IGNORED") == "CREATE INDEX k ON t (a) INVISIBLE");
}

TEST_CASE("TiDB refuses spatial and MariaDB-only types, spatial indexes, versioning, sequences, charsets it lacks") {
    auto r = refusal("CREATE TABLE `d`.`t` (\n  `id` int NOT NULL,\n  `g` point NOT NULL,\n  PRIMARY KEY (`id`)\n)");
    CHECK(has(r, "column `g` of `d`.`t` is POINT, which TiDB lacks (spatial types)"));
    CHECK(has(r, "exclude the table"));
    CHECK(has(refusal("CREATE TABLE t (id INT, ip INET6)"),
              "column `ip` of t is INET6, which TiDB lacks (MariaDB types)"));
    CHECK(has(refusal("CREATE TABLE t (id INT, u uuid)"), "is UUID"));
    CHECK(has(refusal("ALTER TABLE t ADD COLUMN ip4 INET4"), "column `ip4` of t is INET4"));
    CHECK(has(refusal("ALTER TABLE t ADD (a INT, g GEOMETRY)"), "column `g` of t is GEOMETRY"));
    CHECK(has(refusal("ALTER TABLE t MODIFY g MULTIPOLYGON NOT NULL"), "is MULTIPOLYGON"));
    CHECK(has(refusal("ALTER TABLE t CHANGE a g LINESTRING"), "column `g` of t is LINESTRING"));
    // Functions of the same names are not types.
    CHECK(one("ALTER TABLE t ADD COLUMN u CHAR(36) DEFAULT (UUID())") ==
          "ALTER TABLE t ADD COLUMN u CHAR(36) DEFAULT (UUID())");
    CHECK(one("ALTER TABLE t ADD COLUMN point INT") == "ALTER TABLE t ADD COLUMN point INT");

    CHECK(has(refusal("CREATE TABLE t (g BLOB, SPATIAL KEY `sg` (g))"), "SPATIAL index `sg` of t"));
    CHECK(
        has(refusal("ALTER TABLE t ADD SPATIAL INDEX sg (g)"), "SPATIAL index `sg` of t: TiDB has no spatial indexes"));
    CHECK(has(refusal("CREATE SPATIAL INDEX sg ON d.t (g)"), "SPATIAL index `sg` of d.t"));

    CHECK(has(refusal("CREATE TABLE v (id INT) WITH SYSTEM VERSIONING"), "v is system-versioned"));
    CHECK(has(refusal("ALTER TABLE v ADD SYSTEM VERSIONING"), "DROP SYSTEM VERSIONING"));
    CHECK(has(refusal("CREATE TABLE v (id INT, s TIMESTAMP(6) AS ROW START, e TIMESTAMP(6) AS ROW END, PERIOD FOR "
                      "SYSTEM_TIME(s, e))"),
              "system-versioned"));
    CHECK(has(refusal("CREATE TABLE p (id INT, a DATE, b DATE, PERIOD FOR p(a, b))"), "application-time period"));

    for (const auto& target : {kTidb, kMysql}) {
        CHECK(has(refusal("CREATE SEQUENCE d.s START WITH 100", target), "sequence d.s: MariaDB sequences are not"));
        CHECK(has(refusal("ALTER SEQUENCE s RESTART 5", target), "sequence s"));
        CHECK(has(
            refusal("CREATE TABLE `s` (`next_not_cached_value` bigint(21) NOT NULL) ENGINE=InnoDB SEQUENCE=1", target),
            "sequence `s`"));
        auto drop = translateDdl("DROP SEQUENCE IF EXISTS s", target);
        CHECK_FALSE(drop.refused());
        CHECK(drop.statements.empty());
    }

    CHECK(has(refusal("CREATE TABLE t (s VARCHAR(10) CHARACTER SET utf16)"), "t uses charset utf16, which TiDB lacks"));
    CHECK(has(refusal("ALTER TABLE t MODIFY s TEXT CHARSET cp1250"), "charset cp1250"));
    CHECK(has(refusal("ALTER TABLE t MODIFY s TEXT COLLATE utf32_general_ci"),
              "collation utf32_general_ci, whose charset"));
    // By version: gb18030 from v9.0, the 0900 collations from v7.4.
    CHECK(has(refusal("CREATE TABLE t (s TEXT CHARACTER SET gb18030)"), "from v9.0 (the target is TiDB 7.5.1)"));
    CHECK(one("CREATE TABLE t (s TEXT CHARACTER SET gb18030)", server(Flavor::TiDB, 9, 0)) ==
          "CREATE TABLE t (s TEXT CHARACTER SET gb18030)");
    CHECK(has(refusal("CREATE TABLE t (s TEXT COLLATE utf8mb4_uca1400_ai_ci)", server(Flavor::TiDB, 7, 1, 5)),
              "utf8mb4_0900_ai_ci, which TiDB has from v7.4"));
    // Refusals are one line.
    CHECK(refusal("CREATE TABLE t (g POINT)").find('\n') == std::string::npos);
}

TEST_CASE("session settings per flavor and purpose") {
    const auto names = [](const std::vector<SessionSetting>& v) {
        std::vector<std::string> out;
        for (auto& s : v) out.push_back(s.name + "=" + s.value);
        return out;
    };
    const auto find = [](const std::vector<SessionSetting>& v, const std::string& name) -> const SessionSetting* {
        for (auto& s : v)
            if (s.name == name) return &s;
        return nullptr;
    };
    const std::string mode = std::string("sql_mode=") + tidemark::db::kMigrationSqlMode;

    CHECK(names(sessionSettings(kMaria, SessionPurpose::Admin)) ==
          std::vector<std::string>{mode, "foreign_key_checks=0"});
    CHECK(names(sessionSettings(kTidb, SessionPurpose::Admin)) ==
          std::vector<std::string>{mode, "foreign_key_checks=0"});
    CHECK(names(sessionSettings(kMysql, SessionPurpose::Replay)) ==
          std::vector<std::string>{"time_zone=+00:00", mode, "foreign_key_checks=0",
                                   "transaction_isolation=READ-COMMITTED", "max_error_count=65535"});
    CHECK(names(sessionSettings(kMaria, SessionPurpose::CopyPhysical)) ==
          std::vector<std::string>{"names=binary", "time_zone=+00:00", mode, "foreign_key_checks=0",
                                   "transaction_isolation=READ-COMMITTED", "net_write_timeout=3600",
                                   "net_read_timeout=3600", "max_error_count=65535", "check_constraint_checks=0",
                                   "unique_checks=0"});
    CHECK(names(sessionSettings(kTidb, SessionPurpose::Replay)) ==
          std::vector<std::string>{"time_zone=+00:00", mode, "foreign_key_checks=0",
                                   "transaction_isolation=READ-COMMITTED", "max_error_count=65535",
                                   "tidb_txn_mode=pessimistic", "tidb_constraint_check_in_place_pessimistic=ON",
                                   "allow_auto_random_explicit_insert=ON", "tidb_skip_utf8_check=OFF",
                                   "tidb_dml_batch_size=0", "tidb_dml_type=standard"});
    const auto copy = sessionSettings(kTidb, SessionPurpose::CopyWrite);
    REQUIRE(find(copy, "tidb_txn_mode"));
    CHECK(find(copy, "tidb_txn_mode")->value == "optimistic");
    CHECK(find(copy, "tidb_txn_mode")->statement == "SET SESSION tidb_txn_mode = 'optimistic'");
    CHECK_FALSE(find(copy, "tidb_txn_mode")->optional);
    CHECK(find(copy, "foreign_key_checks")->statement == "SET SESSION foreign_key_checks = 0");
    CHECK(find(copy, "sql_mode")->statement ==
          std::string("SET SESSION sql_mode = '") + tidemark::db::kMigrationSqlMode + "'");
    CHECK(find(copy, "allow_auto_random_explicit_insert")->optional);
    // Never on any flavor: settings that commit a statement in pieces, or skip checks on TiDB.
    for (auto f : {kTidb, kMysql, kMaria})
        for (auto p :
             {SessionPurpose::CopyWrite, SessionPurpose::CopyPhysical, SessionPurpose::Replay, SessionPurpose::Admin}) {
            const auto s = sessionSettings(f, p);
            CHECK_FALSE(find(s, "tidb_batch_insert"));
            CHECK((!find(s, "tidb_dml_batch_size") || find(s, "tidb_dml_batch_size")->value == "0"));
            CHECK((!find(s, "tidb_skip_utf8_check") || find(s, "tidb_skip_utf8_check")->value == "OFF"));
            CHECK((!find(s, "tidb_constraint_check_in_place_pessimistic") ||
                   find(s, "tidb_constraint_check_in_place_pessimistic")->value == "ON"));
            if (f.isTidb()) CHECK_FALSE(find(s, "unique_checks"));
        }
    AppliedSession applied{kTidb, {"time_zone=+00:00", "tidb_txn_mode=pessimistic"}, {"tidb_dml_type (unknown)"}};
    CHECK(describeSession(applied, SessionPurpose::Replay) ==
          "target session (TiDB 7.5.1, replay): time_zone=+00:00, tidb_txn_mode=pessimistic; not set: tidb_dml_type "
          "(unknown)");
}
