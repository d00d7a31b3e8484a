// The background pass over whole tables (runner/validate/table_scan.h) beside a live replay, on
// real servers (MariaDB and MySQL sources): under a write load, differences injected into the
// target in rows replay never touches are found by table and key and nothing else is reported;
// keyless tables differing only in how many copies of a row they hold are found; the rate cap
// makes the scan wait (counted, never timed).
#include "runner/validate/validator.h"
#include "tests/replay/replay_fixture.h"

#include <doctest/doctest.h>

#include <functional>
#include <set>

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

validate::ValidatorOptions scanning(const std::string& database, std::uint64_t rowsPerSecond,
                                    std::chrono::milliseconds pause) {
    validate::ValidatorOptions o;
    o.recheckAfter = 2s;
    o.passInterval = 300ms;
    validate::TableScanOptions scan;
    scan.objects = jobFor("scan", {database}).objects;
    scan.rowsPerSecond = rowsPerSecond;
    scan.chunkRows = 100;
    scan.recheckAfter = 2s;
    scan.pauseBetweenPasses = pause;
    o.fullScan = scan;
    return o;
}

// A validator scanning `database` beside a replay of it (job `name`) that starts now.
struct ScanningReplay {
    RecordingSink sink;
    std::unique_ptr<validate::Validator> validator;
    std::unique_ptr<BackgroundReplay> replay;

    ScanningReplay(const std::string& name, const std::string& database, const validate::ValidatorOptions& options) {
        const auto job = jobFor(name, {database});
        auto replayOptions = startingAt(sourceNow());
        auto withReplay = options;  // as the runner wires it: the source does not move here
        withReplay.replayJob = job.instanceKey();
        withReplay.replayFrom = replayOptions.start;
        validator = std::make_unique<validate::Validator>(sharedSource().rootOptions("source"),
                                                          sharedTarget().rootOptions("target"), withReplay, sink);
        replayOptions.onCommitted = validator->hook();
        replay = std::make_unique<BackgroundReplay>(job, replayOptions);
    }
    ~ScanningReplay() {
        if (replay) replay->stop();
    }
    validate::TableScanCounts counts() const { return validator->fullScan()->counts(); }
    nlohmann::json status() const { return sink.last().value("validation", nlohmann::json::object()); }
};

bool waitUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

// Runs `sql` on both servers.
void onBoth(const std::string& sql) {
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) server->connectRoot().execute(sql);
}

// `database`.quiet: `rows` rows of several column types on both servers, which no load writes.
void createQuietTable(const std::string& database, int rows) {
    const std::string table = db::qualified(database, "quiet");
    onBoth("CREATE TABLE " + table + " (id INT PRIMARY KEY, d DOUBLE, j JSON, b BLOB, t DATETIME(6), s VARCHAR(40))");
    std::string values;
    for (int id = 1; id <= rows; ++id) {
        const std::string n = std::to_string(id);
        values += (values.empty() ? "" : ", ") + std::string("(") + n + ", " + n + ".25, '{\"n\": " + n +
            "}', CONCAT(0x00ff, '" + n + "'), '2026-12-07 03:00:00.000" + n.substr(0, 3) + "', 'row " + n + "')";
    }
    onBoth("INSERT INTO " + table + " VALUES " + values);
}

std::set<std::string> shownKeys(const std::vector<validate::ScanDifference>& differences) {
    std::set<std::string> out;
    for (const auto& d : differences) out.insert(d.table + " " + d.key + ": " + d.problem);
    return out;
}

}  // namespace

TEST_CASE("under a write load the full scan finds differences injected into untouched rows, by key, and no other") {
    createLoadTables("ts_load");
    createQuietTable("ts_load", 600);
    auto target = sharedTarget().connectRoot();
    target.execute("UPDATE `ts_load`.`quiet` SET d = d + 1e-9 WHERE id = 123");  // one value, a tiny bit off
    target.execute("DELETE FROM `ts_load`.`quiet` WHERE id = 456");

    ScanningReplay scan("scan-load", "ts_load", scanning("ts_load", 5000, 200ms));
    {
        SourceLoad load("ts_load");
        // Several passes while the load writes, and a load that wrote all along.
        REQUIRE(waitUntil([&] { return scan.counts().passes >= 4 && load.transactions() >= 200; }, 120s));
        load.stop();
        INFO("transactions written: " << load.transactions());
        CHECK(load.transactions() > 0);
    }
    REQUIRE(waitSame("ts_load", "k", 60s));
    REQUIRE(waitSame("ts_load", "n", 60s));
    // Two more passes over the still tables, and every suspect settled.
    const auto passes = scan.counts().passes;
    REQUIRE(waitUntil(
        [&] {
            const auto c = scan.counts();
            return c.passes >= passes + 2 && c.findings.suspects == 0 && c.findings.differing == 2;
        },
        60s));

    const auto c = scan.counts();
    INFO(scan.sink.notes().size() << " notes; first: " << (scan.sink.notes().empty() ? "" : scan.sink.notes()[0]));
    CHECK(c.findings.skipped == 0);
    CHECK(c.rowsScanned >= 1200);  // the quiet table, twice at least
    CHECK(c.differingChunks >= 2);
    CHECK(
        shownKeys(scan.validator->fullScan()->differences(10)) ==
        std::set<std::string>{"`ts_load`.`quiet` id=123: differs", "`ts_load`.`quiet` id=456: missing on the target"});
    CHECK(scan.validator->counts().differing == 0);  // replay's own rows agree too

    REQUIRE(waitUntil(
        [&] {
            const auto shown = scan.status().value("fullScan", nlohmann::json::object());
            return shown.value("differing", 0) == 2 && shown.value("pending", -1) == 0;
        },
        10s));
    const auto status = scan.status()["fullScan"];
    CHECK(status["passes"].get<std::uint64_t>() >= passes + 2);
    CHECK(status["tablesTotal"] == 3);
    CHECK(status["pending"] == 0);
    CHECK(status.contains("lastPassEnd"));
    REQUIRE(status["differences"].size() == 2);
    for (const auto& d : status["differences"]) {
        CHECK(d["table"] == "`ts_load`.`quiet`");
        CHECK(d.contains("since"));
    }
    CHECK(status.dump().find("123.25") == std::string::npos);  // keys only, never values
    CHECK(scan.status().contains("rowsValidated"));            // the changed rows' counts stay beside it
}

TEST_CASE("keyless tables holding a row a different number of times are found, duplicates counted") {
    freshDatabase("ts_dup");
    onBoth("CREATE TABLE `ts_dup`.`lost` (a INT, b VARCHAR(10))");
    onBoth("INSERT INTO `ts_dup`.`lost` VALUES (1, 'x'), (1, 'x'), (2, 'y')");
    onBoth("CREATE TABLE `ts_dup`.`swapped` (a INT, b VARCHAR(10))");
    onBoth("CREATE TABLE `ts_dup`.`same` (a INT, b VARCHAR(10))");
    onBoth("INSERT INTO `ts_dup`.`same` VALUES (1, 'x'), (1, 'x'), (2, 'y')");
    sharedSource().connectRoot().execute("INSERT INTO `ts_dup`.`swapped` VALUES (1, 'x'), (1, 'x')");
    auto target = sharedTarget().connectRoot();
    target.execute("DELETE FROM `ts_dup`.`lost` WHERE a = 1 LIMIT 1");  // one copy of a duplicated row
    // The same count, and each table's rows XOR to nothing: only counting copies tells them apart.
    target.execute("INSERT INTO `ts_dup`.`swapped` VALUES (2, 'y'), (2, 'y')");

    ScanningReplay scan("scan-dup", "ts_dup", scanning("ts_dup", 5000, 200ms));
    REQUIRE(waitUntil([&] { return scan.counts().findings.differing == 2; }, 60s));
    CHECK(shownKeys(scan.validator->fullScan()->differences(10)) ==
          std::set<std::string>{"`ts_dup`.`lost` : source 3 rows, target 2 rows",
                                "`ts_dup`.`swapped` : rows differ (source 2 rows, target 2 rows)"});

    // Repaired on the target, it is forgotten at its next re-check.
    target.execute("INSERT INTO `ts_dup`.`lost` VALUES (1, 'x')");
    REQUIRE(waitUntil([&] { return scan.counts().findings.differing == 1; }, 30s));
    CHECK(scan.counts().findings.suspects == 0);
}

TEST_CASE("the rate cap makes the scan wait between chunks, and a high cap does not") {
    freshDatabase("ts_rate");
    onBoth("CREATE TABLE `ts_rate`.`k` (id INT PRIMARY KEY, v INT)");
    std::string values;
    for (int id = 1; id <= 2000; ++id) values += (values.empty() ? "(" : ", (") + std::to_string(id) + ", 0)";
    onBoth("INSERT INTO `ts_rate`.`k` VALUES " + values);

    for (const std::uint64_t cap : {400u, 1000000u}) {
        CAPTURE(cap);
        ScanningReplay scan("scan-rate-" + std::to_string(cap), "ts_rate", scanning("ts_rate", cap, 600000ms));
        REQUIRE(waitUntil([&] { return scan.counts().passes == 1; }, 60s));
        const auto c = scan.counts();
        CHECK(c.rowsScanned == 2000);
        CHECK(c.chunksCompared == 21);  // 20 full chunks of 100, then the empty one that ends the walk
        CHECK(c.findings.suspects + c.findings.differing == 0);
        // 400 rows a second: the first second's rows pass, then each chunk of 100 waits its turn.
        if (cap == 400) CHECK(c.rateWaits >= 10);
        else CHECK(c.rateWaits == 0);
    }
}
