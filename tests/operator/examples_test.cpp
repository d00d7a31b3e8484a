// Every MigrationJob in examples/ parses as the runner parses it, and passes decide()'s
// validation (the API server's own checks run in test_operator_e2e.py).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/migration_job.h"

TEST_CASE("examples_are_valid_migration_jobs") {
    namespace fs = std::filesystem;
    int jobs = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(TIDEMARK_SOURCE_DIR) / "examples")) {
        if (entry.path().extension() != ".yaml" || entry.path().filename() == "secrets.yaml") continue;
        INFO(entry.path().string());
        CHECK_NOTHROW(tidemark::api::loadManifest(entry.path().string()));
        ++jobs;
    }
    CHECK(jobs >= 6);
}
