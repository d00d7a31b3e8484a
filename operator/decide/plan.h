// What one reconcile will do, collected while the states' steps run and turned into a Decision
// (decide.h) at the end: the operator-owned status fields, conditions, pods to delete and create,
// annotations, Events and when to look again. Pure bookkeeping; the rules live in the states.
//
// Promises of finish():
//   - actions in the order the controller must run them: the finalizer, pod deletions and
//     annotations; one status merge patch holding only the operator's fields that differ from
//     the observed status (never a runner block, api/runner_contract.h); pod creations; Events;
//   - every condition carries the job's generation, and keeps its lastTransitionTime while its
//     status holds;
//   - a phase change gets an Event even when no step emitted a more specific one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "operator/decide.h"
#include "operator/decide/job_view.h"
#include "operator/runner_pod.h"

namespace tidemark::op::decision {

class Plan {
public:
    explicit Plan(const JobView& job);

    // ---- status --------------------------------------------------------------------------
    // status.phase, .stage (precheck | copy | replay | done) and .progress (the printer column).
    void setPhase(const std::string& phase, const std::string& stage, const std::string& progress);
    bool phaseSet() const { return desired_.contains("phase"); }
    // The phase set so far, else the observed one.
    std::string phase() const;
    // Any other operator-owned top-level status field (restarts, capacity, lastError, ...).
    void setStatus(const std::string& field, Json value);
    bool statusSet(const std::string& field) const { return desired_.contains(field); }
    // status.precheck.recheck / .items: the operator's two fields inside the runner's block.
    void setPrecheckStatus(const std::string& field, Json value);

    // ---- conditions and Events -----------------------------------------------------------
    void setCondition(const std::string& type, const std::string& status, const std::string& reason,
                      std::string message);
    const Json* condition(const std::string& type) const;  // as this plan leaves it
    void event(bool warning, const std::string& reason, const std::string& message);
    // An Event only when the condition's reason is new compared with the observed one.
    void eventOnConditionChange(const std::string& type, const std::string& reason, bool warning,
                                const std::string& message);

    // ---- objects -------------------------------------------------------------------------
    void addFinalizer();
    void annotate(const std::string& key, const std::string& value);
    void deletePod(const std::string& name);  // once per name
    bool deletesPod(const std::string& name) const;
    void createPod(RunnerPod built);

    // Look again after `after` at the latest (the shortest request wins).
    void requeue(std::chrono::milliseconds after);

    Decision finish();

private:
    const JobView& job_;
    Json conditions_;
    Json desired_ = Json::object();          // operator-owned status fields
    Json desiredPrecheck_ = Json::object();  // status.precheck.recheck / items
    std::vector<Action> before_;             // finalizer, deletions, annotations: before the status
    std::vector<Action> creates_;            // after the status
    std::vector<Action> events_;             // last
    std::optional<std::chrono::milliseconds> requeue_;
};

}  // namespace tidemark::op::decision
