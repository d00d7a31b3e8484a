// `tidemark-runner cutover` and `run --cutover-at` as a process: exit 0 only when safe to switch,
// 1 when not (naming the table and key), 3 when a server cannot be reached.
#include "tests/cli/cli_support.h"

#include <nlohmann/json.hpp>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

std::vector<std::string> withArgs(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

void write(const DbServer& source, int round) {
    auto c = source.connectRoot();
    c.execute("INSERT INTO app.accounts VALUES (" + std::to_string(100000 + round) + ", 'new', 1.00, NOW(6))");
    c.execute("UPDATE app.accounts SET balance = balance + 1 WHERE id % 97 = " + std::to_string(round % 97));
    c.execute("INSERT INTO app.events VALUES (NOW(3), X'00FF01')");
}

}  // namespace

TEST_CASE("cutover exits 0 when safe, 1 when the target differs, 3 when the target is unreachable") {
    Setup s("FullAndIncremental");
    const auto quick = std::vector<std::string>{"--quiet-seconds", "1", "--wait-timeout", "120"};
    std::string output;

    // First the whole job: the copy, then replay up to "now", then the cutover.
    CHECK(runToEnd(s.dir, withArgs(s.args("run"), {"--skip-precheck", "--cutover-at", "now", "--quiet-seconds", "1"}),
                   &output) == 0);
    INFO(output);
    CHECK(output.find("SAFE to switch") != std::string::npos);

    // Writes after that run, then the cutover alone: it replays them and is safe.
    for (int round = 1; round <= 30; ++round) write(s.source, round);
    CHECK(runToEnd(s.dir, withArgs(s.args("cutover"), quick), &output) == 0);
    const auto safe = nlohmann::json::parse(output.substr(0, output.rfind('}') + 1));
    CHECK(safe["state"] == "Safe");
    CHECK(safe["rowsCompared"] == 3030 + 530);
    CHECK(safe["differences"].empty());
    CHECK(safe["checks"].size() == 4);
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(*) FROM app.accounts WHERE id > 100000").value_or("") == "30");

    s.target.exec("UPDATE app.accounts SET balance = 0 WHERE id = 42");
    CHECK(runToEnd(s.dir, withArgs(s.args("cutover"), quick), &output) == 1);
    const auto unsafe = nlohmann::json::parse(output.substr(0, output.rfind('}') + 1));
    CHECK(unsafe["state"] == "Unsafe");
    REQUIRE_FALSE(unsafe["differences"].empty());
    CHECK(unsafe["differences"][0]["table"] == "`app`.`accounts`");
    CHECK(unsafe["differences"][0]["key"] == "id=42");

    // The table form says the same.
    CHECK(runToEnd(s.dir, withArgs(withArgs(s.args("cutover"), quick), {"--output", "table"}), &output) == 1);
    CHECK(output.find("NOT safe to switch") != std::string::npos);
    CHECK(output.find("`app`.`accounts` id=42: differs") != std::string::npos);

    s.target.stop();
    CHECK(runToEnd(s.dir, withArgs(s.args("cutover"), quick), &output) == 3);
    s.target.start();
}

TEST_CASE("cutover options that name no stop point are bad input (exit 2)") {
    TempDir dir("cutover-usage");
    std::string output;
    CHECK(runToEnd(dir, {"cutover", "-f", "job.yaml", "--stop-at", "sometime"}, &output) == 2);
    CHECK(output.find("expected now, FILE:POS") != std::string::npos);
    CHECK(runToEnd(dir, {"run", "-f", "job.yaml", "--stop-at", "now"}, &output) == 2);
    CHECK(output.find("--stop-at applies to cutover only") != std::string::npos);
}
