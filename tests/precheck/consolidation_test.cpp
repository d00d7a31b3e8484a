// The precheck items of routing, filters and shard merge (runner/precheck/target_tables.cpp and
// consolidation_checks.cpp), each passing and failing on real servers. Every case owns its
// databases (pcr_*), dropped and created again at its start.
#include "tests/precheck/precheck_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using precheck::State;

namespace {

void recreate(const DbServer& s, const std::string& database) {
    s.exec("DROP DATABASE IF EXISTS " + database);
    s.exec("CREATE DATABASE " + database);
}

// Source database `database` with shards orders_1 .. orders_<count> of one definition.
void createShards(const std::string& database, int count, const std::string& columns) {
    recreate(sharedSource(), database);
    for (int i = 1; i <= count; ++i)
        sharedSource().exec("CREATE TABLE " + database + ".orders_" + std::to_string(i) + " " + columns);
}

const std::string kOrders = "(id INT NOT NULL PRIMARY KEY, total DECIMAL(10,2))";

std::string objects(const std::string& database) { return "  objects: {include: [{database: " + database + "}]}\n"; }

// A route of `database`.orders_* into pcr_target.orders, with `extras` (YAML list) as extra columns.
std::string routeAll(const std::string& database, const std::string& extras = "[]") {
    return "  routes: [{database: " + database +
        ", table: 'orders_*', targetDatabase: pcr_target, targetTable: orders, extraColumns: " + extras + "}]\n";
}

precheck::Report precheckOf(const std::string& spec, const std::string& type = "FullAndIncremental") {
    return runAsRoot(job(sharedSource(), sharedTarget(), spec, type), sharedSource(), sharedTarget());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a job without routes or filters shows no routing, filter or shard item") {
    createShards("pcr_plain", 2, kOrders);
    auto r = precheckOf(objects("pcr_plain"));
    for (auto name : {"shard_schemas", "shard_auto_increment", "shard_key_conflicts", "shard_full_mode", "row_filters",
                      "routes_match"})
        CHECK_FALSE(hasItem(r, name));
    CHECK(item(r, "target_tables").state == State::Pass);
}

TEST_CASE("target_tables compares a source table with its routed target table, without the route's extra columns") {
    createShards("pcr_route", 1, kOrders);
    recreate(sharedTarget(), "pcr_target");
    const std::string spec = objects("pcr_route") + routeAll("pcr_route", "[{column: src_table, value: table}]");

    // A merged target table has the extra column first, in its key: it is reused as is.
    sharedTarget().exec(
        "CREATE TABLE pcr_target.orders (src_table VARCHAR(64) NOT NULL, id INT NOT NULL, total DECIMAL(10,2), "
        "PRIMARY KEY (src_table, id))");
    const auto same = item(precheckOf(spec), "target_tables");
    INFO(same.message);
    CHECK(same.state == State::Pass);

    // A difference is named against the routed table, not a table named like the source's.
    sharedTarget().exec("ALTER TABLE pcr_target.orders MODIFY total DECIMAL(12,2)");
    const auto differ = item(precheckOf(spec), "target_tables");
    CHECK(differ.state == State::Failed);
    CHECK(contains(differ.message,
                   "`pcr_route`.`orders_1` -> `pcr_target`.`orders` (source total decimal(10,2), "
                   "target total decimal(12,2))"));

    // A target table without the extra column cannot take the route's rows.
    sharedTarget().exec("DROP TABLE pcr_target.orders");
    sharedTarget().exec("CREATE TABLE pcr_target.orders " + kOrders);
    const auto lacking = item(precheckOf(spec), "target_tables");
    CHECK(lacking.state == State::Failed);
    CHECK(contains(lacking.message, "lack the extra columns their routes fill: `pcr_target`.`orders`.`src_table`"));
    CHECK(contains(lacking.instruction, "Add each such column"));
}

TEST_CASE("target_tables fails a source table that holds a column named like its route's extra column") {
    createShards("pcr_clash", 1, kOrders);
    sharedSource().exec("CREATE TABLE pcr_clash.orders_2 (id INT NOT NULL PRIMARY KEY, SRC_TABLE VARCHAR(10))");
    recreate(sharedTarget(), "pcr_target");
    const auto r = item(precheckOf(objects("pcr_clash") + routeAll("pcr_clash", "[{column: src_table, value: table}]")),
                        "target_tables");
    CHECK(r.state == State::Failed);
    CHECK(contains(r.message, "`pcr_clash`.`orders_2`.`src_table` (spec.routes[0])"));
    CHECK_FALSE(contains(r.message, "`pcr_clash`.`orders_1`"));
    CHECK(contains(r.instruction, "extraColumns"));

    // Without the extra column there is nothing to clash with (the shards still differ).
    const auto plain = item(precheckOf(objects("pcr_clash") + routeAll("pcr_clash")), "target_tables");
    CHECK(plain.state == State::Pass);
}

TEST_CASE("physical_target_empty looks at the routed target table") {
    createShards("pcr_phys", 1, kOrders);
    recreate(sharedTarget(), "pcr_target");
    sharedTarget().exec("CREATE TABLE pcr_target.orders " + kOrders);
    const std::string spec = objects("pcr_phys") + routeAll("pcr_phys") + "  fullMode: Physical\n";
    CHECK(item(precheckOf(spec), "physical_target_empty").state == State::Pass);
    sharedTarget().exec("INSERT INTO pcr_target.orders VALUES (1, 9.99)");
    const auto full = item(precheckOf(spec), "physical_target_empty");
    CHECK(full.state == State::Failed);
    CHECK(contains(full.message, "`pcr_target`.`orders` hold rows"));
}

TEST_CASE("shard_schemas fails shards of one target table whose columns or keys differ, naming both") {
    createShards("pcr_shapes", 3, kOrders);
    recreate(sharedTarget(), "pcr_target");
    const std::string spec = objects("pcr_shapes") + routeAll("pcr_shapes");
    const auto same = item(precheckOf(spec), "shard_schemas");
    INFO(same.message);
    CHECK(same.state == State::Pass);
    CHECK(contains(same.message, "1 merged target table(s)"));

    sharedSource().exec("ALTER TABLE pcr_shapes.orders_3 MODIFY total DECIMAL(12,2)");
    const auto column = item(precheckOf(spec), "shard_schemas");
    CHECK(column.state == State::Failed);
    CHECK(contains(column.message,
                   "shards of `pcr_target`.`orders` differ: column 2 is total decimal(10,2) in "
                   "`pcr_shapes`.`orders_1` but total decimal(12,2) in `pcr_shapes`.`orders_3`"));
    CHECK(contains(column.instruction, "spec.routes"));

    sharedSource().exec("ALTER TABLE pcr_shapes.orders_3 MODIFY total DECIMAL(10,2), ADD UNIQUE KEY (total)");
    const auto key = item(precheckOf(spec), "shard_schemas");
    CHECK(key.state == State::Failed);
    CHECK(contains(key.message, "`pcr_shapes`.`orders_3` has a unique key (total) that `pcr_shapes`.`orders_1` lacks"));
}

TEST_CASE("shard_auto_increment warns about merged AUTO_INCREMENT keys that no extra column tells apart") {
    createShards("pcr_ids", 2, "(id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, total DECIMAL(10,2))");
    recreate(sharedTarget(), "pcr_target");
    const auto bare = item(precheckOf(objects("pcr_ids") + routeAll("pcr_ids")), "shard_auto_increment");
    CHECK(bare.state == State::Warning);
    CHECK(contains(bare.message, "`pcr_target`.`orders` (from `pcr_ids`.`orders_1`, `pcr_ids`.`orders_2`, key (id)"));
    CHECK(contains(bare.instruction, "extraColumns"));
    CHECK(contains(bare.instruction, "auto_increment_offset"));

    const auto told = item(precheckOf(objects("pcr_ids") + routeAll("pcr_ids", "[{column: src_table, value: table}]")),
                           "shard_auto_increment");
    CHECK(told.state == State::Pass);
}

TEST_CASE("shard_key_conflicts fails when two shards hold one target key, naming both and the key") {
    createShards("pcr_keys", 2, kOrders);
    recreate(sharedTarget(), "pcr_target");
    sharedSource().exec("INSERT INTO pcr_keys.orders_1 VALUES (1, 1.00), (2, 2.00)");
    sharedSource().exec("INSERT INTO pcr_keys.orders_2 VALUES (3, 3.00), (4, 4.00)");
    const std::string spec = objects("pcr_keys") + routeAll("pcr_keys");
    const auto disjoint = item(precheckOf(spec), "shard_key_conflicts");
    INFO(disjoint.message);
    CHECK(disjoint.state == State::Pass);

    sharedSource().exec("INSERT INTO pcr_keys.orders_2 VALUES (2, 20.00)");
    const auto clash = item(precheckOf(spec), "shard_key_conflicts");
    CHECK(clash.state == State::Failed);
    CHECK(contains(clash.message, "pcr_keys.orders_1 and pcr_keys.orders_2"));
    CHECK(contains(clash.message, "PRIMARY"));
    CHECK(contains(clash.message, "'2'"));
    CHECK(contains(clash.instruction, "extra column"));

    // With an extra column in the target's key, equal ids of two shards are two rows.
    const auto apart =
        item(precheckOf(objects("pcr_keys") + routeAll("pcr_keys", "[{column: src_table, value: table}]")),
             "shard_key_conflicts");
    INFO(apart.message);
    CHECK(apart.state == State::Pass);
}

TEST_CASE("shard_full_mode fails a merge in physical mode and passes a plain rename") {
    createShards("pcr_fullmode", 2, kOrders);
    recreate(sharedTarget(), "pcr_target");
    const auto merged = item(precheckOf(objects("pcr_fullmode") + routeAll("pcr_fullmode") + "  fullMode: Physical\n"),
                             "shard_full_mode");
    CHECK(merged.state == State::Failed);
    CHECK(
        contains(merged.message, "`pcr_target`.`orders` (from `pcr_fullmode`.`orders_1`, `pcr_fullmode`.`orders_2`)"));
    CHECK(contains(merged.instruction, "fullMode: Logical"));

    const std::string renameOne = objects("pcr_fullmode") +
        "  routes: [{database: pcr_fullmode, table: orders_1, targetDatabase: pcr_target}]\n  fullMode: Physical\n";
    CHECK(item(precheckOf(renameOne), "shard_full_mode").state == State::Pass);
    CHECK_FALSE(hasItem(precheckOf(objects("pcr_fullmode") + routeAll("pcr_fullmode")), "shard_full_mode"));
}

TEST_CASE("row_filters binds each expression to every table it matches and names the field and the table") {
    createShards("pcr_rows", 1, kOrders);
    sharedSource().exec("CREATE TABLE pcr_rows.notes (id INT NOT NULL PRIMARY KEY, body VARCHAR(100))");
    const std::string fits = objects("pcr_rows") +
        "  rowFilters: [{database: pcr_rows, table: 'orders_*', insert: 'total > 10', delete: 'id IN (1, 2)'}]\n";
    const auto ok = item(precheckOf(fits), "row_filters");
    INFO(ok.message);
    CHECK(ok.state == State::Pass);

    // The second rule's delete expression reads a column only orders_1 has.
    const std::string unknown = objects("pcr_rows") +
        "  rowFilters: [{database: pcr_rows, table: orders_1, insert: 'total > 10'}, "
        "{database: pcr_rows, table: '*', delete: 'total < 0'}]\n";
    const auto bad = item(precheckOf(unknown), "row_filters");
    CHECK(bad.state == State::Failed);
    CHECK(contains(bad.message, "spec.rowFilters[1].delete on `pcr_rows`.`notes`: at "));
    CHECK(contains(bad.message, "total"));
    CHECK_FALSE(contains(bad.message, "`pcr_rows`.`orders_1`"));

    // A text that does not parse is named by its field (set here past the manifest's own checks).
    auto broken = job(sharedSource(), sharedTarget(), fits);
    broken.consolidation.rowFilters[0].updateNew = "total >";
    const auto unparsed = item(runAsRoot(broken, sharedSource(), sharedTarget()), "row_filters");
    CHECK(unparsed.state == State::Failed);
    CHECK(contains(unparsed.message, "spec.rowFilters[0].updateNew does not parse: at "));

    const auto nothing = item(
        precheckOf(objects("pcr_rows") + "  rowFilters: [{database: pcr_rows, table: 'nope_*', insert: 'id = 1'}]\n"),
        "row_filters");
    CHECK(nothing.state == State::Warning);
    CHECK(contains(nothing.message, "spec.rowFilters[0] (pcr_rows.nope_*)"));
}

TEST_CASE("routes_match warns about a route or event filter that selects no table") {
    createShards("pcr_match", 2, kOrders);
    recreate(sharedTarget(), "pcr_target");
    const std::string used = objects("pcr_match") + routeAll("pcr_match") +
        "  filters: [{database: pcr_match, table: orders_2, events: [delete]}]\n";
    const auto ok = item(precheckOf(used), "routes_match");
    INFO(ok.message);
    CHECK(ok.state == State::Pass);

    const std::string idle = objects("pcr_match") +
        "  routes: [{database: pcr_match, table: 'orders_*', targetDatabase: pcr_target, targetTable: orders},\n"
        "           {database: pcr_match, table: orders_1, targetDatabase: pcr_target, targetTable: first},\n"
        "           {database: pcr_elsewhere, targetDatabase: pcr_target}]\n"
        "  filters: [{database: pcr_match, table: 'invoices_*', events: [delete]}]\n";
    const auto warned = item(precheckOf(idle), "routes_match");
    CHECK(warned.state == State::Warning);
    CHECK(contains(warned.message,
                   "spec.routes[1] (pcr_match.orders_1) routes nothing: spec.routes[0] comes first for "
                   "`pcr_match`.`orders_1`"));
    CHECK(contains(warned.message, "spec.routes[2] (pcr_elsewhere.*) matches no selected table"));
    CHECK(contains(warned.message, "spec.filters[0] (pcr_match.invoices_*) matches no selected table"));
}
