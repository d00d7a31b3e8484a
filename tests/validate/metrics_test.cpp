// The runner's metrics of the continuous validation (runner/status/metrics_sink.cpp), from the
// status block runner/validate/ reports.
#include "runner/status/metrics_sink.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

TEST_CASE("status.incremental.validation becomes the tidemark_validation_rows families") {
    tidemark::status::MetricsSink sink("127.0.0.1:0", "shop", "shop-demo");
    const std::string l = "{namespace=\"shop\",migrationjob=\"shop-demo\"}";
    sink.report("incremental", {{"rowsApplied", 5}});
    CHECK(sink.render().find("tidemark_validation_rows_validated_total" + l) == std::string::npos);  // not yet

    sink.report("incremental",
                {{"validation",
                  {{"rowsValidated", 1234567},
                   {"pending", 12},
                   {"differing", 1},
                   {"skipped", 3},
                   {"differences", {{{"table", "`d`.`t`"}, {"key", "id=7"}}}}}}});
    const auto text = sink.render();
    CHECK(text.find("tidemark_validation_rows_validated_total" + l + " 1234567\n") != std::string::npos);
    CHECK(text.find("tidemark_validation_rows_pending" + l + " 12\n") != std::string::npos);
    CHECK(text.find("tidemark_validation_rows_differing" + l + " 1\n") != std::string::npos);
    CHECK(text.find("tidemark_validation_rows_skipped_total" + l + " 3\n") != std::string::npos);
    CHECK(text.find("# TYPE tidemark_validation_rows_validated_total counter\n") != std::string::npos);
    CHECK(text.find("# TYPE tidemark_validation_rows_differing gauge\n") != std::string::npos);
    CHECK(text.find("id=7") == std::string::npos);  // keys stay in the status, out of the metrics
}

TEST_CASE("status.incremental.validation.fullScan becomes the tidemark_validation_full_scan families") {
    tidemark::status::MetricsSink sink("127.0.0.1:0", "shop", "shop-demo");
    const std::string l = "{namespace=\"shop\",migrationjob=\"shop-demo\"}";
    sink.report("incremental", {{"validation", {{"rowsValidated", 1}}}});
    CHECK(sink.render().find("tidemark_validation_full_scan_rows_total" + l) == std::string::npos);  // no scan
    sink.report("incremental",
                {{"validation",
                  {{"rowsValidated", 1}, {"fullScan", {{"rowsScanned", 4200}, {"passes", 2}, {"differing", 1}}}}}});
    const auto text = sink.render();
    CHECK(text.find("tidemark_validation_full_scan_rows_total" + l + " 4200\n") != std::string::npos);
    CHECK(text.find("tidemark_validation_full_scan_passes_total" + l + " 2\n") != std::string::npos);
    CHECK(text.find("tidemark_validation_full_scan_differing" + l + " 1\n") != std::string::npos);
    CHECK(text.find("# TYPE tidemark_validation_full_scan_differing gauge\n") != std::string::npos);
}
