#include "operator/decide.h"

#include "runner/status/status_sink.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "api/migration_job.h"
#include "api/runner_contract.h"
#include "operator/pod_trouble.h"
#include "operator/runner_pod.h"

namespace tidemark::op {

namespace {

using namespace std::chrono_literals;

// A pending pod is looked at again this often: a missing Secret shows only in an Event, which
// changes nothing on the pod the informer watches.
constexpr std::chrono::milliseconds kPendingPoll = 3s;

bool isOneOf(const std::string& v, std::initializer_list<const char*> set) {
    return std::any_of(set.begin(), set.end(), [&](const char* s) { return v == s; });
}

using status::humanBytes;

std::string fmtNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
    return s;
}

std::string conditionReason(const Json& job, const std::string& type) {
    if (const Json* cs = at(job, "/status/conditions"); cs && cs->is_array())
        for (const auto& c : *cs)
            if (str(c, "/type") == type) return str(c, "/reason");
    return "";
}

// Whether another job blocks this one's target: a physical-mode full copy that has not finished
// on the same host:port. An older physical job that has not started yet also holds the target,
// so two jobs created together never both start.
bool holdsTargetFor(const Json& other, const Json& job) {
    if (str(other, "/metadata/uid") == str(job, "/metadata/uid")) return false;
    if (at(other, "/metadata/deletionTimestamp")) return false;
    if (str(other, "/spec/fullMode") != "Physical" || str(other, "/spec/type") == "Incremental") return false;
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    };
    // A bare host is namespace-relative in a cluster: compare it within the namespace.
    auto targetOf = [&](const Json& j) {
        std::string host = lower(str(j, "/spec/target/host"));
        if (host.find('.') == std::string::npos && host != "localhost") host += "." + str(j, "/metadata/namespace");
        return host + ":" + std::to_string(integer(j, "/spec/target/port", 4000));
    };
    if (targetOf(other) != targetOf(job)) return false;
    const std::string phase = str(other, "/status/phase");
    if (fullCopyComplete(other)) return false;
    if (isOneOf(phase, {"Prechecking", "Copying", "Paused"})) return true;
    if (phase.empty() || phase == "Pending") {
        const auto mine = std::make_tuple(str(job, "/metadata/creationTimestamp"), str(job, "/metadata/name"));
        const auto theirs = std::make_tuple(str(other, "/metadata/creationTimestamp"), str(other, "/metadata/name"));
        // Only an older waiting physical job holds the target, and only if it is not itself
        // blocked by the per-namespace limit (it would never start).
        return theirs < mine && conditionReason(other, "Validated") != "TooManyJobs";
    }
    return false;
}

class Reconcile {
public:
    Reconcile(const Observed& o, const Settings& s)
        : o_(o),
          s_(s),
          job_(o.job),
          name_(str(o.job, "/metadata/name")),
          ns_(str(o.job, "/metadata/namespace", "default")) {
        status_ = job_.value("status", Json::object());
        if (!status_.is_object()) status_ = Json::object();
        observedPhase_ = str(status_, "/phase");
        generation_ = integer(job_, "/metadata/generation", 1);
        conditions_ = status_.value("conditions", Json::array());
        if (!conditions_.is_array()) conditions_ = Json::array();
        for (const auto& p : o.pods) pods_.push_back(viewPod(p));
        std::sort(pods_.begin(), pods_.end(), [](const PodView& a, const PodView& b) {
            return a.createdAt == b.createdAt ? a.sequence() < b.sequence() : a.createdAt < b.createdAt;
        });
    }

    Decision run() {
        if (at(job_, "/metadata/deletionTimestamp")) return finalize();
        if (!hasFinalizer()) pre_.push_back(action::AddFinalizer{});
        desired_["observedGeneration"] = generation_;
        lifecycle();
        announceSkippedDdl();
        return finish();
    }

private:
    // ---- the lifecycle ---------------------------------------------------------------------

    // The runner records each DDL it skipped by spec.ddl.skip in status.incremental.skippedDdl;
    // each gets one Event, remembered in status.ddlSkipsAnnounced.
    void announceSkippedDdl() {
        const Json* skipped = at(status_, "/incremental/skippedDdl");
        if (!skipped || !skipped->is_array()) return;
        Json announced = Json::array();
        if (const Json* a = at(status_, "/ddlSkipsAnnounced"); a && a->is_array()) announced = *a;
        bool changed = false;
        for (const auto& entry : *skipped) {
            const std::string position = str(entry, "/position");
            if (position.empty() || std::find(announced.begin(), announced.end(), Json(position)) != announced.end())
                continue;
            event(true, "DdlSkipped",
                  "replay skipped the source DDL at " + position + " (spec.ddl.skip); the target does not have it: " +
                      str(entry, "/statement"));
            announced.push_back(position);
            changed = true;
        }
        if (changed) desired_["ddlSkipsAnnounced"] = announced;
    }

    void lifecycle() {
        // 1. The spec must parse as the runner will parse it, and its runnerPod as a pod shape.
        std::string invalid;
        try {
            api::parseManifest(manifestText(), "spec");
            runnerPodTemplateFor(job_, s_.runnerPod);
        } catch (const api::ManifestError& e) {
            invalid = e.what();
        } catch (const std::invalid_argument& e) {
            invalid = e.what();
        }
        if (!invalid.empty()) {
            stopAllPods();
            setPhase("Failed", "", "invalid spec");
            setCondition("Validated", "False", "InvalidSpec", invalid);
            setCondition("Ready", "False", "InvalidSpec", "the spec is invalid: " + invalid);
            eventOnConditionChange("Validated", "InvalidSpec", true, "the spec is invalid: " + invalid);
            return;
        }
        const bool started = !(observedPhase_.empty() || observedPhase_ == "Pending");

        // 2. The per-namespace job limit: jobs beyond it (in creation order) never start.
        if (!started) {
            const int rank = rankInNamespace();
            if (rank > s_.maxJobsPerNamespace) {
                stopAllPods();
                const std::string msg = "namespace " + ns_ + " already has " + std::to_string(s_.maxJobsPerNamespace) +
                    " MigrationJobs (the per-namespace limit); this job does nothing until one of "
                    "the older jobs is deleted";
                setPhase("Pending", "", "waiting: job limit");
                setCondition("Validated", "False", "TooManyJobs", msg);
                setCondition("Ready", "False", "TooManyJobs", msg);
                eventOnConditionChange("Validated", "TooManyJobs", true, msg);
                return;
            }
        }
        setCondition("Validated", "True", "Valid", "the spec is valid");

        // 3. Pause stops whatever runs; the target keeps the checkpoint.
        const bool paused = boolean(job_, "/spec/paused");
        if (paused && !isOneOf(observedPhase_, {"Failed", "PrecheckFailed", "Succeeded"})) {
            pause();
            return;
        }

        // 4. No second job on a target while a physical-mode full copy runs there.
        if (!started) {
            for (const auto& other : o_.otherJobs) {
                if (!holdsTargetFor(other, job_)) continue;
                const std::string msg = "waiting: job " + str(other, "/metadata/namespace") + "/" +
                    str(other, "/metadata/name") + " runs a physical-mode full copy into " +
                    str(job_, "/spec/target/host") + ":" + std::to_string(integer(job_, "/spec/target/port", 4000)) +
                    "; this job starts when that copy is done";
                stopAllPods();
                setPhase("Pending", "", "waiting: target busy");
                setCondition("Ready", "False", "TargetBusy", msg);
                eventOnConditionChange("Ready", "TargetBusy", false, msg);
                return;
            }
        }

        // 5. Precheck, once per spec and recheck token.
        if (!precheck()) return;

        // 6. The runner.
        runner();
    }

    void pause() {
        stopAllPods();
        // Capacity changes are accepted while paused and used on resume.
        const int desired = static_cast<int>(integer(job_, "/spec/capacity", 2));
        if (at(status_, "/capacity/current") && integer(status_, "/capacity/current") != desired) {
            desired_["capacity"] = {{"current", desired}};
            setCondition("CapacityApplied", "True", "Scaled",
                         "capacity " + std::to_string(desired) + " is used when the job resumes");
            event(false, "Scaled", "capacity set to " + std::to_string(desired) + " while paused");
        }
        setPhase("Paused", "", "paused");
        setCondition("Ready", "False", "Paused", "spec.paused is true: the runner is stopped, the checkpoint kept");
        if (observedPhase_ != "Paused")
            event(false, "Paused", "runner stopped; the position is kept in the target's checkpoint");
    }

    // Returns true when the precheck passed for the current spec and the runner may go on.
    bool precheck() {
        const std::string key = precheckKey(job_);
        const std::string checked = annotation(names::kAnnotationPrechecked);
        const Json* cond = condition("PrecheckPassed");
        const std::string condStatus = cond ? str(*cond, "/status") : "";
        const bool current = checked == key && (condStatus == "True" || condStatus == "False");

        if (current && condStatus == "True") {
            for (const auto& p : pods_)
                if (p.role == "precheck" && !p.deleting) deletePod(p.name);
            return true;
        }
        // A precheck pod that could not run failed the job: it stays failed until the spec changes
        // (a new restartToken, or a fix) and then starts from a fresh pod.
        bool restarting = false;
        if (observedPhase_ == "Failed" && isPodTroubleReason(str(status_, "/lastError/reason"))) {
            const Json* ready = observedCondition("Ready");
            if (ready && integer(*ready, "/observedGeneration") == generation_) {
                keepFailed();
                return false;
            }
            const std::string restartToken = str(job_, "/spec/restartToken");
            if (!restartToken.empty()) desired_["restartToken"] = restartToken;
            restarting = true;
        }
        if (current) {  // failed for this spec: wait for a change or a recheck
            for (const auto& p : pods_)
                if (!p.deleting && (p.role != "precheck" || p.precheckKey != key)) deletePod(p.name);
            setPhase("PrecheckFailed", "precheck", shortProgress(str(*cond, "/message")));
            setCondition("Ready", "False", "PrecheckFailed", str(*cond, "/message"));
            return false;
        }

        // A precheck is due: nothing else runs meanwhile.
        const PodView* mine = nullptr;
        for (const auto& p : pods_) {
            if (p.deleting) continue;
            if (p.role == "precheck" && p.precheckKey == key)
                mine = &p;  // the newest attempt wins (sorted by sequence)
            else deletePod(p.name);
        }
        for (const auto& p : pods_)
            if (mine && &p != mine && !p.deleting && p.role == "precheck" && p.precheckKey == key) deletePod(p.name);

        const std::string token = str(job_, "/spec/precheck/recheck");
        if (restarting && mine) {
            // A fresh pod under a name of its own: the failed one may still be there for kubectl logs.
            const auto seq = mine->sequence();
            deletePod(mine->name);
            startPrecheck(
                name_ + "-precheck-" + key.substr(0, 8) + "-" + std::to_string((seq.empty() ? 0 : seq.back()) + 1), key,
                0, token);
            return false;
        }
        if (!mine) {
            const std::string podName = name_ + "-precheck-" + key.substr(0, 8) + "-1";
            startPrecheck(podName, key, 0, token);
            return false;
        }
        const std::optional<PodTrouble> trouble = troubleOf(*mine);
        if (trouble && trouble->kind == PodTrouble::Kind::Permanent) {
            setCondition("PrecheckPassed", "Unknown", trouble->reason, trouble->message);
            failFor(*trouble, mine);
            return false;
        }
        if (!mine->terminated()) {
            setPhase("Prechecking", "precheck", trouble ? "waiting: " + trouble->reason : "running");
            if (trouble) {
                setCondition("PrecheckPassed", "Unknown", trouble->reason, trouble->message);
                waitingOn(*trouble, mine->retry + 1);
            } else {
                setCondition("PrecheckPassed", "Unknown", "Running", "the precheck runs in pod " + mine->name);
                setCondition("Ready", "False", "Prechecking", "the precheck runs");
                if (mine->phase == "Running") clearPodTroubleError();
            }
            if (mine->phase == "Pending") requeue(kPendingPoll);
            return false;
        }
        if (trouble) {  // OOM-killed or evicted: the precheck did not finish; run it again
            retry(
                *mine,
                [&](int nextRetry) {
                    startPrecheck(name_ + "-precheck-" + key.substr(0, 8) + "-" + std::to_string(nextRetry + 1), key,
                                  nextRetry, token);
                },
                &*trouble);
            if (desired_.value("phase", "") != "Prechecking") setPhase("Prechecking", "precheck", "retrying");
            return false;
        }
        clearPodTroubleError();
        const int code = *mine->exitCode;
        if (code == 0 || code == 1 || code == 2) {
            const auto [passed, summary] = precheckOutcome(code, *mine);
            pre_.push_back(action::PatchAnnotations{{{names::kAnnotationPrechecked, key}}});
            desiredPrecheck_["recheck"] = token;
            if (passed) {
                setCondition("PrecheckPassed", "True", "Passed", summary);
                event(false, "PrecheckPassed", summary);
                deletePod(mine->name);
                return true;
            }
            setCondition("PrecheckPassed", "False", "PrecheckFailed", summary);
            setPhase("PrecheckFailed", "precheck", shortProgress(summary));
            setCondition("Ready", "False", "PrecheckFailed", summary);
            event(true, "PrecheckFailed", summary);
            return false;  // the pod stays for `kubectl logs`
        }
        // Exit 3 or a crash: the precheck itself could not finish; retry with backoff.
        retry(*mine, [&](int nextRetry) {
            const std::string podName = name_ + "-precheck-" + key.substr(0, 8) + "-" + std::to_string(nextRetry + 1);
            startPrecheck(podName, key, nextRetry, token);
        });
        if (desired_.value("phase", "") != "Prechecking") setPhase("Prechecking", "precheck", "retrying");
        return false;
    }

    void startPrecheck(const std::string& podName, const std::string& key, int retryCount, const std::string& token) {
        if (waitForStoppingPod("Prechecking", "precheck")) return;
        if (const auto t = createRefusedOrBackingOff("Prechecking", "precheck")) {
            setCondition("PrecheckPassed", "Unknown", t->reason, t->message);
            return;
        }
        RunnerPodRequest r{"precheck", podName, static_cast<int>(integer(job_, "/spec/capacity", 2)),
                           retryCount, false,   key};
        auto built = buildRunnerPod(job_, r, s_);
        create_.push_back(action::CreatePod{std::move(built.pod), std::move(built.configMap)});
        desiredPrecheck_["recheck"] = token;
        if (retryCount == 0) desiredPrecheck_["items"] = nullptr;  // the old results no longer hold
        setPhase("Prechecking", "precheck", "starting");
        setCondition("PrecheckPassed", "Unknown", "Running", "the precheck runs in pod " + podName);
        setCondition("Ready", "False", "Prechecking", "the precheck runs");
        if (retryCount == 0) {
            std::string why = observedPhase_.empty() || observedPhase_ == "Pending"
                ? ""
                : " (the spec changed or a recheck was requested)";
            event(false, "PrecheckStarted", "precheck started in pod " + podName + why);
        }
    }

    // The result of a finished precheck pod, from its exit code and the items it reported.
    std::pair<bool, std::string> precheckOutcome(int code, const PodView& pod) const {
        std::vector<std::string> failed, warned;
        int passedItems = 0;
        if (const Json* items = at(status_, "/precheck/items"); items && items->is_array()) {
            for (const auto& it : *items) {
                const std::string state = str(it, "/state");
                if (state == "Failed") failed.push_back(str(it, "/name"));
                else if (state == "Warning") warned.push_back(str(it, "/name"));
                else ++passedItems;
            }
        }
        const bool ignoreWarnings = boolean(job_, "/spec/precheck/ignoreWarnings");
        const bool passed = code == 0 && failed.empty() && (ignoreWarnings || warned.empty());
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
            return s;
        };
        std::string summary;
        if (!failed.empty()) summary += std::to_string(failed.size()) + " failed (" + join(failed) + ")";
        if (!warned.empty())
            summary += std::string(summary.empty() ? "" : ", ") + std::to_string(warned.size()) + " warning" +
                (warned.size() > 1 ? "s" : "") + " (" + join(warned) + ")" + (ignoreWarnings ? " ignored" : "");
        if (passed) {
            return {true,
                    "precheck passed" + (summary.empty() ? "" : ": " + summary) +
                        (passedItems ? " (" + std::to_string(passedItems) + " items passed)" : "")};
        }
        if (summary.empty()) {
            const std::string err = runnerError();
            summary = code == 2 ? "the runner refused the job (exit 2, bad input)"
                                : "the precheck did not pass (exit " + std::to_string(code) + ")";
            if (!err.empty()) summary += ": " + err;
            summary += "; see kubectl logs " + pod.name;
        } else if (failed.empty() && !ignoreWarnings) {
            summary += "; fix them or set spec.precheck.ignoreWarnings";
        } else {
            summary += "; fix the Failed items";
        }
        return {false,
                "precheck failed: " + summary +
                    ", then set spec.precheck.recheck to a new value to check again (details: kubectl describe mj " +
                    name_ + ")"};
    }

    void runner() {
        const std::string token = str(job_, "/spec/restartToken");
        const bool restartRequested = !token.empty() && token != str(status_, "/restartToken");
        if (restartRequested) desired_["restartToken"] = token;

        const PodView* pod = nullptr;
        for (const auto& p : pods_) {
            if (p.deleting || p.role != "run") continue;
            if (pod) deletePod(pod->name);  // keep only the newest
            pod = &p;
        }

        if (observedPhase_ == "Succeeded") {
            setPhase("Succeeded", "done", "100%");
            return;
        }
        if (observedPhase_ == "Failed" && !restartRequested) {
            keepFailed();
            return;
        }
        if (observedPhase_ == "Failed" && restartRequested) {
            if (pod) deletePod(pod->name);
            startRun(/*retry=*/0, /*restart=*/true, "Restarting",
                     "restart requested (spec.restartToken): replay resumes from the checkpoint in safe mode");
            return;
        }
        if (restartRequested)
            event(false, "RestartTokenRecorded",
                  "spec.restartToken changed while the job is not failed: nothing to restart");

        if (!pod) {
            const Json* capacity = condition("CapacityApplied");
            if (capacity && str(*capacity, "/reason") == "Scaling") {
                startRun(0, false, "Scaled",
                         "capacity " + std::to_string(integer(job_, "/spec/capacity", 2)) + " applied");
            } else if (isOneOf(observedPhase_, {"Copying", "Replicating"})) {
                startRun(0, false, "RunnerReplaced",
                         "the runner pod was gone; started a new one, resuming from the checkpoint",
                         /*countRestart=*/true);
            } else if (observedPhase_ == "Paused") {
                startRun(0, false, "Resumed", "resumed from the checkpoint");
            } else {
                startRun(0, false, "Started", "");
            }
            return;
        }

        const std::optional<PodTrouble> trouble = troubleOf(*pod);
        if (trouble && trouble->kind == PodTrouble::Kind::Permanent) {
            failFor(*trouble, pod);
            return;
        }
        if (!pod->terminated()) {
            running(*pod, trouble);
            return;
        }
        if (trouble) {  // OOM-killed or evicted: the runner resumes from its checkpoint
            retry(
                *pod, [&](int nextRetry) { startRun(nextRetry, pod->restart, "", "", /*countRestart=*/true); },
                &*trouble);
            if (!desired_.contains("phase")) setPhase(runPhase(), stageFor(runPhase()), progressFor(runPhase()));
            return;
        }
        clearPodTroubleError();
        const int code = *pod->exitCode;
        const bool full = str(job_, "/spec/type") == "Full";
        const bool reportedIncomplete = at(status_, "/fullCopy") && !fullCopyComplete(job_);
        if (code == 0 && full && !reportedIncomplete) {
            setPhase("Succeeded", "done", "100%");
            setCondition("FullCopyComplete", "True", "Copied", "the full copy finished");
            setCondition("Ready", "True", "Succeeded", "the full copy finished");
            event(false, "Succeeded", "the full copy finished");
            return;
        }
        if (code == 1 || code == 2) {
            const std::string reason = runnerError().empty() ? (code == 2 ? "BadInput" : "RunnerFailed")
                                                             : str(status_, "/lastError/reason", "RunnerFailed");
            std::string message = runnerError();
            if (message.empty()) message = "the runner exited with code " + std::to_string(code);
            message += " (pod " + pod->name + "); fix the cause, then set spec.restartToken to a new value to restart";
            setPhase("Failed", "", reason);
            setCondition("Ready", "False", validReason(reason), message);
            event(true, "Failed", reason + ": " + message);
            return;
        }
        // Exit 3, a crash, a kill, or a replicating runner that ended by itself: retry.
        retry(*pod, [&](int nextRetry) { startRun(nextRetry, pod->restart, "", "", /*countRestart=*/true); });
        if (!desired_.contains("phase")) setPhase(runPhase(), stageFor(runPhase()), progressFor(runPhase()));
    }

    void keepFailed() {
        setPhase("Failed", "", str(status_, "/lastError/reason", "Failed"));
        const Json* ready = condition("Ready");
        if (!ready || str(*ready, "/status") != "False") {
            setCondition("Ready", "False", "Failed",
                         "the job failed; set spec.restartToken to a new value to restart it");
        }
    }

    // A runner that is up: phase from its reports, capacity changes applied or refused.
    void running(const PodView& pod, const std::optional<PodTrouble>& trouble) {
        const std::string phase = runPhase();
        setPhase(phase, stageFor(phase), trouble ? "waiting: " + trouble->reason : progressFor(phase));
        if (observedPhase_ == "Copying" && phase == "Replicating")
            event(false, "FullCopyComplete", "the full copy is done; replicating from the source's binlog");
        conditionsForRun(phase, pod);
        if (trouble) waitingOn(*trouble, pod.retry + 1);
        else if (pod.phase == "Running") clearPodTroubleError();
        if (pod.phase == "Pending") requeue(kPendingPoll);

        const int desired = static_cast<int>(integer(job_, "/spec/capacity", 2));
        const int current = pod.capacity ? pod.capacity : desired;
        if (desired != current) {
            if (scalingAllowed(phase)) {
                deletePod(pod.name);
                setCondition("CapacityApplied", "False", "Scaling",
                             "restarting the runner with capacity " + std::to_string(desired) + " (was " +
                                 std::to_string(current) + ")");
                event(false, "Scaling",
                      "capacity " + std::to_string(current) + " -> " + std::to_string(desired) +
                          ": restarting the runner from its checkpoint");
            } else {
                const std::string msg = "capacity " + std::to_string(desired) +
                    " is refused during the snapshot export (phase Copying); the runner keeps capacity " +
                    std::to_string(current) + ". Scale while Replicating or Paused, or set spec.capacity back to " +
                    std::to_string(current);
                setCondition("CapacityApplied", "False", "ScaleRefused", msg);
                eventOnConditionChange("CapacityApplied", "ScaleRefused", true, msg);
            }
        } else {
            setCondition("CapacityApplied", "True", "Applied", "the runner uses capacity " + std::to_string(current));
        }
        if (!at(status_, "/capacity/current") || integer(status_, "/capacity/current") != current)
            desired_["capacity"] = {{"current", current}};
    }

    void conditionsForRun(const std::string& phase, const PodView& pod) {
        const bool copies = str(job_, "/spec/type") != "Incremental";
        if (copies) {
            if (fullCopyComplete(job_) || phase == "Replicating")
                setCondition("FullCopyComplete", "True", "Copied", "the full copy finished");
            else setCondition("FullCopyComplete", "False", "Copying", progressFor("Copying"));
        }
        if (str(job_, "/spec/type") != "Full") {
            const double lag = number(status_, "/incremental/lagSeconds", -1);
            // The runner says replay is stalled (target or source unavailable, a long DDL, a
            // blocked batch) within 30 s, and lag keeps growing meanwhile (replay/progress.h).
            const Json* stalled = at(status_, "/incremental/stalled");
            const bool isStalled = phase == "Replicating" && stalled && stalled->is_object() &&
                !str(*stalled, "/reason").empty();
            if (isStalled) {
                const std::string reason = str(*stalled, "/reason");
                const std::string msg = str(*stalled, "/message") +
                    (str(*stalled, "/since").empty() ? "" : " (since " + str(*stalled, "/since") + ")") +
                    (lag >= 0 ? "; replay lag " + fmtNumber(lag) + "s" : "");
                setCondition("Stalled", "True", reason, msg);
                eventOnConditionChange("Stalled", reason, true, "replay is stalled: " + msg);
                setCondition("Synced", "False", "Stalled", msg);
            } else if (phase == "Replicating") {
                const Json* before = observedCondition("Stalled");
                if (before && str(*before, "/status") == "True")
                    event(false, "Flowing", "replay flows again (it was stalled: " + str(*before, "/message") + ")");
                setCondition("Stalled", "False", "Flowing", "replay is applying the source's changes");
            }
            if (isStalled) return setReady(phase, pod);
            if (phase == "Replicating" && lag >= 0 && lag <= s_.syncedLagSeconds)
                setCondition("Synced", "True", "CaughtUp", "replay lag " + fmtNumber(lag) + "s");
            else if (phase == "Replicating")
                setCondition("Synced", "False", "CatchingUp",
                             lag < 0 ? "replay starting" : "replay lag " + fmtNumber(lag) + "s");
            else setCondition("Synced", "False", "Copying", "replay starts after the full copy");
        }
        setReady(phase, pod);
    }

    void setReady(const std::string& phase, const PodView& pod) {
        if (pod.phase == "Running")
            setCondition("Ready", "True", phase,
                         "runner pod " + pod.name + " is " + (phase == "Copying" ? "copying" : "replicating"));
        else setCondition("Ready", "False", "RunnerStarting", "runner pod " + pod.name + " is starting");
    }

    void startRun(int retryCount, bool restart, const std::string& reason, const std::string& message,
                  bool countRestart = false) {
        if (waitForStoppingPod(runPhase(), stageFor(runPhase()))) return;
        if (createRefusedOrBackingOff(runPhase(), stageFor(runPhase()))) return;
        if (countRestart) desired_["restarts"] = integer(status_, "/restarts") + 1;
        // Named for the generation and restart count it runs for, so a replacement never reuses the
        // name of the pod before it (kubectl logs of both stay apart).
        const int64_t restarts = countRestart ? integer(status_, "/restarts") + 1 : integer(status_, "/restarts");
        const std::string base = name_ + "-run-" + std::to_string(generation_) + "-" + std::to_string(restarts);
        std::string podName = base;
        for (int n = 2; std::any_of(pods_.begin(), pods_.end(), [&](const PodView& p) { return p.name == podName; });
             ++n)
            podName = base + "-" + std::to_string(n);
        const int capacity = capacityForNewRunner();
        RunnerPodRequest r{"run", podName, capacity, retryCount, restart, ""};
        auto built = buildRunnerPod(job_, r, s_);
        create_.push_back(action::CreatePod{std::move(built.pod), std::move(built.configMap)});
        desired_["capacity"] = {{"current", capacity}};
        const std::string phase = runPhase();
        setPhase(phase, stageFor(phase), progressFor(phase));
        setCondition("Ready", "False", "RunnerStarting", "runner pod " + podName + " is starting");
        if (integer(job_, "/spec/capacity", 2) == capacity)
            setCondition("CapacityApplied", "True", "Applied", "the runner uses capacity " + std::to_string(capacity));
        if (!reason.empty()) {
            const std::string what = phase == "Copying" ? "full copy" : "replication";
            event(false, reason,
                  (message.empty() ? "" : message + "; ") + "runner pod " + podName + " started (" + what +
                      ", capacity " + std::to_string(capacity) + ")");
        }
    }

    // Two runners never overlap on a target: a new pod waits until every pod being stopped (now
    // or before) has ended. Returns true when it must wait.
    bool waitForStoppingPod(const std::string& phase, const std::string& stage) {
        for (const auto& p : pods_) {
            bool stopping = p.deleting;
            for (const auto& a : pre_)
                if (auto d = std::get_if<action::DeletePod>(&a); d && d->name == p.name) stopping = true;
            if (!stopping || p.terminated()) continue;
            setPhase(phase, stage, "waiting for runner pod " + p.name + " to stop");
            setCondition("Ready", "False", "RunnerStopping", "waiting for runner pod " + p.name + " to stop");
            requeue(1s);
            return true;
        }
        return false;
    }

    // A retry of a pod that ended retryably, after base * 2^retry (capped) from when it ended.
    // A trouble (OOM-killed, evicted) names the cause instead of the exit code, and is recorded
    // in status.lastError with the attempts so far.
    template <typename Start>
    void retry(const PodView& pod, Start start, const PodTrouble* trouble = nullptr) {
        const auto due = pod.finishedAt.value_or(pod.createdAt) + backoff(pod.retry);
        const std::string why = trouble ? trouble->message
                                        : "runner pod " + pod.name + " exited with code " +
                std::to_string(*pod.exitCode) + (runnerError().empty() ? "" : ": " + runnerError());
        const std::string reason = trouble ? trouble->reason : "BackingOff";
        if (trouble) setLastError(*trouble, pod.retry + 1);
        if (o_.now >= due) {
            deletePod(pod.name);
            start(pod.retry + 1);
            event(true, "Retrying", why + "; retry " + std::to_string(pod.retry + 1));
            return;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - o_.now);
        requeue(left + 50ms);
        const std::string msg = why + "; retry " + std::to_string(pod.retry + 1) + " in " +
            std::to_string((left.count() + 999) / 1000) + "s";
        setCondition("Ready", "False", reason, msg);
        eventOnConditionChange("Ready", reason, true, msg);
    }

    std::chrono::seconds backoff(int attemptsBefore) const {
        return std::min<std::chrono::seconds>(s_.retryCap, s_.retryBase * (1LL << std::clamp(attemptsBefore, 0, 20)));
    }

    // ---- runner pods that cannot start -----------------------------------------------------

    std::optional<PodTrouble> troubleOf(const PodView& pod) const { return podTrouble(pod, o_.podEvents, job_, s_); }

    // A pod that waits on something only the user can fix (a Secret, an image): say so, keep it.
    void waitingOn(const PodTrouble& t, int attempts) {
        setCondition("Ready", "False", t.reason, t.message);
        eventOnConditionChange("Ready", t.reason, true, t.message);
        setLastError(t, attempts);
    }

    // A trouble no retry mends: the job fails with it; a new spec.restartToken tries again.
    void failFor(const PodTrouble& t, const PodView* pod) {
        if (pod && !pod->terminated() && !pod->deleting) deletePod(pod->name);  // would wait forever
        setPhase("Failed", "", t.reason);
        setCondition("Ready", "False", t.reason, t.message);
        event(true, t.reason, t.message);
        setLastError(t, pod ? pod->retry + 1 : 1);
    }

    // Before creating a pod: a refusal of the create just now (observed.refused) is recorded and
    // backed off from; after a retryable refusal, creates wait until the backoff has passed.
    // Returns the refusal when nothing may be created now.
    std::optional<PodTrouble> createRefusedOrBackingOff(const std::string& phase, const std::string& stage) {
        const std::string lastReason = str(status_, "/lastError/reason");
        const int64_t lastAttempts = integer(status_, "/lastError/attempts", 1);
        if (o_.refused) {
            auto t = refusalTrouble(*o_.refused, job_, s_);
            if (!t)
                t = PodTrouble{PodTrouble::Kind::Retry, "PodRejected",
                               "the API server refused runner pod " + o_.refused->podName + ": " + o_.refused->message};
            const int attempts = lastReason == t->reason ? static_cast<int>(lastAttempts) + 1 : 1;
            if (t->kind == PodTrouble::Kind::Permanent) {
                failFor(*t, nullptr);
                return t;
            }
            setLastError(*t, attempts, /*fresh=*/true);
            requeue(backoff(attempts - 1));
            backingOffFromRefusal(*t, attempts, phase, stage);
            return t;
        }
        if (lastReason != "ServiceAccountMissing" && lastReason != "QuotaExceeded") return std::nullopt;
        const auto since = parseTime(str(status_, "/lastError/time"));
        if (!since) return std::nullopt;
        const auto due = *since + backoff(static_cast<int>(lastAttempts) - 1);
        if (o_.now >= due) return std::nullopt;  // try again
        const PodTrouble t{PodTrouble::Kind::Retry, lastReason, str(status_, "/lastError/message")};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - o_.now);
        requeue(left + 50ms);
        backingOffFromRefusal(t, static_cast<int>(lastAttempts), phase, stage);
        return t;
    }

    void backingOffFromRefusal(const PodTrouble& t, int attempts, const std::string& phase, const std::string& stage) {
        setPhase(phase, stage, "waiting: " + t.reason);
        // The message must not change with the clock, or every reconcile would patch the status.
        const std::string msg = t.message + " (attempt " + std::to_string(attempts) + "; retried with backoff)";
        setCondition("Ready", "False", t.reason, msg);
        eventOnConditionChange("Ready", t.reason, true, t.message);
    }

    // status.lastError for a runner that could not run (the runner cannot write it then). The time
    // stays while the same error persists, so an unchanged trouble patches nothing.
    void setLastError(const PodTrouble& t, int attempts, bool fresh = false) {
        Json e = {{"reason", t.reason},
                  {"message", t.message},
                  {"retryable", t.kind != PodTrouble::Kind::Permanent},
                  {"attempts", attempts},
                  {"time", formatTime(o_.now)}};
        const Json* had = at(status_, "/lastError");
        if (!fresh && had && str(*had, "/reason") == t.reason && str(*had, "/message") == t.message &&
            integer(*had, "/attempts") == attempts && at(*had, "/time"))
            e["time"] = (*had)["time"];
        desired_["lastError"] = e;
    }

    // A cause the user fixed (a Secret, an image, a ServiceAccount) is gone once a runner runs (or
    // ends on its own); an OOM kill or eviction stays as the last error that slowed the job.
    void clearPodTroubleError() {
        if (desired_.contains("lastError")) return;
        const std::string reason = str(status_, "/lastError/reason");
        if (isPodTroubleReason(reason) && reason != "OOMKilled" && reason != "Evicted") desired_["lastError"] = nullptr;
    }

    // The runner's own last error; never one the operator wrote about a pod that could not run.
    std::string runnerError() const {
        if (isPodTroubleReason(str(status_, "/lastError/reason"))) return "";
        return str(status_, "/lastError/message");
    }

    // ---- derived values --------------------------------------------------------------------

    std::string runPhase() const {
        const std::string type = str(job_, "/spec/type", "FullAndIncremental");
        if (type == "Incremental") return "Replicating";
        if (type == "Full") return "Copying";
        if (fullCopyComplete(job_) || !str(status_, "/incremental/appliedPosition").empty()) return "Replicating";
        return "Copying";
    }

    static std::string stageFor(const std::string& phase) {
        return phase == "Replicating" ? "replay" : phase == "Copying" ? "copy" : "";
    }

    std::string progressFor(const std::string& phase) const {
        if (phase == "Copying") {
            if (!at(status_, "/fullCopy")) return "starting";
            std::string s = fmtNumber(number(status_, "/fullCopy/percent")) + "% " +
                humanBytes(number(status_, "/fullCopy/bytesCopied"));
            const int64_t total = integer(status_, "/fullCopy/tablesTotal");
            if (total > 0)
                s += ", " + std::to_string(integer(status_, "/fullCopy/tablesDone")) + "/" + std::to_string(total) +
                    " tables";
            return s;
        }
        if (phase == "Replicating") {
            if (!at(status_, "/incremental")) return "starting";
            return "lag " + fmtNumber(number(status_, "/incremental/lagSeconds")) + "s, " +
                std::to_string(integer(status_, "/incremental/rowsApplied")) + " rows applied";
        }
        return "";
    }

    bool scalingAllowed(const std::string& phase) const {
        return phase == "Replicating" || (phase == "Copying" && fullCopyComplete(job_));
    }

    int capacityForNewRunner() const {
        const int desired = static_cast<int>(integer(job_, "/spec/capacity", 2));
        if (!at(status_, "/capacity/current")) return desired;
        const int current = static_cast<int>(integer(status_, "/capacity/current"));
        // A runner replaced during the snapshot export keeps the capacity the export started with.
        if (runPhase() == "Copying" && !fullCopyComplete(job_) && observedPhase_ != "Paused") return current;
        return desired;
    }

    int rankInNamespace() const {
        const auto mine = std::make_tuple(str(job_, "/metadata/creationTimestamp"), name_);
        int older = 0;
        for (const auto& other : o_.otherJobs) {
            if (str(other, "/metadata/uid") == str(job_, "/metadata/uid")) continue;
            if (str(other, "/metadata/namespace", "default") != ns_) continue;
            if (at(other, "/metadata/deletionTimestamp")) continue;
            if (std::make_tuple(str(other, "/metadata/creationTimestamp"), str(other, "/metadata/name")) < mine)
                ++older;
        }
        return older + 1;
    }

    std::string manifestText() const {
        Json metadata = {{"name", name_}, {"namespace", ns_}};
        // The instance-id annotation is validated like the runner will (an empty one too).
        if (const Json* a = at(job_, "/metadata/annotations"); a && a->is_object() && a->contains(api::kInstanceAnnotation))
            metadata["annotations"] = {{api::kInstanceAnnotation, (*a)[api::kInstanceAnnotation]}};
        Json m = {{"apiVersion", "tidemark.dev/v1alpha1"},
                  {"kind", "MigrationJob"},
                  {"metadata", metadata},
                  {"spec", job_.value("spec", Json::object())}};
        return m.dump();
    }

    // The printer column: "1 failed (target_connection)" rather than the whole instruction.
    static std::string shortProgress(std::string msg) {
        const std::string prefix = "precheck failed: ";
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
        for (const char* cut : {"; ", ", then "})
            if (auto at = msg.find(cut); at != std::string::npos) msg.resize(at);
        if (msg.size() > 80) msg = msg.substr(0, 77) + "...";
        return msg;
    }

    static std::string validReason(std::string r) {
        r.erase(std::remove_if(r.begin(), r.end(), [](unsigned char c) { return !std::isalnum(c) && c != '_'; }),
                r.end());
        if (r.empty() || !std::isalpha(static_cast<unsigned char>(r[0]))) r = "RunnerFailed" + r;
        return r;
    }

    // ---- bookkeeping -----------------------------------------------------------------------

    std::string annotation(const char* key) const {
        const Json* a = at(job_, "/metadata/annotations");
        if (a && a->contains(key) && (*a)[key].is_string()) return (*a)[key].get<std::string>();
        return "";
    }

    bool hasFinalizer() const {
        const Json* f = at(job_, "/metadata/finalizers");
        return f && f->is_array() && std::find(f->begin(), f->end(), Json(names::kFinalizer)) != f->end();
    }

    const Json* condition(const std::string& type) const {
        for (const auto& c : conditions_)
            if (str(c, "/type") == type) return &c;
        return nullptr;
    }

    const Json* observedCondition(const std::string& type) const {
        if (const Json* cs = at(status_, "/conditions"); cs && cs->is_array())
            for (const auto& c : *cs)
                if (str(c, "/type") == type) return &c;
        return nullptr;
    }

    void setCondition(const std::string& type, const std::string& status, const std::string& reason,
                      std::string message) {
        if (message.size() > 32000) message.resize(32000);
        Json c = {{"type", type},
                  {"status", status},
                  {"reason", reason},
                  {"message", message},
                  {"observedGeneration", generation_},
                  {"lastTransitionTime", formatTime(o_.now)}};
        for (auto& existing : conditions_) {
            if (str(existing, "/type") != type) continue;
            if (str(existing, "/status") == status && at(existing, "/lastTransitionTime"))
                c["lastTransitionTime"] = existing["lastTransitionTime"];
            existing = c;
            return;
        }
        conditions_.push_back(c);
    }

    // An event when the condition's reason is new compared with what was observed.
    void eventOnConditionChange(const std::string& type, const std::string& reason, bool warning,
                                const std::string& message) {
        const Json* before = observedCondition(type);
        if (before && str(*before, "/reason") == reason) return;
        event(warning, reason, message);
    }

    void setPhase(const std::string& phase, const std::string& stage, const std::string& progress) {
        desired_["phase"] = phase;
        desired_["stage"] = stage;
        desired_["progress"] = progress;
    }

    void event(bool warning, const std::string& reason, const std::string& message) {
        events_.push_back(action::Event{warning, reason, message});
    }

    void deletePod(const std::string& name) {
        for (const auto& a : pre_)
            if (auto d = std::get_if<action::DeletePod>(&a); d && d->name == name) return;
        pre_.push_back(action::DeletePod{name});
    }

    void stopAllPods() {
        for (const auto& p : pods_)
            if (!p.deleting) deletePod(p.name);
    }

    void requeue(std::chrono::milliseconds after) {
        if (!requeue_ || after < *requeue_) requeue_ = after;
    }

    // Deletion: stop the runner, then (unless the job never ran one, or the user keeps its
    // progress) run a `forget` pod that deletes the instance's rows from the target's
    // tidemark_meta, and only then let the job go. A forget that cannot succeed is retried with
    // backoff and says why; the keep-checkpoints annotation lets the job go at once.
    Decision finalize() {
        Decision d;
        d.phase = observedPhase_;
        bool stopping = false;
        bool runnersLeft = false;
        for (const auto& p : pods_) {
            if (p.role == names::kRoleCleanup) continue;
            runnersLeft = true;
            if (p.deleting) continue;
            d.actions.push_back(action::DeletePod{p.name});
            stopping = true;
        }
        if (stopping)
            d.actions.push_back(action::Event{false, "Stopping", "the job is being deleted: stopping its runner"});
        if (runnersLeft) {
            d.requeueAfter = 2s;
            return d;
        }
        auto letGo = [&] {
            if (hasFinalizer()) d.actions.push_back(action::RemoveFinalizer{});
            return d;
        };
        const bool keep = annotation(names::kAnnotationKeepCheckpoints) == "true";
        if (keep || !ranRunner()) return letGo();
        if (o_.refused) {
            d.actions.push_back(action::Event{true, "CheckpointsKept",
                                              "the API server refused the cleanup pod (" + o_.refused->message +
                                                  "); the job's rows in the target's tidemark_meta stay (job key " +
                                                  instanceKey() + ")"});
            return letGo();
        }
        const PodView* last = nullptr;
        for (const auto& p : pods_)
            if (p.role == names::kRoleCleanup && !p.deleting) last = &p;
        if (!last) {
            startCleanup(d, 0);
            return d;
        }
        if (!last->terminated()) {
            d.requeueAfter = 2s;
            return d;
        }
        if (last->exitCode == 0) {
            d.actions.push_back(action::Event{false, "CheckpointsDeleted",
                                              "deleted the job's rows from the target's tidemark_meta (job key " +
                                                  instanceKey() + ")"});
            return letGo();
        }
        if (last->exitCode == 2) {
            // The spec or its Secrets cannot be used: no retry can pass.
            d.actions.push_back(action::Event{true, "CheckpointsKept",
                                              "cleanup pod " + last->name + " could not read the job (" +
                                                  runnerError() + "); the job's rows in the target's tidemark_meta "
                                                  "stay (job key " + instanceKey() + ")"});
            return letGo();
        }
        const auto due = last->finishedAt.value_or(last->createdAt) + backoff(last->retry);
        const std::string why = "cleanup pod " + last->name + " failed" +
            (last->exitCode ? " with exit code " + std::to_string(*last->exitCode) : std::string()) +
            (runnerError().empty() ? "" : ": " + runnerError()) + "; set the annotation " +
            names::kAnnotationKeepCheckpoints + "=true to delete the job without deleting its checkpoints";
        if (o_.now >= due) {
            d.actions.push_back(action::DeletePod{last->name});
            d.actions.push_back(action::Event{true, "CleanupRetrying", why});
            startCleanup(d, last->retry + 1);
            return d;
        }
        d.requeueAfter = std::chrono::duration_cast<std::chrono::milliseconds>(due - o_.now) + 50ms;
        return d;
    }

    // The job ran a runner at some point (only runners write tidemark_meta).
    bool ranRunner() const {
        return at(status_, "/capacity/current") || at(status_, "/fullCopy") || at(status_, "/incremental");
    }

    // The key the runner's rows carry (api/migration_job.h): the annotation, else the uid.
    std::string instanceKey() const {
        std::string instance = annotation(api::kInstanceAnnotation);
        if (instance.empty()) instance = str(job_, "/metadata/uid");
        return api::instanceKey(name_, ns_, instance);
    }

    void startCleanup(Decision& d, int retryCount) {
        RunnerPodRequest r{names::kRoleCleanup, name_ + "-cleanup-" + std::to_string(retryCount + 1), 2, retryCount, false,
                           ""};
        auto built = buildRunnerPod(job_, r, s_);
        d.actions.push_back(action::CreatePod{std::move(built.pod), std::move(built.configMap)});
        d.requeueAfter = 2s;
    }

    // Succeeded and Failed, for `kubectl wait --for=condition=...`, and the job's start and
    // completion times.
    void terminalConditions(const std::string& phase) {
        if (!isOneOf(phase, {"", "Pending"}) && !at(status_, "/startTime")) desired_["startTime"] = formatTime(o_.now);
        std::string why = str(status_, "/lastError/message");
        if (const Json* ready = [&]() -> const Json* {
                for (const auto& c : conditions_)
                    if (str(c, "/type") == "Ready") return &c;
                return nullptr;
            }())
            why = str(*ready, "/message");
        if (phase == "Succeeded") {
            if (!at(status_, "/completionTime")) desired_["completionTime"] = formatTime(o_.now);
            setCondition("Succeeded", "True", "Completed", "the full copy finished");
            setCondition("Failed", "False", "Completed", "the job succeeded");
        } else if (phase == "Failed" || phase == "PrecheckFailed") {
            std::string reason = str(status_, "/lastError/reason");
            if (phase == "PrecheckFailed" || reason.empty()) reason = phase;
            setCondition("Failed", "True", reason, why);
            setCondition("Succeeded", "False", phase, why);
        } else {
            const bool replicates = str(job_, "/spec/type") != "Full";
            setCondition("Failed", "False", "NoFailure", "the job has not failed");
            setCondition("Succeeded", "False", replicates ? "Replicates" : "InProgress",
                         replicates ? "a job that replicates runs until it is deleted" : "the full copy has not finished");
        }
    }

    Decision finish() {
        Decision d;
        d.phase = desired_.value("phase", observedPhase_);
        d.actions = std::move(pre_);

        terminalConditions(d.phase);
        Json patch = Json::object();
        desired_["conditions"] = conditions_;
        for (auto& [key, value] : desired_.items()) {
            if (!status_.contains(key) || status_[key] != value) patch[key] = value;
        }
        for (auto& [key, value] : desiredPrecheck_.items()) {
            const Json* had = at(status_, ("/precheck/" + key).c_str());
            if (!had && value.is_string() && value.get<std::string>().empty()) continue;  // no token yet
            if ((had ? *had : Json()) != value) patch["precheck"][key] = value;
        }
        if (!patch.empty()) d.actions.push_back(action::PatchStatus{patch});
        for (auto& c : create_) d.actions.push_back(std::move(c));

        // Every phase change gets an event, even where no specific one was emitted.
        if (d.phase != observedPhase_ && events_.empty())
            event(d.phase == "Failed" || d.phase == "PrecheckFailed", d.phase,
                  "phase " + (observedPhase_.empty() ? std::string("(new)") : observedPhase_) + " -> " + d.phase);
        for (auto& e : events_) d.actions.push_back(std::move(e));
        d.requeueAfter = requeue_;
        return d;
    }

    const Observed& o_;
    const Settings& s_;
    const Json& job_;
    std::string name_, ns_;
    Json status_;
    std::string observedPhase_;
    int64_t generation_ = 1;
    std::vector<PodView> pods_;
    Json conditions_;
    Json desired_ = Json::object();          // operator-owned status fields
    Json desiredPrecheck_ = Json::object();  // status.precheck.recheck / items
    std::vector<Action> pre_;                // finalizer, deletions, annotations: before the status
    std::vector<Action> create_;             // after the status
    std::vector<Action> events_;             // last
    std::optional<std::chrono::milliseconds> requeue_;
};

}  // namespace

bool fullCopyComplete(const Json& job) {
    namespace contract = api::contract;
    const Json* fc = at(job, ("/status/" + std::string(contract::kBlockFullCopy)).c_str());
    return fc && boolean(*fc, ("/" + std::string(contract::kFullCopyDone)).c_str());
}

Decision decide(const Observed& observed, const Settings& settings) { return Reconcile(observed, settings).run(); }

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
