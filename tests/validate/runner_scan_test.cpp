// The full table scan as tidemark-runner wires it (runner/cli/commands.cpp): a whole job, as a
// process, on a source that writes nothing once the copy is done (so replay commits no batch and
// the scan must learn from where replay started that the target is current).
#include "tests/cli/cli_support.h"

using namespace tidemark;
using namespace tidemark::testing;

TEST_CASE("a job with spec.validation.fullScan reports by key a row changed on the target alone") {
    Setup s(
        "FullAndIncremental",
        "  validation: {recheckAfterSeconds: 1, fullScan: {enabled: true, rowsPerSecond: 100000, pauseSeconds: 1}}\n");
    Runner runner(s.dir, s.args("run"));
    REQUIRE(runner.printed("\"passes\":1"));  // both tables compared, with no source write since the copy
    s.target.exec("UPDATE app.accounts SET owner = 'changed behind replay' WHERE id = 42");
    REQUIRE(runner.printed("\"key\":\"id=42\""));
    CHECK(runner.stop(SIGTERM) == 0);
    const auto out = runner.out();
    INFO(out.substr(0, 4000));
    CHECK(out.find("\"tablesTotal\":2") != std::string::npos);
    CHECK(out.find("\"problem\":\"differs\"") != std::string::npos);
    CHECK(out.find("changed behind replay") == std::string::npos);  // keys only, never values
}
