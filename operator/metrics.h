// Prometheus metrics of the operator: jobs by phase, the progress runners report in status
// (rows copied and applied, replay lag), reconcile counts and errors. Thread-safe; render()
// returns the text exposition format (version 0.0.4).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "operator/observed.h"

namespace tidemark::op {

class Metrics {
public:
    // Records the job's latest state (phase and runner-reported progress) under namespace/name.
    void observeJob(const Json& job);
    void forgetJob(const std::string& key);
    void countReconcile(bool ok);
    void countAction(const std::string& kind);
    void setLeader(bool leader);

    std::string render() const;

private:
    struct JobSample {
        std::string ns, name, phase;
        double rowsCopied = 0, rowsApplied = 0, lagSeconds = -1, percent = 0, restarts = 0;
    };
    mutable std::mutex mu_;
    std::map<std::string, JobSample> jobs_;
    uint64_t reconciles_ = 0, reconcileErrors_ = 0;
    std::map<std::string, uint64_t> actions_;
    bool leader_ = false;
};

}  // namespace tidemark::op
