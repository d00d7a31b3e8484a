// The pure parts: CREATE TABLE translation for TiDB, deferred indexes, key-range conditions.
#include <doctest/doctest.h>

#include "runner/copy/chunker.h"
#include "runner/copy/full_copy.h"
#include "runner/copy/schema_translate.h"
#include "runner/db/dialect/collations.h"

using namespace tidemark::copy;
using tidemark::db::dialect::parseServerVersion;

namespace {
const auto kTidb = parseServerVersion("8.0.11-TiDB-v7.5.1");
const auto kMysql = parseServerVersion("9.7.0");
const char* kCreate =
    "CREATE TABLE `a``b` (\n"
    "  `id` int(11) NOT NULL,\n"
    "  `k` int(11) NOT NULL DEFAULT 0,\n"
    "  `c` varchar(10) CHARACTER SET utf8mb3 COLLATE utf8mb3_uca1400_ai_ci DEFAULT 'utf8mb4_0900_as_cs',\n"
    "  PRIMARY KEY (`id`),\n"
    "  UNIQUE KEY `u` (`c`),\n"
    "  KEY `k_1` (`k`)\n"
    ") ENGINE=Aria DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci PAGE_CHECKSUM=1";
}  // namespace

TEST_CASE("a MySQL-compatible target gets the definition as it is, minus deferred plain keys") {
    auto t = translateCreateTable(kCreate, "my db", kMysql, true, "PRIMARY");
    CHECK(t.createSql.find("CREATE TABLE `my db`.`a``b` (") == 0);
    CHECK(t.createSql.find("KEY `k_1`") == std::string::npos);
    CHECK(t.createSql.find("UNIQUE KEY `u` (`c`)\n)") != std::string::npos);  // trailing comma removed
    REQUIRE(t.deferred.size() == 1);
    CHECK(t.deferred[0].name == "k_1");
    CHECK(t.deferred[0].clause == "ADD KEY `k_1` (`k`)");
    CHECK(t.createSql.find("ENGINE=Aria") != std::string::npos);
    CHECK(t.warnings.empty());
}

// The one mapping (db::dialect): uca1400 is utf8mb4_0900_ai_ci on utf8mb4, utf8_unicode_ci on utf8.
TEST_CASE("a TiDB target gets collations and options it has, with warnings, string literals untouched") {
    auto t = translateCreateTable(kCreate, "d", kTidb, false, "PRIMARY");
    CHECK(t.createSql ==
          "CREATE TABLE `d`.`a``b` (\n"
          "  `id` int(11) NOT NULL,\n"
          "  `k` int(11) NOT NULL DEFAULT 0,\n"
          "  `c` varchar(10) CHARACTER SET utf8 COLLATE utf8_unicode_ci DEFAULT 'utf8mb4_0900_as_cs',\n"
          "  PRIMARY KEY (`id`),\n"
          "  UNIQUE KEY `u` (`c`),\n"
          "  KEY `k_1` (`k`)\n"
          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci");
    CHECK(t.warnings.size() == 5);  // utf8mb3, two collations, Aria, PAGE_CHECKSUM
    CHECK(tidemark::db::dialect::tidbCollation("utf8mb4_uca1400_ai_ci") == "utf8mb4_0900_ai_ci");
}

TEST_CASE("a TiDB target refuses a table it cannot take, naming the table and the column") {
    const char* spatial = "CREATE TABLE `g` (\n  `id` int NOT NULL,\n  `p` point NOT NULL,\n  PRIMARY KEY (`id`)\n)";
    try {
        translateCreateTable(spatial, "d", kTidb, false, "PRIMARY");
        FAIL("a POINT column was accepted for TiDB");
    } catch (const CopyError& e) {
        const std::string m = e.what();
        CHECK(m.find("column `p` of `d`.`g` is POINT, which TiDB lacks") != std::string::npos);
        CHECK(m.find('\n') == std::string::npos);
    }
    CHECK(translateCreateTable(spatial, "d", kMysql, false, "PRIMARY").createSql.find("`p` point NOT NULL") !=
          std::string::npos);
    std::vector<std::string> warnings;
    CHECK(translateCreateDatabase("CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET utf8mb3 COLLATE "
                                  "utf8mb3_uca1400_ai_ci */",
                                  kTidb, warnings) ==
          "CREATE DATABASE IF NOT EXISTS `d` /*!40100 DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci */");
    CHECK(warnings.size() == 2);
}

TEST_CASE("tables with foreign keys keep their indexes") {
    auto t = translateCreateTable(
        "CREATE TABLE `c` (\n  `id` int,\n  `p` int,\n  KEY `p` (`p`),\n"
        "  CONSTRAINT `f` FOREIGN KEY (`p`) REFERENCES `p` (`id`)\n) ENGINE=InnoDB",
        "d", kMysql, true, "");
    CHECK(t.deferred.empty());
    CHECK(t.createSql.find("KEY `p` (`p`),") != std::string::npos);
}

TEST_CASE("composite key ranges are lexicographic and complementary") {
    TableInfo t;
    t.columns = {{"a", "int", "int(11)", "", "", ValueKind::Number, false, false},
                 {"b`x", "varchar", "varchar(5)", "utf8mb4", "utf8mb4_general_ci", ValueKind::Text, false, false}};
    t.key = {0, 1};
    const std::vector<std::string> lit = {"5", keyLiteral(t.columns[1], "q")};
    CHECK(keyAbove(t, lit) == "((`a` > 5) OR (`a` = 5 AND `b``x` > _utf8mb4 X'71' COLLATE utf8mb4_general_ci))");
    CHECK(keyAtMost(t, lit) == "((`a` < 5) OR (`a` = 5 AND `b``x` <= _utf8mb4 X'71' COLLATE utf8mb4_general_ci))");
}
