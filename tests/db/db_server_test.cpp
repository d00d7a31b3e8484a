// The throwaway servers themselves: variants are configured as asked, and nothing outlives a
// test, even one that is interrupted.
#include <doctest/doctest.h>

#include "tests/support/db_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

using namespace tidemark;
using tidemark::testing::DbServer;
using tidemark::testing::ServerOptions;

namespace {
std::string variable(const DbServer& s, const std::string& name) {
    auto rows = s.connectRoot().query("SHOW GLOBAL VARIABLES LIKE '" + name + "'");
    return rows.empty() ? "" : rows.text(0, "Value");
}
}  // namespace

TEST_CASE("source variants carry the binlog settings they name") {
    auto o = ServerOptions::source();
    o.binlogFormat = "MIXED";
    o.rowImage = "NOBLOB";
    o.rowMetadata = "FULL";
    o.checksum = "NONE";
    DbServer s(o);
    CHECK(variable(s, "log_bin") == "ON");
    CHECK(variable(s, "binlog_format") == "MIXED");
    CHECK(variable(s, "binlog_row_image") == "NOBLOB");
    CHECK(variable(s, "binlog_row_metadata") == "FULL");
    CHECK(variable(s, "binlog_checksum") == "NONE");

    DbServer plain(ServerOptions::source());
    CHECK(variable(plain, "binlog_format") == "ROW");
    CHECK(variable(plain, "binlog_row_image") == "FULL");
    CHECK(variable(plain, "binlog_checksum") == "CRC32");
    CHECK(variable(plain, "server_id") != variable(s, "server_id"));

    DbServer target(ServerOptions::target());
    CHECK(variable(target, "log_bin") == "OFF");
}

TEST_CASE("a server keeps its data across restart and stops on kill") {
    DbServer s(ServerOptions::source());
    s.exec("CREATE DATABASE keep");
    s.exec("CREATE TABLE keep.t (id INT PRIMARY KEY)");
    s.exec("INSERT INTO keep.t VALUES (1)");
    const auto port = s.port();
    s.restart();
    CHECK(s.port() == port);
    CHECK(s.connectRoot().scalar("SELECT COUNT(*) FROM keep.t") == std::optional<std::string>("1"));
    s.kill();
    CHECK_FALSE(s.running());
    CHECK_THROWS_AS(s.connectRoot(), db::DbError);
    s.start();
    CHECK(s.connectRoot().scalar("SELECT COUNT(*) FROM keep.t") == std::optional<std::string>("1"));
}

TEST_CASE("an interrupted test leaves no server and no directory behind") {
    int pipeFd[2];
    REQUIRE(pipe(pipeFd) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(pipeFd[0]);
        try {
            DbServer s(ServerOptions::source());
            const std::string line = s.dir().string() + "\n";
            (void)!write(pipeFd[1], line.data(), line.size());
            ::close(pipeFd[1]);
            pause();  // until SIGTERM
        } catch (...) {}
        _exit(1);
    }
    ::close(pipeFd[1]);
    std::string dir;
    char c;
    while (read(pipeFd[0], &c, 1) == 1 && c != '\n') dir += c;
    ::close(pipeFd[0]);
    REQUIRE_FALSE(dir.empty());
    CHECK(std::filesystem::exists(dir));
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    // The server was a child of the test process and died with it; its directory is gone.
    for (int i = 0; i < 50 && std::filesystem::exists(dir); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(std::filesystem::exists(dir));
}
