// decide(): read the job into its view, pick the one state it is in, run that state's steps into
// a plan, and return the plan as actions. The states and their steps: operator/decide/states.h.
#include "operator/decide.h"

#include "api/runner_contract.h"
#include "operator/decide/job_view.h"
#include "operator/decide/plan.h"
#include "operator/decide/predicates.h"
#include "operator/decide/states.h"

namespace tidemark::op {

namespace decision {

State pickState(const JobView& job, const Settings& settings) {
    if (job.deleting) return State::Deleting;
    if (!job.specError.empty()) return State::InvalidSpec;
    if (!started(job) && overJobLimit(job, settings)) return State::OverJobLimit;
    if (pauseApplies(job)) return State::Paused;
    if (!started(job) && targetHeldByPhysicalCopy(job)) return State::WaitingForTarget;
    if (!precheckPassed(job)) {
        if (failedByPodTrouble(job) && failureReportedForThisGeneration(job)) return State::PrecheckPodFailed;
        return precheckFailed(job) ? State::PrecheckFailed : State::Prechecking;
    }
    return stateOncePrechecked(job);
}

State stateOncePrechecked(const JobView& job) {
    if (job.recorded.phase == "Succeeded") return State::Succeeded;
    // Failed only for an invalid spec, now fixed: it goes on (no restartToken needed).
    if (job.recorded.phase == "Failed" && !failedOnInvalidSpec(job))
        return restartRequested(job) ? State::Restarting : State::Failed;
    return heldAtCutover(job) ? State::CutOver : State::Running;
}

namespace {

// The states once the precheck passed share their first steps: the restart token is recorded,
// the precheck pods go and only the newest run pod stays.
void runPrechecked(State state, const JobView& job, const Settings& settings, Plan& plan) {
    recordRestartToken(job, plan);
    const PodView* runPod = keepNewestRunPod(job, plan);
    switch (state) {
        case State::Succeeded: return staySucceeded(plan);
        case State::Failed: return stayFailed(job, plan);
        case State::Restarting: return restartFailed(job, settings, plan, runPod);
        case State::CutOver: return holdAtCutover(job, plan);
        default: return run(job, settings, plan, runPod);
    }
}

void runSteps(State state, const JobView& job, const Settings& settings, Plan& plan) {
    switch (state) {
        case State::InvalidSpec: return refuseInvalidSpec(job, plan);
        case State::OverJobLimit: return holdOverJobLimit(job, settings, plan);
        default: break;
    }
    markValid(plan);
    switch (state) {
        case State::Paused: return pause(job, plan);
        case State::WaitingForTarget: return waitForTarget(job, plan);
        case State::PrecheckPodFailed: return stayFailed(job, plan);
        case State::PrecheckFailed: return holdPrecheckFailed(job, plan);
        case State::Prechecking:
            // A precheck that passed just now lets the runner start in the same reconcile.
            if (precheck(job, settings, plan)) runPrechecked(stateOncePrechecked(job), job, settings, plan);
            return;
        default: return runPrechecked(state, job, settings, plan);
    }
}

}  // namespace

}  // namespace decision

Decision decide(const Observed& observed, const Settings& settings) {
    using namespace decision;
    const JobView job = readJobView(observed, settings);
    const State state = pickState(job, settings);
    if (state == State::Deleting) return finalize(job, settings);
    Plan plan(job);
    if (!job.hasFinalizer) plan.addFinalizer();
    plan.setStatus("observedGeneration", job.generation);
    runSteps(state, job, settings, plan);
    reportOutcome(job, plan);
    return plan.finish();
}

bool fullCopyComplete(const Json& job) {
    namespace contract = api::contract;
    const Json* fc = at(job, ("/status/" + std::string(contract::kBlockFullCopy)).c_str());
    return fc && boolean(*fc, ("/" + std::string(contract::kFullCopyDone)).c_str());
}

std::string describe(const Action& a) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, action::AddFinalizer>) return "add finalizer";
            else if constexpr (std::is_same_v<T, action::RemoveFinalizer>) return "remove finalizer";
            else if constexpr (std::is_same_v<T, action::CreatePod>)
                return "create pod " + str(x.pod, "/metadata/name");
            else if constexpr (std::is_same_v<T, action::DeletePod>) return "delete pod " + x.name;
            else if constexpr (std::is_same_v<T, action::PatchStatus>) return "patch status " + x.status.dump();
            else if constexpr (std::is_same_v<T, action::PatchAnnotations>) return "annotate " + x.annotations.dump();
            else return std::string("event ") + (x.warning ? "Warning " : "Normal ") + x.reason + ": " + x.message;
        },
        a);
}

}  // namespace tidemark::op
