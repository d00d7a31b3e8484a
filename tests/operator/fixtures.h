// Builders for decide() tests: a MigrationJob as the API server returns it, runner pods in any
// state, and a tiny "API server" that applies a decision's status patch and annotations so a
// test can walk a job through its lifecycle one reconcile at a time.
#pragma once

#include <string>

#include "operator/decide.h"

namespace tidemark::op::testing {

inline Clock::time_point at(int seconds) { return Clock::from_time_t(1'800'000'000 + seconds); }

inline Json makeJob(const std::string& name = "shop", const std::string& ns = "default") {
    return Json::parse(R"({
    "apiVersion": "tidemark.dev/v1alpha1", "kind": "MigrationJob",
    "metadata": {"name": ")" +
                       name + R"(", "namespace": ")" + ns + R"(", "uid": "uid-)" + name + R"(",
                 "generation": 1, "creationTimestamp": "2027-01-15T08:00:00Z",
                 "finalizers": ["tidemark.dev/stop-runner"]},
    "spec": {
      "type": "FullAndIncremental", "fullMode": "Logical",
      "source": {"flavor": "MariaDB", "host": "mysql.prod.svc", "port": 3306,
                 "credentialsSecret": {"name": "source-credentials"}, "tls": {"secretName": "source-tls"}},
      "target": {"host": "tidb.prod.svc", "port": 4000, "credentialsSecret": {"name": "tidb-credentials"}},
      "incremental": {"safeModeDuration": "60s"},
      "capacity": 2, "precheck": {"ignoreWarnings": false}, "paused": false
    }
  })");
}

// A runner pod as the decision created it, then given a status.
inline Json makePod(const Json& decisionPod, const std::string& phase, int exitCode = -1,
                    Clock::time_point finished = at(0)) {
    Json pod = decisionPod;
    pod["metadata"]["uid"] = "pod-" + pod["metadata"]["name"].get<std::string>();
    pod["metadata"]["creationTimestamp"] = formatTime(at(0));
    pod["status"] = {{"phase", phase}};
    Json cs = {{"name", "runner"}};
    if (exitCode >= 0) cs["state"] = {{"terminated", {{"exitCode", exitCode}, {"finishedAt", formatTime(finished)}}}};
    else if (phase == "Running") cs["state"] = {{"running", {{"startedAt", formatTime(at(0))}}}};
    pod["status"]["containerStatuses"] = Json::array({cs});
    return pod;
}

template <typename T>
std::vector<T> actionsOf(const Decision& d) {
    std::vector<T> out;
    for (const auto& a : d.actions)
        if (auto p = std::get_if<T>(&a)) out.push_back(*p);
    return out;
}

inline bool hasEvent(const Decision& d, const std::string& reason) {
    for (const auto& e : actionsOf<action::Event>(d))
        if (e.reason == reason) return true;
    return false;
}

inline Json condition(const Json& job, const std::string& type) {
    for (const auto& c : job["status"].value("conditions", Json::array()))
        if (c["type"] == type) return c;
    return Json();
}

// Applies what the API server would: finalizers, annotations, status merge patch.
inline void applyDecision(Json& job, const Decision& d) {
    for (const auto& a : d.actions) {
        if (std::holds_alternative<action::AddFinalizer>(a))
            job["metadata"]["finalizers"].push_back("tidemark.dev/stop-runner");
        if (std::holds_alternative<action::RemoveFinalizer>(a)) job["metadata"]["finalizers"] = Json::array();
        if (auto p = std::get_if<action::PatchAnnotations>(&a))
            job["metadata"]["annotations"].merge_patch(p->annotations);
        if (auto p = std::get_if<action::PatchStatus>(&a)) {
            if (!job.contains("status")) job["status"] = Json::object();
            job["status"].merge_patch(p->status);
        }
    }
}

}  // namespace tidemark::op::testing
