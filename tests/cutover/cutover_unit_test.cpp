// The cutover's pure parts: reading a stop request, deciding that writes stopped, the report's fields.
#include "runner/cutover/report.h"
#include "runner/cutover/stop_position.h"
#include "runner/cutover/switch_checks.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace tidemark;
using namespace tidemark::cutover;

TEST_CASE("stop requests read as now, FILE:POS or a MySQL GTID set") {
    CHECK(parseStopRequest("now").kind == StopRequest::Kind::Now);
    CHECK(parseStopRequest(" NOW ").text() == "now");

    const auto file = parseStopRequest("mysql-bin.000042:1234");
    CHECK(file.kind == StopRequest::Kind::FilePosition);
    CHECK(file.position.file == "mysql-bin.000042");
    CHECK(file.position.pos == 1234);
    CHECK(file.text() == "mysql-bin.000042:1234");

    const auto gtid = parseStopRequest("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
    CHECK(gtid.kind == StopRequest::Kind::GtidSet);
    CHECK(gtid.position.gtidSet == "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5");
    CHECK_FALSE(gtid.position.known());
    CHECK(parseStopRequest("3e11fa47-71ca-11e1-9e33-c80aa9429562:7").kind == StopRequest::Kind::GtidSet);
}

TEST_CASE("stop requests that name no stop point are refused, saying what is accepted") {
    for (const char* bad : {"", "later", "mysql-bin.000042", "mysql-bin.000042:", ":5", "0-1-100"}) {
        CAPTURE(bad);
        try {
            parseStopRequest(bad);
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            CHECK(std::string(e.what()).find("expected now, FILE:POS") != std::string::npos);
        }
    }
    try {
        parseStopRequest("0-1-100,1-2-7");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("MariaDB GTID") != std::string::npos);
    }
}

TEST_CASE("writes count as stopped once the binlog position stays put for the quiet period") {
    using namespace std::chrono;
    QuietWatch watch(seconds(5));
    const steady_clock::time_point t0{};
    const replay::Position a{"bin.000001", 100, ""}, b{"bin.000001", 200, ""}, c{"bin.000002", 4, ""};
    CHECK_FALSE(watch.observe(a, t0));
    CHECK_FALSE(watch.observe(a, t0 + seconds(4)));
    CHECK_FALSE(watch.observe(b, t0 + seconds(6)));  // moved: the quiet period starts again
    CHECK_FALSE(watch.observe(b, t0 + seconds(10)));
    CHECK(watch.observe(b, t0 + seconds(11)));
    CHECK_FALSE(watch.observe(c, t0 + seconds(12)));  // a rotation is a move too
}

TEST_CASE("the report's status block has the fields the CRD lists, keys and no row values") {
    CutoverReport r;
    r.state = Phase::Unsafe;
    r.stopAt = "now";
    r.stopPosition = {"bin.000003", 777, "uuid-set"};
    r.appliedPosition = replay::Position{"bin.000003", 777, "uuid-set"};
    r.rowsCompared = 12;
    r.differences = {{"`app`.`t`", "id=42", "differs"}};
    r.checks = {{"auto_increment", precheck::State::Failed, "`app`.`t`: target 1 < source 9",
                 "run on the target: ALTER TABLE `app`.`t` AUTO_INCREMENT = 9"}};
    r.reasons = {"auto_increment: `app`.`t`: target 1 < source 9"};
    r.startedAt = "2026-12-06T17:16:51Z";
    r.finishedAt = "2026-12-06T17:16:53Z";
    r.seconds = 2.5;
    const auto j = toJson(r);
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    CHECK(keys ==
          std::vector<std::string>{"appliedPosition", "checks", "differences", "finishedAt", "gtidSet", "reasons",
                                   "rowsCompared", "seconds", "startedAt", "state", "stopAt", "stopPosition"});
    CHECK(j["state"] == "Unsafe");
    CHECK(j["stopPosition"] == "bin.000003:777");
    CHECK(j["gtidSet"] == "uuid-set");
    CHECK(j["differences"][0] == nlohmann::json{{"table", "`app`.`t`"}, {"key", "id=42"}, {"problem", "differs"}});
    CHECK(j["checks"][0]["state"] == "Failed");
    CHECK(j["checks"][0]["instruction"] == "run on the target: ALTER TABLE `app`.`t` AUTO_INCREMENT = 9");
    CHECK(renderTable(r).find("NOT safe to switch") != std::string::npos);
}
