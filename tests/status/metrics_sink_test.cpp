#include <doctest/doctest.h>

#include "runner/status/metrics_sink.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <limits>
#include <string>

namespace {

// GET `path` from 127.0.0.1:port (or [::1]:port) over a plain socket; returns the whole response.
std::string httpGet(int port, const std::string& path, bool ipv6 = false) {
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    if (ipv6) {
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(static_cast<uint16_t>(port));
        addr.sin6_addr = in6addr_loopback;
        REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    } else {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<size_t>(n));
    close(fd);
    return response;
}

}  // namespace

TEST_CASE("the runner's metrics serve what the stages report, labelled with namespace and migrationjob") {
    tidemark::status::MetricsSink sink("127.0.0.1:0", "shop", "shop-demo");
    sink.report("fullCopy", {{"rowsCopied", 1200}, {"bytesCopied", 64000}, {"percent", 40.5}});
    sink.report("fullCopy", {{"rowsCopied", 12345678}, {"rowsEstimated", 30000000}, {"secondsLeft", 95}});
    sink.report("incremental", {{"rowsApplied", 77}, {"lagSeconds", 0.25}, {"safeMode", true}});
    sink.report("precheck", {{"items", {{{"name", "a"}, {"state", "Pass"}}, {{"name", "b"}, {"state", "Warning"}}}}});
    sink.report("lastError", {{"reason", "DuplicateKey"}});

    const auto text = httpGet(sink.port(), "/metrics");
    CHECK(text.find("200 OK") != std::string::npos);
    const std::string l = "{namespace=\"shop\",migrationjob=\"shop-demo\"}";
    // Integers exactly, never 1.23457e+07.
    CHECK(text.find("tidemark_full_copy_rows_total" + l + " 12345678\n") != std::string::npos);
    CHECK(text.find("tidemark_full_copy_rows_estimated" + l + " 30000000\n") != std::string::npos);
    CHECK(text.find("tidemark_full_copy_bytes_total" + l + " 64000\n") != std::string::npos);
    CHECK(text.find("tidemark_full_copy_progress_ratio" + l + " 0.405\n") != std::string::npos);
    CHECK(text.find("tidemark_full_copy_remaining_seconds" + l + " 95\n") != std::string::npos);
    CHECK(text.find("tidemark_replay_rows_applied_total" + l + " 77\n") != std::string::npos);
    CHECK(text.find("tidemark_replay_lag_seconds" + l + " 0.25\n") != std::string::npos);
    CHECK(text.find("tidemark_replay_safe_mode" + l + " 1\n") != std::string::npos);
    CHECK(text.find("tidemark_runner_errors_total{namespace=\"shop\",migrationjob=\"shop-demo\",reason="
                    "\"DuplicateKey\"} 1\n") != std::string::npos);
    CHECK(text.find("tidemark_precheck_items{namespace=\"shop\",migrationjob=\"shop-demo\",state=\"Warning\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("# TYPE tidemark_replay_lag_seconds gauge\n") != std::string::npos);
    CHECK(text.find("# TYPE tidemark_full_copy_rows_total counter\n") != std::string::npos);
    CHECK(text.find("tidemark_build_info{component=\"runner\",version=\"" +
                    std::string(tidemark::status::buildVersion()) + "\"} 1\n") != std::string::npos);
    // Prometheus renames a scraped `job` label to `exported_job`; none is served.
    CHECK(text.find("{job=") == std::string::npos);
    CHECK(text.find(",job=") == std::string::npos);
    CHECK(text.find("e+") == std::string::npos);
    CHECK(httpGet(sink.port(), "/healthz").find("ok") != std::string::npos);
}

TEST_CASE("a stage that has not reported has no samples, only its HELP and TYPE") {
    tidemark::status::MetricsSink sink("127.0.0.1:0", "default", "incr");
    sink.report("incremental", {{"rowsApplied", 5}});
    const auto text = sink.render();
    CHECK(text.find("# TYPE tidemark_full_copy_rows_total counter\n") != std::string::npos);
    CHECK(text.find("tidemark_full_copy_rows_total{") == std::string::npos);
    CHECK(text.find("tidemark_replay_lag_seconds{") == std::string::npos);  // not reported yet
    CHECK(text.find("tidemark_replay_rows_applied_total{namespace=\"default\",migrationjob=\"incr\"} 5\n") !=
          std::string::npos);
}

TEST_CASE("sample values: integers exactly, fractions shortest, and the special values") {
    using tidemark::status::prometheusNumber;
    CHECK(prometheusNumber(12345678) == "12345678");
    CHECK(prometheusNumber(9007199254740991.0) == "9007199254740991");
    CHECK(prometheusNumber(0) == "0");
    CHECK(prometheusNumber(-3) == "-3");
    CHECK(prometheusNumber(0.1) == "0.1");
    CHECK(prometheusNumber(1.5) == "1.5");
    CHECK(prometheusNumber(1e300) == "1e+300");
    CHECK(prometheusNumber(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(prometheusNumber(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(prometheusNumber(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(tidemark::status::prometheusLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("a port in use is a clear error naming the address") {
    tidemark::status::MetricsSink first("127.0.0.1:0", "default", "a");
    const std::string addr = "127.0.0.1:" + std::to_string(first.port());
    try {
        tidemark::status::MetricsSink second(addr, "default", "b");
        FAIL("binding a port in use should fail");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find(addr) != std::string::npos);
    }
}

TEST_CASE("a metrics address without a host listens on IPv6 and IPv4, and an IPv6 host binds IPv6") {
    // Whether this machine has IPv6 at all: a loopback socket that binds.
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 lo{};
    lo.sin6_family = AF_INET6;
    lo.sin6_addr = in6addr_loopback;
    const bool ipv6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&lo), sizeof lo) == 0;
    if (probe >= 0) close(probe);

    tidemark::status::MetricsSink any(":0", "shop", "shop-demo");
    CHECK(httpGet(any.port(), "/healthz").find("200 OK") != std::string::npos);
    if (!ipv6) {
        MESSAGE("skipped: this machine has no IPv6 loopback; only the IPv4 side was checked");
        return;
    }
    CHECK(httpGet(any.port(), "/healthz", true).find("200 OK") != std::string::npos);
    tidemark::status::MetricsSink v6("[::1]:0", "shop", "shop-demo");
    CHECK(httpGet(v6.port(), "/metrics", true).find("tidemark_build_info") != std::string::npos);
}
