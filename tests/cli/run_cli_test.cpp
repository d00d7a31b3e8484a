// Whole jobs through tidemark-runner: copy, replicate while the source keeps writing, stop,
// SIGKILL and restart, then compare source and target row for row with `verify`.
#include "tests/cli/cli_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// Writes a mix of inserts, updates and deletes, including to the keyless table.
void churn(const DbServer& source, int round) {
    auto c = source.connectRoot();
    c.execute("START TRANSACTION");
    c.execute("INSERT INTO app.accounts VALUES (" + std::to_string(100000 + round) + ", 'new', 1.00, NOW(6))");
    c.execute("UPDATE app.accounts SET balance = balance + 1, touched = NOW(6) WHERE id % 97 = " +
              std::to_string(round % 97));
    c.execute("DELETE FROM app.accounts WHERE id = " + std::to_string(1 + round * 7 % 3000));
    c.execute("INSERT INTO app.events VALUES (NOW(3), X'00FF" + std::string(round % 2 ? "01" : "02") + "')");
    c.execute("COMMIT");
    if (round % 5 == 0) c.execute("DELETE FROM app.events WHERE what = X'00FF01' LIMIT 1");
}

const std::string kRows =
    "SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS('|', id, owner, balance, touched))), 0)) FROM "
    "app.accounts";

}  // namespace

TEST_CASE("a full-only job copies, exits 0 by itself, and verify finds source and target identical") {
    Setup s("Full");
    std::string output;
    CHECK(runToEnd(s.dir, s.args("run"), &output) == 0);
    INFO(output);
    CHECK(output.find("full copy done") != std::string::npos);
    CHECK(runToEnd(s.dir, s.args("verify"), &output) == 0);
    CHECK(output.find("\"identical\": true") != std::string::npos);

    // A change on the target alone is found, and verify exits 1.
    s.target.exec("UPDATE app.accounts SET balance = 0 WHERE id = 42");
    CHECK(runToEnd(s.dir, s.args("verify"), &output) == 1);
    CHECK(output.find("accounts") != std::string::npos);
}

TEST_CASE("a metrics port already in use costs only the metrics: the job runs and says so") {
    // Two runners on one host (a node, or parallel tests) ask for the same port.
    const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(busy >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(busy, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const std::string port = std::to_string(ntohs(addr.sin_port));

    Setup s("Full");
    auto args = s.args("run");
    args.push_back("--metrics-addr");
    args.push_back("127.0.0.1:" + port);
    std::string output;
    CHECK(runToEnd(s.dir, args, &output) == 0);
    INFO(output);
    CHECK(output.find("metrics are off") != std::string::npos);
    CHECK(output.find("full copy done") != std::string::npos);
    ::close(busy);
}

TEST_CASE("full plus incremental keeps the target in step with a writing source until SIGTERM") {
    Setup s("FullAndIncremental");
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (int round = 1; writing; ++round) {
            churn(s.source, round);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    Runner runner(s.dir, s.args("run"));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    writing = false;
    writer.join();
    const auto want = *s.source.connectRoot().scalar(kRows);
    CHECK(eventually(s.target, kRows, want));
    CHECK(runner.stop(SIGTERM) == 0);
    std::string output;
    CHECK(runToEnd(s.dir, s.args("verify"), &output) == 0);
    INFO(output);
    CHECK(runner.err().find("Sup3r") == std::string::npos);
}

TEST_CASE("a runner killed with SIGKILL at random moments resumes with nothing lost or duplicated") {
    Setup s("FullAndIncremental");
    std::mt19937 rng(20261124);
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (int round = 1; writing; ++round) {
            churn(s.source, round);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    for (int kill = 0; kill < 4; ++kill) {
        Runner runner(s.dir, s.args("run"));
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1500));
        CHECK(runner.stop(SIGKILL) == 128 + SIGKILL);
    }
    writing = false;
    writer.join();
    Runner last(s.dir, s.args("run"));
    const auto want = *s.source.connectRoot().scalar(kRows);
    CHECK(eventually(s.target, kRows, want));
    const auto events = *s.source.connectRoot().scalar("SELECT COUNT(*) FROM app.events");
    CHECK(eventually(s.target, "SELECT COUNT(*) FROM app.events", events));
    // The target may match before this runner has even started; SIGTERM it once it replicates.
    CHECK(last.printed("\"block\":\"incremental\""));
    CHECK(last.stop(SIGTERM) == 0);
    std::string output;
    CHECK(runToEnd(s.dir, s.args("verify"), &output) == 0);
    INFO(output);
}

TEST_CASE("run stops with exit 1 and the reason when the precheck fails") {
    Setup s("FullAndIncremental");
    s.source.exec("SET GLOBAL binlog_format = 'STATEMENT'");
    std::string output;
    CHECK(runToEnd(s.dir, s.args("run"), &output) == 1);
    CHECK(output.find("FAILED   binlog_format") != std::string::npos);
    CHECK(output.find("\"reason\":\"PrecheckFailed\"") != std::string::npos);
    CHECK(s.target.connectRoot().scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'") ==
          std::optional<std::string>("0"));
}
