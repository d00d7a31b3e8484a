#include "operator/metrics.h"

#include "runner/status/prometheus.h"

namespace tidemark::op {

namespace m = status::metric;
using status::Exposition;
using status::Family;
using status::Labels;

void Metrics::observeJob(const Json& job) {
    JobSample s;
    s.ns = str(job, "/metadata/namespace", "default");
    s.name = str(job, "/metadata/name");
    s.phase = str(job, "/status/phase", "Pending");
    s.status = job.value("status", Json::object());
    std::lock_guard lock(mu_);
    jobs_[s.ns + "/" + s.name] = std::move(s);
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
    Exposition out;
    status::addBuildInfo(out, "operator");
    auto labels = [](const JobSample& j) { return Labels{{"namespace", j.ns}, {"migrationjob", j.name}}; };
    auto with = [](Labels l, const char* key, const std::string& value) {
        l.emplace_back(key, value);
        return l;
    };

    out.family(m::kJobPhase);
    for (const auto& [key, j] : jobs_)
        for (const char* phase : kJobPhases)
            out.sample(m::kJobPhase, with(labels(j), "phase", phase), j.phase == phase ? 1 : 0);

    // One sample per job that has the status field at `pointer`: a job that never copied has
    // no full copy series rather than a misleading 0, and an unknown lag stays unknown.
    auto perJob = [&](const Family& f, const char* pointer, double divisor = 1) {
        out.family(f);
        for (const auto& [key, j] : jobs_)
            if (const Json* v = at(j.status, pointer); v && v->is_number())
                out.sample(f, labels(j), v->get<double>() / divisor);
    };
    perJob(m::kJobCapacity, "/capacity/current");
    perJob(m::kJobRunnerRestarts, "/restarts");
    out.family(m::kJobLastError);
    for (const auto& [key, j] : jobs_)
        if (auto t = parseTime(str(j.status, "/lastError/time")))
            out.sample(m::kJobLastError, with(labels(j), "reason", str(j.status, "/lastError/reason", "Unknown")),
                       static_cast<double>(Clock::to_time_t(*t)));

    perJob(m::kFullCopyRows, "/fullCopy/rowsCopied");
    perJob(m::kFullCopyRowsEstimated, "/fullCopy/rowsEstimated");
    perJob(m::kFullCopyBytes, "/fullCopy/bytesCopied");
    perJob(m::kFullCopyProgress, "/fullCopy/percent", 100);  // a ratio, 0 to 1
    perJob(m::kFullCopyRemaining, "/fullCopy/secondsLeft");
    perJob(m::kReplayRows, "/incremental/rowsApplied");
    perJob(m::kReplayTransactions, "/incremental/transactionsApplied");
    perJob(m::kReplayLag, "/incremental/lagSeconds");
    out.family(m::kReplaySafeMode);
    for (const auto& [key, j] : jobs_)
        if (const Json* v = at(j.status, "/incremental/safeMode"); v && v->is_boolean())
            out.sample(m::kReplaySafeMode, labels(j), v->get<bool>() ? 1 : 0);
    out.family(m::kPrecheckItems);
    for (const auto& [key, j] : jobs_) {
        const Json* items = at(j.status, "/precheck/items");
        if (!items || !items->is_array()) continue;
        std::map<std::string, int> byState = {{"Pass", 0}, {"Warning", 0}, {"Failed", 0}};
        for (const auto& item : *items) ++byState[str(item, "/state")];
        for (const auto& [state, n] : byState)
            if (!state.empty()) out.sample(m::kPrecheckItems, with(labels(j), "state", state), n);
    }

    out.family(m::kReconciles).sample(m::kReconciles, {}, static_cast<double>(reconciles_));
    out.family(m::kReconcileErrors).sample(m::kReconcileErrors, {}, static_cast<double>(reconcileErrors_));
    out.family(m::kActions);
    for (const auto& [kind, n] : actions_) out.sample(m::kActions, {{"kind", kind}}, static_cast<double>(n));
    out.family(m::kLeader).sample(m::kLeader, {}, leader_ ? 1 : 0);
    return out.str();
}

}  // namespace tidemark::op
