// tidemark-runner as a process for the CLI tests: start it with arguments, wait for it or signal
// it, read what it printed; and the job most tests run (a source database `app` with a keyed and
// a keyless table, a target, Secrets and a manifest).
#pragma once

#include "tests/precheck/precheck_fixture.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace tidemark::testing {

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

inline int runToEnd(const TempDir& dir, const std::vector<std::string>& args, std::string* output = nullptr) {
    Runner r(dir, args);
    const int status = r.wait();
    if (output) *output = r.out() + r.err();
    return status;
}

// Waits until `sql` on `server` returns `want`, up to a minute.
inline bool eventually(const DbServer& server, const std::string& sql, const std::string& want) {
    for (int i = 0; i < 600; ++i) {
        try {
            if (server.connectRoot().scalar(sql).value_or("") == want) return true;
        } catch (const db::DbError&) {}
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// Rows 1..n in a column `seq`, as a derived table both flavors read.
inline std::string numbers(int n) {
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

}  // namespace tidemark::testing
