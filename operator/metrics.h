// Prometheus metrics of the operator: each MigrationJob's phase and capacity, the progress its
// runner reports in status (under the runner's own metric names, runner/status/prometheus.h),
// runner restarts and the last error, plus reconcile counts, actions and leadership.
// Thread-safe; render() returns the text exposition format (version 0.0.4). Job metrics carry
// the labels namespace="<ns>",migrationjob="<name>".
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "operator/observed.h"

namespace tidemark::op {

class Metrics {
public:
    // Records the job's latest state (phase and runner-reported status) under namespace/name.
    void observeJob(const Json& job);
    void forgetJob(const std::string& key);  // "namespace/name"
    void countReconcile(bool ok);
    void countAction(const std::string& kind);
    void setLeader(bool leader);

    std::string render() const;

private:
    struct JobSample {
        std::string ns, name, phase;
        Json status;  // the job's status as last observed
    };
    mutable std::mutex mu_;
    std::map<std::string, JobSample> jobs_;
    uint64_t reconciles_ = 0, reconcileErrors_ = 0;
    std::map<std::string, uint64_t> actions_;
    bool leader_ = false;
};

// The phases tidemark_migrationjob_phase lists for every job (the CRD's status.phase enum).
inline constexpr const char* kJobPhases[] = {"Pending",     "Prechecking", "PrecheckFailed", "Copying",
                                             "Replicating", "Paused",      "Failed",         "Succeeded"};

}  // namespace tidemark::op
