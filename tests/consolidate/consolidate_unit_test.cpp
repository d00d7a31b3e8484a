// The pure parts of consolidation: routing, event filter decisions and the shard DDL plan.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/consolidate/comparable.h"
#include "runner/consolidate/event_filter.h"
#include "runner/consolidate/router.h"
#include "runner/replay/shard_ddl.h"

using namespace tidemark;

namespace {

api::MigrationJob jobWithRoutes() {
    api::MigrationJob job;
    job.source.id = "east";
    api::RouteRule merge;
    merge.database = "shop_*";
    merge.table = "orders_*";
    merge.targetDatabase = "shop";
    merge.targetTable = "orders";
    merge.extraColumns = {{"src_db", api::ExtraColumn::Value::Schema},
                          {"src_t", api::ExtraColumn::Value::Table},
                          {"src", api::ExtraColumn::Value::Source}};
    api::RouteRule wholeDb;
    wholeDb.database = "legacy";
    wholeDb.targetDatabase = "archive";
    job.consolidation.routes = {merge, wholeDb};
    return job;
}

}  // namespace

TEST_CASE("routes: the first matching rule routes, extra columns carry schema, table and source id") {
    const consolidate::Router router(jobWithRoutes());
    const auto r = router.route("shop_2", "orders_7");
    CHECK(r.qualified() == "`shop`.`orders`");
    CHECK(r.renamed);
    REQUIRE(r.extras.size() == 3);
    CHECK(r.extras[0].value == "shop_2");
    CHECK(r.extras[1].value == "orders_7");
    CHECK(r.extras[2].value == "east");
    const auto kept = router.route("shop_2", "customers");
    CHECK(kept.qualified() == "`shop_2`.`customers`");
    CHECK_FALSE(kept.renamed);
    CHECK(kept.extras.empty());
    CHECK(router.route("legacy", "t").qualified() == "`archive`.`t`");
    CHECK(router.routeDatabase("legacy") == "archive");
    CHECK(router.routeDatabase("shop_1") == "shop_1");  // its rule routes tables, not the database
}

TEST_CASE("shard groups: target tables fed by two or more source tables") {
    const consolidate::Router router(jobWithRoutes());
    const auto groups = consolidate::shardGroups(
        router, {{"shop_1", "orders_a"}, {"shop_2", "orders_b"}, {"shop_1", "customers"}, {"legacy", "t"}});
    REQUIRE(groups.size() == 1);
    CHECK(groups.begin()->first == consolidate::TableName{"shop", "orders"});
    CHECK(groups.begin()->second.size() == 2);
}

TEST_CASE("event filters: Ignore wins over Error, database statements match table '*' rules only") {
    api::MigrationJob job;
    api::EventFilter stop;
    stop.database = "shop_*";
    stop.events = {api::EventKind::Delete, api::EventKind::DropDatabase};
    stop.action = api::EventFilter::Action::Error;
    api::EventFilter ignore;
    ignore.database = "shop_1";
    ignore.table = "audit";
    ignore.events = {api::EventKind::Delete, api::EventKind::DropDatabase};
    job.consolidation.filters = {stop, ignore};
    const consolidate::EventFilters filters(job);
    using V = consolidate::EventFilters::Verdict;
    CHECK(filters.decide("shop_1", "audit", api::EventKind::Delete).verdict == V::Ignore);
    CHECK(filters.decide("shop_1", "audit", api::EventKind::Delete).ruleField() == "spec.filters[1]");
    CHECK(filters.decide("shop_1", "orders", api::EventKind::Delete).verdict == V::Stop);
    CHECK(filters.decide("shop_1", "orders", api::EventKind::Insert).verdict == V::Apply);
    CHECK(filters.decide("other", "orders", api::EventKind::Delete).verdict == V::Apply);
    CHECK(filters.decide("shop_1", "", api::EventKind::DropDatabase).verdict == V::Stop);  // not the audit rule
    CHECK(filters.filtersRows());
}

TEST_CASE("shard DDL: adds run once for all shards, the rest is refused with the way on") {
    CHECK(replay::alterOnlyAdds("ALTER TABLE t ADD COLUMN c INT"));
    CHECK(replay::alterOnlyAdds("alter table `db`.`t` add c int default 7, add index (c), ALGORITHM=INPLACE"));
    CHECK(replay::alterOnlyAdds("ALTER TABLE t ADD COLUMN (a INT, b INT)"));
    CHECK_FALSE(replay::alterOnlyAdds("ALTER TABLE t DROP COLUMN c"));
    CHECK_FALSE(replay::alterOnlyAdds("ALTER TABLE t ADD COLUMN c INT, DROP COLUMN d"));
    CHECK_FALSE(replay::alterOnlyAdds("ALTER TABLE t MODIFY c BIGINT"));
    CHECK_FALSE(replay::alterOnlyAdds("ALTER TABLE t ADD PARTITION (PARTITION p2 VALUES LESS THAN (10))"));
    CHECK_FALSE(replay::alterOnlyAdds("ALTER TABLE t"));

    const consolidate::Router router(jobWithRoutes());
    const auto route = router.route("shop_1", "orders_a");
    const std::vector<consolidate::TableName> group = {{"shop_1", "orders_a"}, {"shop_2", "orders_a"}};
    using A = replay::ShardDdlPlan::Action;
    auto plan = [&](const std::string& sql) {
        const auto ddl = replay::parseDdl(sql, "shop_1");
        return replay::planShardDdl(ddl, sql, ddl.tables.at(0), route, group, "bin.000001:400");
    };
    CHECK(plan("ALTER TABLE orders_a ADD COLUMN c INT").action == A::RunOnce);
    CHECK(plan("CREATE INDEX i ON orders_a (v)").action == A::RunOnce);
    CHECK(plan("CREATE TABLE orders_a (id INT PRIMARY KEY)").action == A::Skip);  // rows go to the merged table
    CHECK(plan("DROP TABLE orders_a").action == A::Skip);
    const auto truncate = plan("TRUNCATE TABLE orders_a");
    CHECK(truncate.action == A::Replace);
    CHECK(truncate.statement ==
          "DELETE FROM `shop`.`orders` WHERE `src_db` = CONVERT(X'73686F705F31' USING utf8mb4) AND `src_t` = "
          "CONVERT(X'6F72646572735F61' USING utf8mb4) AND `src` = CONVERT(X'65617374' USING utf8mb4)");
    CHECK(consolidate::extraLiteral("a'b") == "CONVERT(X'612762' USING utf8mb4)");
    const auto refused = plan("ALTER TABLE orders_a DROP COLUMN v");
    CHECK(refused.action == A::Refuse);
    CHECK(refused.shard == consolidate::TableName{"shop_1", "orders_a"});
    CHECK(refused.reason.find("at bin.000001:400") != std::string::npos);
    CHECK(refused.reason.find("spec.ddl.skip") != std::string::npos);
    CHECK(plan("ALTER TABLE orders_a ADD COLUMN c INT, RENAME TO x").action == A::Refuse);
}

TEST_CASE("without extra columns a shard's TRUNCATE is refused: it would empty every shard's rows") {
    api::MigrationJob job;
    api::RouteRule merge;
    merge.database = "s*";
    merge.targetDatabase = "m";
    merge.targetTable = "t";
    job.consolidation.routes = {merge};
    const consolidate::Router router(job);
    const auto ddl = replay::parseDdl("TRUNCATE TABLE t", "s1");
    const auto p = replay::planShardDdl(ddl, "TRUNCATE TABLE t", ddl.tables.at(0), router.route("s1", "t"),
                                        {{"s1", "t"}, {"s2", "t"}}, "bin.000001:4");
    CHECK(p.action == replay::ShardDdlPlan::Action::Refuse);
}

TEST_CASE("DDL names are written as their routes' target tables") {
    const consolidate::Router router(jobWithRoutes());
    api::ObjectSelection all;
    auto target = [&](const std::string& sql, const std::string& db) {
        return replay::targetStatement(replay::parseDdl(sql, db), sql, all, router);
    };
    CHECK(target("ALTER TABLE orders_a ADD c INT", "shop_1") == "ALTER TABLE `shop`.`orders` ADD c INT");
    CHECK(target("CREATE TABLE legacy.t2 LIKE legacy.t", "x") ==
          "CREATE TABLE IF NOT EXISTS `archive`.`t2` LIKE `archive`.`t`");
    CHECK(target("RENAME TABLE legacy.a TO legacy.b", "x") == "RENAME TABLE `archive`.`a` TO `archive`.`b`");
    CHECK(target("CREATE DATABASE legacy", "") == "CREATE DATABASE IF NOT EXISTS `archive`");
    CHECK(target("DROP DATABASE legacy", "") == "");  // a routed database is never dropped
    CHECK(target("ALTER TABLE other.t ADD c INT", "x") == "ALTER TABLE `other`.`t` ADD c INT");
}

TEST_CASE("only tables neither routed nor filtered compare with the target table of their name") {
    auto job = jobWithRoutes();
    api::RowFilter rows;
    rows.database = "crm";
    rows.table = "leads";
    rows.insert = "x = 1";
    job.consolidation.rowFilters = {rows};
    const consolidate::Comparable comparable(job);
    CHECK(comparable("shop_1", "customers"));
    CHECK_FALSE(comparable("shop_1", "orders_a"));  // merged, extra columns
    CHECK_FALSE(comparable("legacy", "t"));         // renamed database
    CHECK_FALSE(comparable("crm", "leads"));        // row filter
    CHECK(comparable("crm", "accounts"));
    CHECK(consolidate::Comparable(api::MigrationJob{})("any", "table"));
}
