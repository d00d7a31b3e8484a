// Prometheus text exposition (format 0.0.4) shared by tidemark-operator and tidemark-runner.
//
// Every metric either binary serves is a Family below, so one quantity has one name in both
// (the operator republishes what runners report in status under the runner's names), and the
// chart's alerts and dashboard can be checked against this list (tests/operator/test_chart.py
// reads the names from this file). Conventions: units in names (`_seconds`, `_bytes`),
// counters end in `_total`, ratios are 0 to 1, and a job is labelled `namespace` +
// `migrationjob`, never `job` (Prometheus renames a scraped `job` label to `exported_job`).
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::status {

struct Family {
    const char* name;
    const char* type;  // "gauge" or "counter"
    const char* help;
};

namespace metric {
// Both binaries: {component="operator"|"runner", version="..."} 1.
inline constexpr Family kBuildInfo{"tidemark_build_info", "gauge", "Always 1; labels name the binary and its version."};

// What runners report, served by the runner itself and, from status, by the operator.
inline constexpr Family kFullCopyRows{"tidemark_full_copy_rows_total", "counter",
                                      "Rows the full copy has written to the target."};
inline constexpr Family kFullCopyRowsEstimated{"tidemark_full_copy_rows_estimated", "gauge",
                                               "Rows the full copy expects to write in all (from table statistics)."};
inline constexpr Family kFullCopyBytes{"tidemark_full_copy_bytes_total", "counter",
                                       "Value bytes the full copy has written to the target."};
inline constexpr Family kFullCopyProgress{"tidemark_full_copy_progress_ratio", "gauge", "Full copy progress, 0 to 1."};
inline constexpr Family kFullCopyRemaining{"tidemark_full_copy_remaining_seconds", "gauge",
                                           "Estimated seconds until the full copy is done, at the current rate."};
inline constexpr Family kReplayRows{"tidemark_replay_rows_applied_total", "counter",
                                    "Row changes replayed from the source's binary log."};
inline constexpr Family kReplayTransactions{"tidemark_replay_transactions_applied_total", "counter",
                                            "Source transactions replayed."};
inline constexpr Family kReplayLag{"tidemark_replay_lag_seconds", "gauge",
                                   "How far the target trails the source during replay."};
inline constexpr Family kReplaySafeMode{"tidemark_replay_safe_mode", "gauge",
                                        "1 while replay writes in safe mode (REPLACE), else 0."};
// Continuous validation (status.incremental.validation, runner/validate/): served by the runner only.
inline constexpr Family kValidationRows{"tidemark_validation_rows_validated_total", "counter",
                                        "Rows replay changed that were found equal on source and target."};
inline constexpr Family kValidationPending{"tidemark_validation_rows_pending", "gauge",
                                           "Rows replay changed that wait to be compared or re-checked."};
inline constexpr Family kValidationDiffering{"tidemark_validation_rows_differing", "gauge",
                                             "Rows that still differed between source and target when re-checked."};
inline constexpr Family kValidationSkipped{"tidemark_validation_rows_skipped_total", "counter",
                                           "Changed rows not compared because too many were waiting."};
// Its background pass over whole tables (status.incremental.validation.fullScan).
inline constexpr Family kValidationScanRows{"tidemark_validation_full_scan_rows_total", "counter",
                                            "Source rows the background pass over whole tables compared."};
inline constexpr Family kValidationScanPasses{"tidemark_validation_full_scan_passes_total", "counter",
                                              "Passes over all selected tables finished."};
inline constexpr Family kValidationScanDiffering{"tidemark_validation_full_scan_differing", "gauge",
                                                 "Rows (or keyless tables) the pass over whole tables found still "
                                                 "differing when re-checked."};
inline constexpr Family kPrecheckItems{"tidemark_precheck_items", "gauge",
                                       "Items of the last precheck, by state (Pass, Warning, Failed)."};

// The runner only.
inline constexpr Family kRunnerErrors{"tidemark_runner_errors_total", "counter",
                                      "Errors that ended a stage of this runner, by reason."};

// The operator only: the job as the operator sees it.
inline constexpr Family kJobPhase{"tidemark_migrationjob_phase", "gauge",
                                  "1 for the MigrationJob's current phase, 0 for the others."};
inline constexpr Family kJobCapacity{"tidemark_migrationjob_capacity", "gauge",
                                     "Capacity units of the running runner (status.capacity.current)."};
inline constexpr Family kJobRunnerRestarts{"tidemark_migrationjob_runner_restarts_total", "counter",
                                           "Times the operator restarted the job's runner (status.restarts)."};
inline constexpr Family kJobLastError{"tidemark_migrationjob_last_error_timestamp_seconds", "gauge",
                                      "Unix time of the job's last error (status.lastError), by reason."};
inline constexpr Family kReconciles{"tidemark_operator_reconciles_total", "counter", "Reconciles run."};
inline constexpr Family kReconcileErrors{"tidemark_operator_reconcile_errors_total", "counter",
                                         "Reconciles that failed on an API error; they are retried."};
inline constexpr Family kActions{"tidemark_operator_actions_total", "counter", "API actions taken, by kind."};
inline constexpr Family kLeader{"tidemark_operator_leader", "gauge", "1 while this operator instance leads."};
}  // namespace metric

// `value` escaped for a Prometheus label value (backslash, quote, newline).
std::string prometheusLabel(const std::string& value);

// A sample value: integers exactly ("12345678", never "1.23457e+07"), other numbers in the
// shortest form that reads back to the same double, and NaN, +Inf, -Inf as Prometheus spells them.
std::string prometheusNumber(double value);

using Labels = std::vector<std::pair<std::string, std::string>>;

// Builds one exposition. Call family() once per family, then sample() for its samples; a
// family with no samples still documents itself with HELP and TYPE.
class Exposition {
public:
    Exposition& family(const Family& f);
    Exposition& sample(const Family& f, const Labels& labels, double value);
    std::string str() const { return out_.str(); }

private:
    std::ostringstream out_;
};

// tidemark_build_info for `component` ("operator" or "runner") and this build's version.
void addBuildInfo(Exposition& out, const std::string& component);

// The version every binary of this build reports (CMakeLists.txt project()).
const char* buildVersion();

}  // namespace tidemark::status
