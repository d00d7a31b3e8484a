#include "operator/metrics.h"

#include "runner/status/metrics_sink.h"

#include <cstdio>
#include <set>
#include <sstream>

namespace tidemark::op {

namespace {
using status::prometheusLabel;
std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}
}  // namespace

void Metrics::observeJob(const Json& job) {
    JobSample s;
    s.ns = str(job, "/metadata/namespace", "default");
    s.name = str(job, "/metadata/name");
    s.phase = str(job, "/status/phase", "Pending");
    s.rowsCopied = number(job, "/status/fullCopy/rowsCopied");
    s.rowsApplied = number(job, "/status/incremental/rowsApplied");
    s.lagSeconds = number(job, "/status/incremental/lagSeconds", -1);
    s.percent = number(job, "/status/fullCopy/percent");
    s.restarts = number(job, "/status/restarts");
    std::lock_guard lock(mu_);
    jobs_[s.ns + "/" + s.name] = s;
}

void Metrics::forgetJob(const std::string& key) {
    std::lock_guard lock(mu_);
    jobs_.erase(key);
}

void Metrics::countReconcile(bool ok) {
    std::lock_guard lock(mu_);
    ++reconciles_;
    if (!ok) ++reconcileErrors_;
}

void Metrics::countAction(const std::string& kind) {
    std::lock_guard lock(mu_);
    ++actions_[kind];
}

void Metrics::setLeader(bool leader) {
    std::lock_guard lock(mu_);
    leader_ = leader;
}

std::string Metrics::render() const {
    std::lock_guard lock(mu_);
    std::ostringstream out;
    static const char* kPhases[] = {"Pending",     "Prechecking", "PrecheckFailed", "Copying",
                                    "Replicating", "Paused",      "Failed",         "Succeeded"};
    std::map<std::string, int> byPhase;
    for (const char* p : kPhases) byPhase[p] = 0;
    for (const auto& [key, j] : jobs_) ++byPhase[j.phase];
    out << "# HELP tidemark_jobs MigrationJobs by phase.\n# TYPE tidemark_jobs gauge\n";
    for (const auto& [phase, n] : byPhase)
        out << "tidemark_jobs{phase=\"" << prometheusLabel(phase) << "\"} " << n << "\n";

    auto perJob = [&](const char* name, const char* help, const char* type, auto value, bool skipNegative) {
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
        for (const auto& [key, j] : jobs_) {
            const double v = value(j);
            if (skipNegative && v < 0) continue;
            out << name << "{namespace=\"" << prometheusLabel(j.ns) << "\",name=\"" << prometheusLabel(j.name) << "\"} "
                << num(v) << "\n";
        }
    };
    perJob(
        "tidemark_job_rows_copied", "Rows the full copy wrote, as the runner reports.", "gauge",
        [](const JobSample& j) { return j.rowsCopied; }, false);
    perJob(
        "tidemark_job_full_copy_percent", "Full copy progress in percent.", "gauge",
        [](const JobSample& j) { return j.percent; }, false);
    perJob(
        "tidemark_job_rows_applied", "Rows the binlog replay applied, as the runner reports.", "gauge",
        [](const JobSample& j) { return j.rowsApplied; }, false);
    perJob(
        "tidemark_job_lag_seconds", "Seconds the target is behind the source during replay.", "gauge",
        [](const JobSample& j) { return j.lagSeconds; }, true);
    perJob(
        "tidemark_job_runner_restarts", "Runner restarts after retryable failures.", "gauge",
        [](const JobSample& j) { return j.restarts; }, false);

    out << "# HELP tidemark_reconciles_total Reconciles run.\n# TYPE tidemark_reconciles_total counter\n"
        << "tidemark_reconciles_total " << reconciles_ << "\n";
    out << "# HELP tidemark_reconcile_errors_total Reconciles that failed (API errors); they are retried.\n"
        << "# TYPE tidemark_reconcile_errors_total counter\ntidemark_reconcile_errors_total " << reconcileErrors_
        << "\n";
    out << "# HELP tidemark_actions_total API actions taken, by kind.\n# TYPE tidemark_actions_total counter\n";
    for (const auto& [kind, n] : actions_)
        out << "tidemark_actions_total{kind=\"" << prometheusLabel(kind) << "\"} " << n << "\n";
    out << "# HELP tidemark_leader 1 when this operator instance is the leader.\n# TYPE tidemark_leader gauge\n"
        << "tidemark_leader " << (leader_ ? 1 : 0) << "\n";
    return out.str();
}

}  // namespace tidemark::op
