// A job of two sources (spec.sources) through tidemark-runner: a MariaDB and a MySQL server, each
// with two shard tables of the same names, merged into one target table whose extra columns name
// each row's source and table. Live writes on all four shards, an ALTER on each shard in turn and
// SIGKILLs at random moments; then the target must equal the union of both sources row for row
// (duplicates counted), `verify` must agree, status must show each source, and `forget` must
// remove both sources' checkpoints. Two sources whose tables meet with nothing to tell their rows
// apart fail the precheck.
#include "tests/cli/cli_support.h"

#include <random>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

const std::vector<std::string> kShards = {"orders_a", "orders_b"};

ServerOptions sourceOf(Flavor flavor, const std::string& name) {
    ServerOptions o = ServerOptions::source();
    o.flavor = flavor;
    o.name = name;
    return o;
}

struct TwoSources {
    DbServer east{sourceOf(Flavor::MariaDB, "east")};
    DbServer west{sourceOf(Flavor::MySQL, "west")};
    DbServer target{ServerOptions::target()};
    TempDir dir{"sources"};
    SecretsDir secrets;

    TwoSources() {
        for (const DbServer* s : {&east, &west}) {
            auto c = s->connectRoot();
            c.execute(s->isMySql() ? "SET SESSION cte_max_recursion_depth = 10000"
                                   : "SET SESSION max_recursive_iterations = 10000");
            // A collation both flavors have: a MariaDB target lacks MySQL 8+'s utf8mb4_0900_* ones
            // (the dialect module maps those for TiDB targets only).
            c.execute("CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            for (const auto& t : kShards) {
                c.execute("CREATE TABLE shop." + t +
                          " (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(40), amount DECIMAL(12,2), note "
                          "VARCHAR(20))");
                c.execute("INSERT INTO shop." + t + " (owner, amount) SELECT CONCAT('o', seq), seq / 4 FROM " +
                          numbers(600));
            }
        }
        secrets.credentials("east", "root", "");
        secrets.credentials("west", "root", "");
        secrets.credentials("tgt", "root", "");
    }

    // The job; `extras`: the route's extraColumns; `tables`: the shard tables it selects.
    std::string jobFile(const std::string& extras, const std::string& tables = "orders_*") const {
        const std::string text =
            "apiVersion: tidemark.dev/v1alpha1\n"
            "kind: MigrationJob\n"
            "metadata: {name: two-sources}\n"
            "spec:\n"
            "  sources:\n"
            "  - {id: east, flavor: MariaDB, host: 127.0.0.1, port: " +
            std::to_string(east.port()) +
            ", credentialsSecret: {name: east}}\n"
            "  - {id: west, flavor: MySQL, host: 127.0.0.1, port: " +
            std::to_string(west.port()) +
            ", credentialsSecret: {name: west}}\n"
            "  target: {host: 127.0.0.1, port: " +
            std::to_string(target.port()) +
            ", credentialsSecret: {name: tgt}}\n"
            "  objects: {include: [{database: shop, tables: ['" +
            tables +
            "']}]}\n"
            "  routes:\n"
            "    - {database: shop, table: 'orders_*', targetDatabase: merged, targetTable: orders, extraColumns: " +
            extras +
            "}\n"
            "  precheck: {ignoreWarnings: true}\n";
        return dir.write("job.yaml", text).string();
    }
    std::vector<std::string> args(const std::string& command, const std::string& job) const {
        return {command, "-f", job, "--secrets-dir", secrets.path().string(), "--output", "json"};
    }
};

// One transaction of inserts, an update and a delete on one shard of `source`.
void churn(const DbServer& source, int round) {
    auto c = source.connectRoot();
    const std::string q = "shop." + kShards[round % kShards.size()];
    c.execute("START TRANSACTION");
    c.execute("INSERT INTO " + q + " (owner, amount) VALUES ('r" + std::to_string(round) + "', " +
              std::to_string(round % 1000) + ".25), ('s', NULL)");
    c.execute("UPDATE " + q + " SET amount = amount + 1, note = 'u' WHERE id % 41 = " + std::to_string(round % 41));
    c.execute("DELETE FROM " + q + " WHERE id = " + std::to_string(1 + (round * 13) % 600));
    c.execute("COMMIT");
}

// COUNT and SUM(CRC32) of "source|table|id|owner|amount|note|c" over a source's shards.
std::pair<std::uint64_t, std::uint64_t> digestOf(const DbServer& source, const std::string& id) {
    std::string unions;
    for (const auto& t : kShards)
        unions += std::string(unions.empty() ? "" : " UNION ALL ") + "SELECT '" + t +
            "' AS src_table, id, owner, amount, note, c FROM shop." + t;
    auto row = source.connectRoot().query(
        "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', '" + id +
        "', src_table, id, IFNULL(owner, 'N'), IFNULL(amount, 'N'), IFNULL(note, 'N'), IFNULL(c, 'N')))) FROM (" +
        unions + ") AS u");
    return {std::stoull(row.rows[0][0].value_or("0")), std::stoull(row.rows[0][1].value_or("0"))};
}

const std::string kMergedDigest =
    "SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT_WS('|', src, src_table, id, IFNULL(owner, 'N'), "
    "IFNULL(amount, 'N'), IFNULL(note, 'N'), IFNULL(c, 'N'))))) FROM merged.orders";

#define REQUIRE_MYSQL()                                                                      \
    if (std::string why; !available(Flavor::MySQL, &why)) {                                  \
        MESSAGE("skipped: two sources need a MySQL server beside the MariaDB one: " << why); \
        return;                                                                              \
    }

}  // namespace

TEST_CASE(
    "two sources (MariaDB and MySQL) merged into one table, live writes, a DDL on each shard, SIGKILLs: nothing "
    "lost or duplicated") {
    REQUIRE_MYSQL();
    TwoSources s;
    const auto job = s.jobFile("[{column: src, value: source}, {column: src_table, value: table}]");
    std::mt19937 rng(20261207);
    std::atomic<int> rounds{0};
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (int round = 1; writing; ++round) {
            churn(round % 2 ? s.east : s.west, round / 2);
            rounds = round;
            std::this_thread::sleep_for(std::chrono::milliseconds(15));
        }
    });
    // Each kill: a DDL on one shard at a time (east's two, then west's), while the runner may be
    // copying, replaying or dead.
    const std::vector<std::pair<const DbServer*, std::string>> ddlOn = {
        {&s.east, "orders_a"}, {&s.west, "orders_a"}, {&s.east, "orders_b"}, {&s.west, "orders_b"}};
    for (size_t kill = 0; kill < 6; ++kill) {
        Runner runner(s.dir, s.args("run", job));
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
        if (kill >= 2)
            ddlOn[kill - 2].first->exec("ALTER TABLE shop." + ddlOn[kill - 2].second + " ADD COLUMN c INT DEFAULT 5");
        const int status = runner.stop(SIGKILL);
        INFO(runner.err());
        CHECK(status == 128 + SIGKILL);
    }
    writing = false;
    writer.join();
    REQUIRE(rounds > 50);
    Runner last(s.dir, s.args("run", job));
    churn(s.east, 100000);  // rows this runner applies for sure (its status counts its own)
    churn(s.west, 100001);
    const auto east = digestOf(s.east, "east"), west = digestOf(s.west, "west");
    const std::string want = std::to_string(east.first + west.first) + ":" + std::to_string(east.second + west.second);
    INFO("east " << east.first << " rows, west " << west.first << " rows: " << want);
    CHECK(eventually(s.target, kMergedDigest, want));
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(DISTINCT src) FROM merged.orders").value_or("") == "2");
    // Status per source: each source's blocks under status.sources.<id>.
    CHECK(last.printed("\"block\":\"sources\""));
    CHECK(last.printed("\"east\":{\""));
    CHECK(last.printed("\"west\":{\""));
    // Progress per routed table: the merged table's rows from both sources.
    CHECK(last.printed("\"merged.orders\":{\"lastSourceCommit\""));
    CHECK(last.stop(SIGTERM) == 0);
    INFO(last.err());
    std::string output;
    CHECK(runToEnd(s.dir, s.args("verify", job), &output) == 0);
    INFO(output);
    CHECK(output.find("\"identical\": true") != std::string::npos);
    // forget removes both sources' progress.
    CHECK(runToEnd(s.dir, s.args("forget", job), &output) == 0);
    CHECK(output.find("@") != std::string::npos);  // each source's instance key
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(*) FROM tidemark_meta.job_instance").value_or("") == "0");
}

TEST_CASE(
    "two sources whose tables meet in one target table fail the precheck when nothing tells their rows apart or their "
    "definitions differ") {
    REQUIRE_MYSQL();
    TwoSources s;
    const auto job = s.jobFile("[{column: src_table, value: table}]");
    std::string output;
    CHECK(runToEnd(s.dir, s.args("precheck", job), &output) == 1);
    INFO(output);
    CHECK(output.find("sources_apart") != std::string::npos);
    CHECK(output.find("source east's shop.orders_a and source west's shop.orders_a both go to merged.orders with the "
                      "same extra column values") != std::string::npos);
    // Nothing was written: the precheck only reads.
    CHECK_FALSE(
        s.target.connectRoot().scalar("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'merged'"));
    // Told apart, but one source's shard has another definition.
    const auto apart = s.jobFile("[{column: src, value: source}, {column: src_table, value: table}]");
    CHECK(runToEnd(s.dir, s.args("precheck", apart), &output) == 0);  // MariaDB's int(11) is MySQL's int
    INFO(output);
    s.west.exec("ALTER TABLE shop.orders_b ADD COLUMN region CHAR(2)");
    CHECK(runToEnd(s.dir, s.args("precheck", apart), &output) == 1);
    CHECK(output.find("source_schemas") != std::string::npos);
    CHECK(output.find("go to merged.orders must have one definition: column 5 is nothing in source east's "
                      "shop.orders_a but region char(2) in source west's shop.orders_b") != std::string::npos);
}

TEST_CASE("two sources: a shard change waits for the shards of both sources before it runs once (pessimistic)") {
    REQUIRE_MYSQL();
    TwoSources s;
    const auto job = s.jobFile("[{column: src, value: source}, {column: src_table, value: table}]");
    Runner runner(s.dir, s.args("run", job));
    REQUIRE(eventually(s.target, "SELECT COUNT(*) FROM merged.orders", "2400"));  // 600 rows x 4 shards
    // Three of the four shards change, two of them on east: east alone must not apply it.
    s.east.exec("ALTER TABLE shop.orders_a ADD COLUMN c INT DEFAULT 5");
    s.east.exec("ALTER TABLE shop.orders_b ADD COLUMN c INT DEFAULT 5");
    s.west.exec("ALTER TABLE shop.orders_a ADD COLUMN c INT DEFAULT 5");
    for (const DbServer* source : {&s.east, &s.west})
        for (const auto& t : kShards) source->exec("INSERT INTO shop." + t + " (owner) VALUES ('after')");
    const std::string hasColumn =
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'merged' AND TABLE_NAME = 'orders' AND "
        "COLUMN_NAME = 'c'";
    // The changed shards' new rows wait in tidemark_meta; west's unchanged shard's row is applied.
    INFO(runner.err());
    CHECK(eventually(s.target, "SELECT COUNT(*) FROM tidemark_meta.ddl_held_rows", "3"));
    INFO(runner.out());
    CHECK(eventually(s.target, "SELECT COUNT(*) FROM merged.orders WHERE owner = 'after'", "1"));
    CHECK(s.target.connectRoot().scalar(hasColumn).value_or("") == "0");
    // The last shard's change: it runs once, the held rows follow.
    s.west.exec("ALTER TABLE shop.orders_b ADD COLUMN c INT DEFAULT 5");
    const auto east = digestOf(s.east, "east"), west = digestOf(s.west, "west");
    const std::string want = std::to_string(east.first + west.first) + ":" + std::to_string(east.second + west.second);
    CHECK(eventually(s.target, kMergedDigest, want));
    CHECK(s.target.connectRoot().scalar(hasColumn).value_or("") == "1");
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(*) FROM tidemark_meta.ddl_held_rows").value_or("") == "0");
    CHECK(runner.stop(SIGTERM) == 0);
    INFO(runner.err());
}

TEST_CASE(
    "two sources with one table each in the merged table: a TRUNCATE deletes only its source's rows, a change "
    "waits for both") {
    REQUIRE_MYSQL();
    TwoSources s;
    const auto job = s.jobFile("[{column: src, value: source}]", "orders_a");
    Runner runner(s.dir, s.args("run", job));
    REQUIRE(eventually(s.target, "SELECT COUNT(*) FROM merged.orders", "1200"));
    INFO(runner.err());
    s.east.exec("TRUNCATE TABLE shop.orders_a");
    CHECK(eventually(s.target, "SELECT COUNT(*) FROM merged.orders", "600"));
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(*) FROM merged.orders WHERE src = 'west'").value_or("") == "600");
    s.east.exec("ALTER TABLE shop.orders_a ADD COLUMN c INT DEFAULT 5");
    s.east.exec("INSERT INTO shop.orders_a (owner, c) VALUES ('east after', 7)");
    CHECK(eventually(s.target, "SELECT COUNT(*) FROM tidemark_meta.ddl_held_rows", "1"));
    const std::string hasColumn =
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'merged' AND TABLE_NAME = 'orders' AND "
        "COLUMN_NAME = 'c'";
    CHECK(s.target.connectRoot().scalar(hasColumn).value_or("") == "0");
    s.west.exec("ALTER TABLE shop.orders_a ADD COLUMN c INT DEFAULT 5");
    CHECK(eventually(s.target, "SELECT CONCAT(COUNT(*), ':', SUM(c)) FROM merged.orders", "601:3007"));
    CHECK(s.target.connectRoot().scalar(hasColumn).value_or("") == "1");
    CHECK(runner.stop(SIGTERM) == 0);
}
