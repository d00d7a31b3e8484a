#include <doctest/doctest.h>

#include "operator/metrics.h"
#include "tests/operator/fixtures.h"

using namespace tidemark::op;

TEST_CASE("metrics: jobs by phase and the progress runners report") {
    Metrics m;
    Json a = testing::makeJob("a");
    a["status"] = {{"phase", "Replicating"},
                   {"fullCopy", {{"rowsCopied", 1000}, {"percent", 100}}},
                   {"incremental", {{"rowsApplied", 42}, {"lagSeconds", 1.5}}}};
    Json b = testing::makeJob("b");
    b["status"] = {{"phase", "Copying"}};
    m.observeJob(a);
    m.observeJob(b);
    m.countReconcile(true);
    m.countReconcile(false);
    const std::string text = m.render();
    CHECK(text.find("tidemark_jobs{phase=\"Replicating\"} 1") != std::string::npos);
    CHECK(text.find("tidemark_jobs{phase=\"Copying\"} 1") != std::string::npos);
    CHECK(text.find("tidemark_jobs{phase=\"Failed\"} 0") != std::string::npos);
    CHECK(text.find("tidemark_job_rows_copied{namespace=\"default\",name=\"a\"} 1000") != std::string::npos);
    CHECK(text.find("tidemark_job_rows_applied{namespace=\"default\",name=\"a\"} 42") != std::string::npos);
    CHECK(text.find("tidemark_job_lag_seconds{namespace=\"default\",name=\"a\"} 1.5") != std::string::npos);
    CHECK(text.find("tidemark_job_lag_seconds{namespace=\"default\",name=\"b\"}") == std::string::npos);
    CHECK(text.find("tidemark_reconcile_errors_total 1") != std::string::npos);
    m.forgetJob("default/a");
    CHECK(m.render().find("name=\"a\"") == std::string::npos);
}
