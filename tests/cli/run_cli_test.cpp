// Whole jobs through tidemark-runner: copy, replicate while the source keeps writing, stop,
// SIGKILL and restart, then compare source and target row for row with `verify`.
#include "tests/precheck/precheck_fixture.h"

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

// A runner process with its output in files.
class Runner {
public:
    // Each runner gets output files of its own, so what one prints is never read as another's.
    Runner(const TempDir& dir, const std::vector<std::string>& args)
        : out_(dir.path() / ("run-" + std::to_string(++count_) + ".out")),
          err_(dir.path() / ("run-" + std::to_string(count_) + ".err")) {
        std::fflush(stdout);  // or the child's freopen flushes our buffered output a second time
        std::fflush(stderr);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            FILE* o = std::freopen(out_.c_str(), "a", stdout);
            FILE* e = std::freopen(err_.c_str(), "a", stderr);
            (void)o;
            (void)e;
            std::vector<char*> argv;
            std::string bin = TIDEMARK_RUNNER;
            argv.push_back(bin.data());
            auto copy = args;
            for (auto& a : copy) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
    }
    ~Runner() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    // Sends `sig` and returns the exit status (or 128+signal).
    int stop(int sig) {
        ::kill(pid_, sig);
        return wait();
    }
    int wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    bool running() {
        int status = 0;
        return pid_ > 0 && waitpid(pid_, &status, WNOHANG) == 0;
    }
    // Waits (up to a minute) until the runner's output holds `text`.
    bool printed(const std::string& text) const {
        for (int i = 0; i < 600; ++i) {
            if ((slurp(out_) + slurp(err_)).find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    std::string err() const { return slurp(err_); }
    std::string out() const { return slurp(out_); }

private:
    static std::string slurp(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    static inline int count_ = 0;
    pid_t pid_ = -1;
    std::filesystem::path out_, err_;
};

int runToEnd(const TempDir& dir, const std::vector<std::string>& args, std::string* output = nullptr) {
    Runner r(dir, args);
    const int status = r.wait();
    if (output) *output = r.out() + r.err();
    return status;
}

// Waits until `sql` on `server` returns `want`, up to a minute.
bool eventually(const DbServer& server, const std::string& sql, const std::string& want) {
    for (int i = 0; i < 600; ++i) {
        try {
            if (server.connectRoot().scalar(sql).value_or("") == want) return true;
        } catch (const db::DbError&) {}
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// Rows 1..n in a column `seq`, as a derived table both flavors read.
std::string numbers(int n) {
    return "(WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < " + std::to_string(n) +
        ") SELECT seq FROM s) AS numbers";
}

struct Setup {
    DbServer source{ServerOptions::source()};
    DbServer target{ServerOptions::target()};
    TempDir dir{"run"};
    SecretsDir secrets;
    std::string jobFile;

    explicit Setup(const std::string& type, const std::string& extraSpec = "") {
        source.exec("CREATE DATABASE app");
        source.exec(
            "CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(40) CHARACTER SET utf8mb4, balance "
            "DECIMAL(14,2), touched DATETIME(6))");
        source.exec("CREATE TABLE app.events (at TIMESTAMP(3) NULL, what VARBINARY(64))");  // no key
        auto c = source.connectRoot();
        // MySQL has no seq_1_to_N tables and stops recursion at 1000 rows unless told otherwise.
        c.execute(source.isMySql() ? "SET SESSION cte_max_recursion_depth = 10000"
                                   : "SET SESSION max_recursive_iterations = 10000");
        c.execute(
            "INSERT INTO app.accounts SELECT seq, CONCAT('owner ', seq, ' ✓'), seq * 1.5, '2024-05-06 07:08:09.123456' "
            "FROM " +
            numbers(3000));
        c.execute("INSERT INTO app.events SELECT FROM_UNIXTIME(1700000000 + seq), UNHEX(SHA2(seq, 256)) FROM " +
                  numbers(500));
        secrets.credentials("src", "root", "");
        secrets.credentials("tgt", "root", "");
        jobFile = dir.write("job.yaml",
                            manifest(source.port(), target.port(),
                                     "  objects: {include: [{database: app}]}\n  precheck: {ignoreWarnings: true}\n" +
                                         extraSpec,
                                     type))
                      .string();
    }
    std::vector<std::string> args(const std::string& command) const {
        return {command, "-f", jobFile, "--secrets-dir", secrets.path().string(), "--output", "json"};
    }
};

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
