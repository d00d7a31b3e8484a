#include <doctest/doctest.h>

#include "runner/status/metrics_sink.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

// GET `path` from 127.0.0.1:port over a plain socket; returns the whole response.
std::string httpGet(int port, const std::string& path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<size_t>(n));
    close(fd);
    return response;
}

}  // namespace

TEST_CASE("the runner's metrics serve what the stages report, labelled with the job") {
    tidemark::status::MetricsSink sink("127.0.0.1:0", "shop-demo");
    sink.report("fullCopy", {{"rowsCopied", 1200}, {"bytesCopied", 64000}, {"percent", 40.5}});
    sink.report("fullCopy", {{"rowsCopied", 3000}});
    sink.report("incremental", {{"rowsApplied", 77}, {"lagSeconds", 0.25}, {"safeMode", true}});
    sink.report("precheck", {{"items", {{{"name", "a"}, {"state", "Pass"}}, {{"name", "b"}, {"state", "Warning"}}}}});
    sink.report("lastError", {{"reason", "X"}});

    const auto text = httpGet(sink.port(), "/metrics");
    CHECK(text.find("200 OK") != std::string::npos);
    CHECK(text.find("tidemark_runner_rows_copied_total{job=\"shop-demo\"} 3000\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_bytes_copied_total{job=\"shop-demo\"} 64000\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_copy_percent{job=\"shop-demo\"} 40.5\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_rows_applied_total{job=\"shop-demo\"} 77\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_replay_lag_seconds{job=\"shop-demo\"} 0.25\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_safe_mode{job=\"shop-demo\"} 1\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_errors_total{job=\"shop-demo\"} 1\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_precheck_items{job=\"shop-demo\",state=\"Warning\"} 1\n") != std::string::npos);
    CHECK(text.find("# TYPE tidemark_runner_replay_lag_seconds gauge") != std::string::npos);
    CHECK(httpGet(sink.port(), "/healthz").find("ok") != std::string::npos);
}

TEST_CASE("a port in use is a clear error naming the address") {
    tidemark::status::MetricsSink first("127.0.0.1:0", "a");
    const std::string addr = "127.0.0.1:" + std::to_string(first.port());
    try {
        tidemark::status::MetricsSink second(addr, "b");
        FAIL("binding a port in use should fail");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find(addr) != std::string::npos);
    }
}
