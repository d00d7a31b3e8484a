// The MigrationJob as one reconcile sees it, read once from Observed into typed facts: who the job
// is, what its spec asks for, where its status says it is, what its runner reported, and its
// runner pods. The states' steps (states.h) read these facts instead of JSON pointers; the raw job
// stays for the pod builders (runner_pod.h, pod_trouble.h) and the raw status for the plan
// (plan.h), which patches only what differs from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op::decision {

// What the spec asks for, with the CRD's defaults where a field is absent.
struct SpecFacts {
    std::string type = "FullAndIncremental";  // Full | Incremental | FullAndIncremental
    bool paused = false;
    int capacity = 2;
    std::string restartToken;  // spec.restartToken
    std::string recheckToken;  // spec.precheck.recheck
    bool ignoreWarnings = false;
    std::string targetHost;  // as written, for messages
    int64_t targetPort = 4000;
    // spec.cutover: a new token asks for a cutover at stopAt; afterwards Continue replicates on.
    std::string cutoverToken;
    std::string cutoverStopAt = "now";
    bool cutoverContinue = false;

    bool copies() const { return type != "Incremental"; }  // has a full copy
    bool replicates() const { return type != "Full"; }     // replays the binlog
};

// status.lastError: the runner's last failure, or the operator's when no runner could run
// (pod_trouble.h reasons).
struct LastError {
    std::string reason;
    std::string message;
    std::optional<int64_t> attempts;  // written by the operator only
    std::optional<std::string> time;
};

// status.incremental.stalled: replay is not keeping up, by the runner's word.
struct Stalled {
    std::string reason;
    std::string message;
    std::string since;  // "" when not reported
};

struct PrecheckItem {
    std::string name;
    std::string state;  // Pass | Warning | Failed
};

// A DDL the runner skipped by spec.ddl.skip (status.incremental.skippedDdl).
struct SkippedDdl {
    std::string position;  // "" when the runner did not say
    std::string statement;
};

// status.cutover: the runner's switch report (runner/cutover/report.h).
struct CutoverReport {
    std::string state;  // Waiting | CatchingUp | Validating | Safe | Unsafe
    std::string stopPosition;
    std::string gtidSet;
    int64_t rowsCompared = 0;
    size_t differences = 0;
    std::vector<std::string> reasons;  // why it is not safe
    double seconds = 0;
};

// The runner's blocks of the status (api/runner_contract.h); the operator only reads them.
struct RunnerReports {
    bool fullCopyReported = false;  // status.fullCopy is there
    bool fullCopyDone = false;      // fullCopy.done: the whole copy is in the target
    double fullCopyPercent = 0;
    double bytesCopied = 0;
    int64_t tablesTotal = 0;
    int64_t tablesDone = 0;
    bool incrementalReported = false;  // status.incremental is there
    std::optional<double> lagSeconds;
    int64_t rowsApplied = 0;
    std::string appliedPosition;
    std::optional<Stalled> stalled;  // only with a reason
    bool safeMode = false;           // incremental.safeMode: conflicting rows are being replaced
    std::vector<SkippedDdl> skippedDdl;
    std::vector<PrecheckItem> precheckItems;
    std::optional<LastError> lastError;
    std::optional<CutoverReport> cutover;
};

// What the operator's own status fields say from earlier reconciles.
struct OperatorRecords {
    std::string phase;                // status.phase ("" for a new job)
    std::string stage;                // status.stage
    std::string cutoverToken;         // status.cutoverToken: the spec.cutover.token whose report is in
    Json conditions = Json::array();  // status.conditions
    std::optional<int64_t> capacity;  // status.capacity.current: the size of the last runner
    std::string restartToken;         // status.restartToken: the last one acted on
    int64_t restarts = 0;             // status.restarts
    bool hasStartTime = false;        // status.startTime
    bool hasCompletionTime = false;   // status.completionTime
    std::vector<std::string> ddlSkipsAnnounced;
};

struct JobView {
    explicit JobView(const Observed& o)
        : job(o.job), now(o.now), otherJobs(o.otherJobs), podEvents(o.podEvents), refused(o.refused) {}

    const Json& job;  // the MigrationJob as observed
    std::string name;
    std::string ns;
    std::string uid;
    int64_t generation = 1;
    bool hasFinalizer = false;
    bool deleting = false;         // metadata.deletionTimestamp is set
    bool keepCheckpoints = false;  // annotation tidemark.dev/keep-checkpoints=true
    std::string instanceKey;       // the key of the job's rows in the target's tidemark_meta
    std::string precheckKey;       // of the spec and recheck token as they are now
    std::string prechecked;        // annotation: the precheck key the conditions hold the result of
    std::string specError;         // why the runner would refuse the spec; "" when valid (or deleting)

    SpecFacts spec;
    Json status;  // as observed (an object); the plan diffs the operator's fields against it
    OperatorRecords recorded;
    RunnerReports runner;
    std::vector<PodView> pods;  // the job's runner pods, oldest first (creation, then name numbers)

    Clock::time_point now;
    const std::vector<Json>& otherJobs;
    const std::vector<Json>& podEvents;
    const std::optional<PodRefusal>& refused;

    // A condition as observed (status.conditions), or nullptr.
    const Json* observedCondition(const std::string& type) const;
    // Runner pods of `role` that are not being deleted, oldest first.
    std::vector<const PodView*> livePods(const std::string& role) const;
    bool hasPodNamed(const std::string& name) const;
};

// Reads the view once per reconcile. `settings` is needed only to check spec.runnerPod against
// the operator's template (specError). The view refers into `observed`, which must outlive it.
JobView readJobView(const Observed& observed, const Settings& settings);

}  // namespace tidemark::op::decision
