#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "operator/metrics.h"
#include "runner/status/metrics_sink.h"
#include "tests/operator/fixtures.h"

using namespace tidemark::op;

namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

// The sample lines of `text` (no comments), for comparing two expositions line by line.
std::set<std::string> samples(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#') out.insert(line);
    return out;
}

Json replicatingJob() {
    Json a = testing::makeJob("a", "shop");
    a["status"] = {
        {"phase", "Replicating"},
        {"restarts", 3},
        {"capacity", {{"current", 4}}},
        {"fullCopy",
         {{"rowsCopied", 12345678},
          {"rowsEstimated", 12345678},
          {"bytesCopied", 9876543210LL},
          {"percent", 100},
          {"secondsLeft", 0}}},
        {"incremental", {{"rowsApplied", 42}, {"transactionsApplied", 7}, {"lagSeconds", 1.5}, {"safeMode", false}}},
        {"precheck", {{"items", {{{"name", "x"}, {"state", "Pass"}}, {{"name", "y"}, {"state", "Failed"}}}}}},
        {"lastError", {{"reason", "SourceUnreachable"}, {"time", "2027-01-15T08:00:00Z"}}}};
    return a;
}

}  // namespace

TEST_CASE("metrics: each job's phase, capacity, restarts, last error and runner-reported progress") {
    Metrics m;
    Json b = testing::makeJob("b", "shop");
    b["status"] = {{"phase", "Copying"}};
    m.observeJob(replicatingJob());
    m.observeJob(b);
    m.countReconcile(true);
    m.countReconcile(false);
    m.countAction("createPod");
    m.setLeader(true);
    const std::string text = m.render();
    const std::string a = "{namespace=\"shop\",migrationjob=\"a\"}";
    CHECK(has(text, "tidemark_migrationjob_phase{namespace=\"shop\",migrationjob=\"a\",phase=\"Replicating\"} 1"));
    CHECK(has(text, "tidemark_migrationjob_phase{namespace=\"shop\",migrationjob=\"a\",phase=\"Copying\"} 0"));
    CHECK(has(text, "tidemark_migrationjob_phase{namespace=\"shop\",migrationjob=\"b\",phase=\"Copying\"} 1"));
    CHECK(has(text, "tidemark_migrationjob_capacity" + a + " 4"));
    CHECK(has(text, "tidemark_migrationjob_runner_restarts_total" + a + " 3"));
    CHECK(has(text,
              "tidemark_migrationjob_last_error_timestamp_seconds{namespace=\"shop\",migrationjob=\"a\","
              "reason=\"SourceUnreachable\"} 1800000000"));
    // Integers exactly: 12,345,678 rows, not 1.23457e+07; ratios 0 to 1.
    CHECK(has(text, "tidemark_full_copy_rows_total" + a + " 12345678"));
    CHECK(has(text, "tidemark_full_copy_bytes_total" + a + " 9876543210"));
    CHECK(has(text, "tidemark_full_copy_progress_ratio" + a + " 1"));
    CHECK(has(text, "tidemark_replay_rows_applied_total" + a + " 42"));
    CHECK(has(text, "tidemark_replay_transactions_applied_total" + a + " 7"));
    CHECK(has(text, "tidemark_replay_lag_seconds" + a + " 1.5"));
    CHECK(has(text, "tidemark_replay_safe_mode" + a + " 0"));
    CHECK(has(text, "tidemark_precheck_items{namespace=\"shop\",migrationjob=\"a\",state=\"Failed\"} 1"));
    CHECK(has(text, "tidemark_operator_reconciles_total 2"));
    CHECK(has(text, "tidemark_operator_reconcile_errors_total 1"));
    CHECK(has(text, "tidemark_operator_actions_total{kind=\"createPod\"} 1"));
    CHECK(has(text, "tidemark_operator_leader 1"));
    CHECK(has(text,
              "tidemark_build_info{component=\"operator\",version=\"" + std::string(tidemark::status::buildVersion()) +
                  "\"} 1"));
    CHECK(has(text, "# TYPE tidemark_full_copy_rows_total counter"));
    CHECK(has(text, "# TYPE tidemark_replay_lag_seconds gauge"));
    // A job that has not copied or replicated has no such series (not a misleading 0).
    CHECK(text.find("tidemark_full_copy_rows_total{namespace=\"shop\",migrationjob=\"b\"}") == std::string::npos);
    CHECK(text.find("tidemark_replay_lag_seconds{namespace=\"shop\",migrationjob=\"b\"}") == std::string::npos);
    // Prometheus renames a scraped `job` label to `exported_job`: none is served.
    CHECK(text.find("{job=") == std::string::npos);
    CHECK(text.find(",job=") == std::string::npos);
    CHECK(text.find("e+") == std::string::npos);
    m.forgetJob("shop/a");
    CHECK(m.render().find("migrationjob=\"a\"") == std::string::npos);
}

TEST_CASE("metrics: the operator serves a runner's progress under the runner's own names and labels") {
    // One name per quantity: what the runner serves from its reports, the operator serves from
    // the status those reports became, line for line.
    const Json job = replicatingJob();
    tidemark::status::MetricsSink runner("127.0.0.1:0", "shop", "a");
    for (const char* block : {"fullCopy", "incremental", "precheck"}) runner.report(block, job["status"][block]);
    Metrics op;
    op.observeJob(job);
    const auto operatorSamples = samples(op.render());
    int shared = 0;
    for (const auto& line : samples(runner.render())) {
        if (line.rfind("tidemark_build_info", 0) == 0 || line.rfind("tidemark_runner_", 0) == 0) continue;
        CHECK_MESSAGE(operatorSamples.count(line) == 1, "the operator lacks: " << line);
        ++shared;
    }
    CHECK(shared >= 10);
}
