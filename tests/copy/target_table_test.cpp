// The pure parts of routing in the copy: the routed CREATE statements (extra columns first in
// every unique key, an index kept for the auto-increment column), the REPLACE statement's extra
// constants, and the condition that selects one source table's rows in a merged table.
#include <doctest/doctest.h>

#include "runner/copy/logical_writer.h"
#include "runner/copy/target_table.h"

using namespace tidemark;
using namespace tidemark::copy;

namespace {
const char* kOrders =
    "CREATE TABLE `shop_1`.`orders_a` (\n"
    "  `id` int NOT NULL AUTO_INCREMENT,\n"
    "  `no` varchar(20) NOT NULL,\n"
    "  `amount` int NOT NULL,\n"
    "  PRIMARY KEY (`id`),\n"
    "  UNIQUE KEY `no` (`no`),\n"
    "  KEY `amount` (`amount`)\n"
    ") ENGINE=InnoDB AUTO_INCREMENT=9 DEFAULT CHARSET=utf8mb4";
const std::vector<consolidate::ExtraValue> kExtras = {{"src_schema", "shop_1"}, {"src_table", "orders_a"}};
}  // namespace

TEST_CASE("a routed table is created under the target's name, its extra columns leading every unique key") {
    const auto sql = withExtraColumns(renamedCreate(kOrders, "shop", "orders"), kExtras);
    CHECK(sql ==
          "CREATE TABLE `shop`.`orders` (\n"
          "  `src_schema` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n"
          "  `src_table` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n"
          "  `id` int NOT NULL AUTO_INCREMENT,\n"
          "  `no` varchar(20) NOT NULL,\n"
          "  `amount` int NOT NULL,\n"
          "  PRIMARY KEY (`src_schema`,`src_table`,`id`),\n"
          "  UNIQUE KEY `no` (`src_schema`,`src_table`,`no`),\n"
          "  KEY `amount` (`amount`),\n"
          "  KEY `id` (`id`)\n"
          ") ENGINE=InnoDB AUTO_INCREMENT=9 DEFAULT CHARSET=utf8mb4");
}

TEST_CASE("an auto-increment column that still leads an index gets no new one, and names are not reused") {
    const char* create =
        "CREATE TABLE `d`.`t` (\n"
        "  `id` bigint NOT NULL AUTO_INCREMENT,\n"
        "  PRIMARY KEY (`id`),\n"
        "  KEY `by_id` (`id`)\n"
        ") ENGINE=InnoDB";
    CHECK(withExtraColumns(create, kExtras).find("KEY `id`") == std::string::npos);
    const char* taken =
        "CREATE TABLE `d`.`t` (\n"
        "  `id` bigint NOT NULL AUTO_INCREMENT,\n"
        "  `x` int,\n"
        "  PRIMARY KEY (`id`),\n"
        "  KEY `id` (`x`,`id`)\n"
        ") ENGINE=InnoDB";
    CHECK(withExtraColumns(taken, kExtras).find("  KEY `id_1` (`id`)\n)") != std::string::npos);
    CHECK(withExtraColumns(taken, {}) == taken);
}

TEST_CASE("CREATE DATABASE and odd names are renamed as identifiers") {
    CHECK(renamedCreate("CREATE DATABASE IF NOT EXISTS `shop_1` /*!40100 DEFAULT CHARACTER SET latin1 */", "a`b", "") ==
          "CREATE DATABASE IF NOT EXISTS `a``b` /*!40100 DEFAULT CHARACTER SET latin1 */");
    CHECK(renamedCreate("CREATE TABLE `x``y`.`t` (\n  `a` int\n)", "shop", "or`ders") ==
          "CREATE TABLE `shop`.`or``ders` (\n  `a` int\n)");
}

TEST_CASE("a merged table's rows of one source table are selected by its extra columns' constants") {
    TableInfo info;
    info.db = "shop_1";
    info.name = "orders_a";
    info.columns = {{"id", "int", "int", "", "", ValueKind::Number, false, false}};
    consolidate::Route route{"shop", "orders", kExtras, true};
    const auto into = routedTarget(info, route, true);
    CHECK(into.label() == "shop_1.orders_a -> `shop`.`orders`");
    CHECK(into.extrasCondition() ==
          "`src_schema` = CONVERT(X'73686F705F31' USING utf8mb4) AND `src_table` = CONVERT(X'6F72646572735F61' USING "
          "utf8mb4)");
    CHECK(!into.sharesRowsByKey());
    CHECK(sameAsSource(info).label() == "`shop_1`.`orders_a`");

    TableWork w;
    w.info = info;
    w.target = into;
    w.written = {0};
    w.writePrefix = replacePrefix(w);
    CHECK(w.writePrefix == "REPLACE INTO `shop`.`orders` (`id`, `src_schema`, `src_table`) VALUES ");
    CHECK(replacePlaceholders(w, 2) ==
          w.writePrefix + "(?," + consolidate::extraLiteral("shop_1") + "," + consolidate::extraLiteral("orders_a") +
              "),(?," + consolidate::extraLiteral("shop_1") + "," + consolidate::extraLiteral("orders_a") + ")");
}
