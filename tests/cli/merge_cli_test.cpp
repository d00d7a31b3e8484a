// A sharded merge through tidemark-runner: four shard tables on two databases routed into one
// target table with extra columns, live writes on every shard and an ALTER issued on each shard
// in turn while the runner is SIGKILLed at random moments; then the target must equal the union
// of the shards row for row (duplicates counted) and `verify` must agree.
#include "tests/cli/cli_support.h"

#include <random>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

const std::vector<std::pair<std::string, std::string>> kShards = {
    {"mg_1", "orders_a"}, {"mg_1", "orders_b"}, {"mg_2", "orders_a"}, {"mg_2", "orders_b"}};

struct MergeSetup {
    DbServer source{ServerOptions::source()};
    DbServer target{ServerOptions::target()};
    TempDir dir{"merge"};
    SecretsDir secrets;
    std::string jobFile;

    MergeSetup() {
        auto c = source.connectRoot();
        c.execute(source.isMySql() ? "SET SESSION cte_max_recursion_depth = 10000"
                                   : "SET SESSION max_recursive_iterations = 10000");
        for (const auto& d : {"mg_1", "mg_2"}) c.execute(std::string("CREATE DATABASE ") + d);
        for (const auto& [d, t] : kShards) {
            const std::string q = db::qualified(d, t);
            c.execute(
                "CREATE TABLE " + q +
                " (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(40), amount DECIMAL(12,2), note VARCHAR(20))");
            c.execute("INSERT INTO " + q + " (owner, amount) SELECT CONCAT('o', seq), seq / 4 FROM " + numbers(800));
        }
        secrets.credentials("src", "root", "");
        secrets.credentials("tgt", "root", "");
        const std::string spec =
            "  objects: {include: [{database: 'mg_?', tables: ['orders_*']}]}\n"
            "  routes:\n"
            "    - database: 'mg_?'\n"
            "      table: 'orders_*'\n"
            "      targetDatabase: merged\n"
            "      targetTable: orders\n"
            "      extraColumns: [{column: src_db, value: schema}, {column: src_table, value: table}]\n"
            "  precheck: {ignoreWarnings: true}\n";
        jobFile = dir.write("job.yaml", manifest(source.port(), target.port(), spec)).string();
    }
    std::vector<std::string> args(const std::string& command) const {
        return {command, "-f", jobFile, "--secrets-dir", secrets.path().string(), "--output", "json"};
    }
};

// One transaction of inserts, an update and a delete on a shard; ids collide across shards.
void churn(const DbServer& source, int round) {
    auto c = source.connectRoot();
    const auto& [d, t] = kShards[round % kShards.size()];
    const std::string q = db::qualified(d, t);
    c.execute("START TRANSACTION");
    c.execute("INSERT INTO " + q + " (owner, amount) VALUES ('r" + std::to_string(round) + "', " +
              std::to_string(round % 1000) + ".25), ('s', NULL)");
    c.execute("UPDATE " + q + " SET amount = amount + 1, note = 'u' WHERE id % 53 = " + std::to_string(round % 53));
    c.execute("DELETE FROM " + q + " WHERE id = " + std::to_string(1 + (round * 13) % 800));
    c.execute("COMMIT");
}

std::string digestOfShards(const DbServer& source) {
    std::string unions;
    for (const auto& [d, t] : kShards)
        unions += std::string(unions.empty() ? "" : " UNION ALL ") + "SELECT '" + d + "' AS src_db, '" + t +
            "' AS src_table, id, owner, amount, note, c FROM " + db::qualified(d, t);
    return source.connectRoot()
        .scalar(
            "SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT_WS('|', src_db, src_table, id, IFNULL(owner, 'N'), "
            "IFNULL(amount, 'N'), IFNULL(note, 'N'), IFNULL(c, 'N'))))) FROM (" +
            unions + ") AS u")
        .value_or("");
}

const std::string kMergedDigest =
    "SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT_WS('|', src_db, src_table, id, IFNULL(owner, 'N'), "
    "IFNULL(amount, 'N'), IFNULL(note, 'N'), IFNULL(c, 'N'))))) FROM merged.orders";

}  // namespace

TEST_CASE(
    "a shard merge killed with SIGKILL mid-copy and mid-replay, with a DDL on each shard, loses and duplicates "
    "nothing") {
    MergeSetup s;
    std::mt19937 rng(20261207);
    std::atomic<int> rounds{0};
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (int round = 1; writing; ++round) {
            churn(s.source, round);
            rounds = round;
            std::this_thread::sleep_for(std::chrono::milliseconds(15));
        }
    });
    for (size_t kill = 0; kill < 6; ++kill) {
        Runner runner(s.dir, s.args("run"));
        std::this_thread::sleep_for(std::chrono::milliseconds(400 + rng() % 1500));
        // A DDL on one shard at a time, while the runner may be copying, replaying or dead.
        if (kill >= 2) {
            const auto& [d, t] = kShards[kill - 2];
            s.source.exec("ALTER TABLE " + db::qualified(d, t) + " ADD COLUMN c INT DEFAULT 5");
        }
        CHECK(runner.stop(SIGKILL) == 128 + SIGKILL);
    }
    writing = false;
    writer.join();
    REQUIRE(rounds > 50);
    Runner last(s.dir, s.args("run"));
    const auto want = digestOfShards(s.source);
    INFO("shards: " << want);
    CHECK(eventually(s.target, kMergedDigest, want));
    CHECK(last.printed("\"block\":\"incremental\""));
    CHECK(last.stop(SIGTERM) == 0);
    INFO(last.err());
    std::string output;
    CHECK(runToEnd(s.dir, s.args("verify"), &output) == 0);
    INFO(output);
}
