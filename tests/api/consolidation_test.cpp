// Name patterns in spec.objects, and the consolidation fields (spec.routes, spec.filters,
// spec.rowFilters): what they accept, what they select, and the errors that name the field.
#include <doctest/doctest.h>

#include "api/migration_job.h"
#include "api/name_pattern.h"

using namespace tidemark::api;

namespace {

std::string manifest(const std::string& specTail) {
    return R"(
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: shards}
spec:
  source: {host: mysql, credentialsSecret: {name: s}}
  target: {host: tidb, credentialsSecret: {name: t}}
)" + specTail;
}

std::string errorOf(const std::string& specTail) {
    try {
        parseManifest(manifest(specTail), "job.yaml");
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("name patterns: plain names, wildcards and ~regular expressions") {
    CHECK(nameMatches("orders", "orders", NameCase::Exact));
    CHECK_FALSE(nameMatches("orders", "Orders", NameCase::Exact));
    CHECK(nameMatches("orders", "Orders", NameCase::Insensitive));
    CHECK(nameMatches("shop_*", "shop_01", NameCase::Exact));
    CHECK(nameMatches("shop_*", "shop_", NameCase::Exact));
    CHECK_FALSE(nameMatches("shop_*", "shop", NameCase::Exact));
    CHECK(nameMatches("order_??", "order_07", NameCase::Exact));
    CHECK_FALSE(nameMatches("order_??", "order_7", NameCase::Exact));
    CHECK(nameMatches("shard_[0-9]*", "shard_3x", NameCase::Exact));
    CHECK_FALSE(nameMatches("shard_[0-9]*", "shard_x3", NameCase::Exact));
    CHECK(nameMatches("t_[!x]", "t_y", NameCase::Exact));
    CHECK_FALSE(nameMatches("t_[!x]", "t_x", NameCase::Exact));
    CHECK(nameMatches("*_log_*", "a_log_b_log_c", NameCase::Exact));
    CHECK(nameMatches("~^shop_[0-9]+$", "shop_12", NameCase::Exact));
    CHECK_FALSE(nameMatches("~shop_[0-9]+", "shop_12x", NameCase::Exact));  // whole name
    CHECK(nameMatches("~SHOP_[0-9]+", "shop_12", NameCase::Lower));
    CHECK(nameMatches("SHOP_*", "shop_1", NameCase::Lower));
    CHECK_FALSE(nameMatches("SHOP_*", "shop_1", NameCase::Exact));
    CHECK(isNamePattern("a*"));
    CHECK(isNamePattern("~a"));
    CHECK_FALSE(isNamePattern("orders"));
    CHECK(namePatternProblem("shard_[0-9") == std::optional<std::string>("'shard_[0-9': '[' at 6 is never closed"));
    CHECK(namePatternProblem("~(").has_value());
    CHECK_FALSE(namePatternProblem("a[]]b").has_value());
}

TEST_CASE("object selection by pattern: include, exclude, system schemas never, new tables by pattern") {
    const auto job = parseManifest(manifest(R"(
  objects:
    include: [{database: "shop_*", tables: ["orders_??", "~^items_[0-9]+$"]}, {database: "*"}]
    exclude: [{database: "shop_9*"}, {database: "*", tables: ["tmp_*"]}]
)"),
                                   "job.yaml");
    const auto& sel = job.objects;
    CHECK(sel.selectsTable("shop_1", "orders_01"));
    CHECK(sel.selectsTable("shop_1", "items_17"));
    CHECK(sel.selectsTable("crm", "customers"));  // "*" takes every database
    CHECK_FALSE(sel.selectsTable("shop_90", "orders_01"));
    CHECK_FALSE(sel.selectsTable("crm", "tmp_1"));
    CHECK_FALSE(sel.selectsTable("mysql", "user"));
    CHECK_FALSE(sel.selectsTable("sys", "x"));
    CHECK(sel.selectsNewTablesIn("shop_2"));

    ObjectSelection tablesOnly;
    tablesOnly.include = {{"shop_*", {"orders_*"}}, {"crm", {"customers"}}};
    CHECK(tablesOnly.selectsNewTablesIn("shop_3"));  // a pattern takes tables created later
    CHECK_FALSE(tablesOnly.selectsNewTablesIn("crm"));
    CHECK(tablesOnly.selectsTable("shop_3", "orders_x"));
    CHECK_FALSE(tablesOnly.selectsTable("shop_3", "items"));
}

TEST_CASE("a bad pattern in spec.objects is a manifest error naming the field") {
    CHECK(errorOf("  objects: {include: [{database: 'shop_[0'}]}") ==
          "job.yaml: spec.objects.include[0].database: 'shop_[0': '[' at 5 is never closed");
    CHECK(errorOf("  objects: {exclude: [{database: a, tables: ['~(x']}]}")
              .rfind("job.yaml: spec.objects.exclude[0].tables[0]: '~(x' is not a valid regular expression", 0) == 0);
}

TEST_CASE("spec.routes: patterns to a target table with extra columns") {
    const auto job = parseManifest(manifest(R"(
  routes:
    - database: "shop_*"
      table: "orders_*"
      targetDatabase: shop
      targetTable: orders
      extraColumns: [{column: src_db, value: schema}, {column: src_table, value: table}, {column: src, value: source}]
    - {database: legacy, targetDatabase: archive}
)"),
                                   "job.yaml");
    REQUIRE(job.consolidation.routes.size() == 2);
    const auto& r = job.consolidation.routes[0];
    CHECK(r.database == "shop_*");
    CHECK(r.table == "orders_*");
    CHECK(r.targetDatabase == "shop");
    CHECK(r.targetTable == "orders");
    REQUIRE(r.extraColumns.size() == 3);
    CHECK(r.extraColumns[0].value == ExtraColumn::Value::Schema);
    CHECK(r.extraColumns[1].value == ExtraColumn::Value::Table);
    CHECK(r.extraColumns[2].value == ExtraColumn::Value::Source);
    CHECK(job.consolidation.routes[1].table == "*");
    CHECK(job.consolidation.routes[1].targetTable.empty());
    CHECK(job.source.id == "mysql:3306");  // spec.source.id when not given
}

TEST_CASE("spec.routes errors name the field") {
    CHECK(errorOf("  routes: [{database: a}]") == "job.yaml: spec.routes[0].targetDatabase: required field is missing");
    CHECK(errorOf("  routes: [{database: a, targetDatabase: mysql}]") ==
          "job.yaml: spec.routes[0].targetDatabase: 'mysql' is a system schema");
    CHECK(errorOf("  routes: [{database: a, targetDatabase: b, extraColumns: [{column: c, value: host}]}]") ==
          "job.yaml: spec.routes[0].extraColumns[0].value: unsupported value 'host' (expected one of: schema, table, "
          "source)");
    CHECK(errorOf("  routes: [{database: a, targetDatabase: b, extraColumns: [{column: c}, {column: c}]}]") ==
          "job.yaml: spec.routes[0].extraColumns[1].column: 'c' is listed twice");
    CHECK(errorOf("  routes: [{database: a, targetDatabase: b, to: c}]").find("spec.routes[0].to: unknown field") !=
          std::string::npos);
    CHECK(errorOf("  routes: {database: a}") ==
          "job.yaml: spec.routes: expected a list of {database, table, targetDatabase, targetTable, extraColumns}");
}

TEST_CASE("spec.filters: event kinds, groups and actions") {
    const auto job = parseManifest(manifest(R"(
  filters:
    - {database: "shop_*", events: [delete, TRUNCATE TABLE]}
    - {database: "*", table: "audit", events: [all ddl], action: Error}
    - {database: "x", events: [all dml]}
)"),
                                   "job.yaml");
    const auto& f = job.consolidation.filters;
    REQUIRE(f.size() == 3);
    CHECK(f[0].events == std::vector<EventKind>{EventKind::Delete, EventKind::TruncateTable});
    CHECK(f[0].action == EventFilter::Action::Ignore);
    CHECK(f[1].action == EventFilter::Action::Error);
    CHECK(f[1].events.size() == 10);
    CHECK(f[2].events == std::vector<EventKind>{EventKind::Insert, EventKind::Update, EventKind::Delete});
    CHECK(errorOf("  filters: [{database: a, events: [upsert]}]")
              .rfind("job.yaml: spec.filters[0].events[0]: unknown event 'upsert'", 0) == 0);
    CHECK(
        errorOf("  filters: [{database: a, events: []}]").rfind("job.yaml: spec.filters[0].events: list at least", 0) ==
        0);
    CHECK(errorOf("  filters: [{database: a, events: [insert], action: Do}]")
              .rfind("job.yaml: spec.filters[0].action: unsupported value 'Do'", 0) == 0);
}

TEST_CASE("spec.rowFilters: expressions per kind, at least one") {
    const auto job = parseManifest(manifest(R"(
  rowFilters:
    - {database: shop_1, table: orders, insert: "status = 'test'", delete: "true"}
)"),
                                   "job.yaml");
    REQUIRE(job.consolidation.rowFilters.size() == 1);
    CHECK(job.consolidation.rowFilters[0].insert == "status = 'test'");
    CHECK(job.consolidation.rowFilters[0].deleted == "true");
    CHECK(job.consolidation.rowFilters[0].updateNew.empty());
    CHECK(errorOf("  rowFilters: [{database: a, table: b}]") ==
          "job.yaml: spec.rowFilters[0]: give at least one of insert, updateOld, updateNew, delete");
}
