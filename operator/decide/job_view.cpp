#include "operator/decide/job_view.h"

#include "operator/decide.h"

#include <algorithm>

#include "api/migration_job.h"
#include "api/runner_contract.h"
#include "operator/runner_pod.h"

namespace tidemark::op::decision {

namespace contract = api::contract;

namespace {

std::string annotation(const Json& job, const char* key) {
    const Json* a = at(job, "/metadata/annotations");
    if (a && a->contains(key) && (*a)[key].is_string()) return (*a)[key].get<std::string>();
    return "";
}

// status.<name> when it is there (not null), for the runner's blocks named in the contract.
const Json* member(const Json& object, std::string_view name) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(std::string(name));
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

bool hasFinalizer(const Json& job) {
    const Json* f = at(job, "/metadata/finalizers");
    return f && f->is_array() && std::find(f->begin(), f->end(), Json(names::kFinalizer)) != f->end();
}

// The spec as the runner will read it: a manifest of this job's name, namespace, instance-id
// annotation (validated like the runner will, an empty one too) and spec.
std::string manifestText(const Json& job, const std::string& name, const std::string& ns) {
    Json metadata = {{"name", name}, {"namespace", ns}};
    if (const Json* a = at(job, "/metadata/annotations"); a && a->is_object() && a->contains(api::kInstanceAnnotation))
        metadata["annotations"] = {{api::kInstanceAnnotation, (*a)[api::kInstanceAnnotation]}};
    Json m = {{"apiVersion", "tidemark.dev/v1alpha1"},
              {"kind", "MigrationJob"},
              {"metadata", metadata},
              {"spec", job.value("spec", Json::object())}};
    return m.dump();
}

// The spec must parse as the runner will parse it, and its runnerPod as a pod shape.
std::string specError(const Json& job, const std::string& name, const std::string& ns, const Settings& settings) {
    try {
        api::parseManifest(manifestText(job, name, ns), "spec");
        runnerPodTemplateFor(job, settings.runnerPod);
    } catch (const api::ManifestError& e) {
        return e.what();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

SpecFacts readSpec(const Json& job) {
    SpecFacts s;
    s.type = str(job, "/spec/type", s.type);
    s.paused = boolean(job, "/spec/paused");
    s.capacity = static_cast<int>(integer(job, "/spec/capacity", 2));
    s.restartToken = str(job, "/spec/restartToken");
    s.recheckToken = str(job, "/spec/precheck/recheck");
    s.ignoreWarnings = boolean(job, "/spec/precheck/ignoreWarnings");
    s.targetHost = str(job, "/spec/target/host");
    s.targetPort = integer(job, "/spec/target/port", 4000);
    s.cutoverToken = str(job, "/spec/cutover/token");
    s.cutoverStopAt = str(job, "/spec/cutover/stopAt", "now");
    s.cutoverContinue = str(job, "/spec/cutover/afterwards") == "Continue";
    return s;
}

OperatorRecords readRecords(const Json& status) {
    OperatorRecords r;
    r.phase = str(status, "/phase");
    r.stage = str(status, "/stage");
    r.cutoverToken = str(status, "/cutoverToken");
    r.conditions = status.value("conditions", Json::array());
    if (!r.conditions.is_array()) r.conditions = Json::array();
    if (at(status, "/capacity/current")) r.capacity = integer(status, "/capacity/current");
    r.restartToken = str(status, "/restartToken");
    r.restarts = integer(status, "/restarts");
    r.hasStartTime = at(status, "/startTime") != nullptr;
    r.hasCompletionTime = at(status, "/completionTime") != nullptr;
    if (const Json* a = at(status, "/ddlSkipsAnnounced"); a && a->is_array())
        for (const auto& position : *a)
            if (position.is_string()) r.ddlSkipsAnnounced.push_back(position.get<std::string>());
    return r;
}

std::optional<LastError> readLastError(const Json& status) {
    const Json* e = member(status, contract::kBlockLastError);
    if (!e) return std::nullopt;
    LastError l{str(*e, "/reason"), str(*e, "/message"), std::nullopt, std::nullopt};
    if (at(*e, "/attempts")) l.attempts = integer(*e, "/attempts");
    if (at(*e, "/time")) l.time = str(*e, "/time");
    return l;
}

std::optional<CutoverReport> readCutover(const Json& status) {
    const Json* c = member(status, contract::kBlockCutover);
    if (!c || !c->is_object()) return std::nullopt;
    CutoverReport r;
    r.state = str(*c, "/state");
    r.stopPosition = str(*c, "/stopPosition");
    r.gtidSet = str(*c, "/gtidSet");
    r.rowsCompared = integer(*c, "/rowsCompared");
    r.seconds = number(*c, "/seconds");
    if (const Json* d = at(*c, "/differences"); d && d->is_array()) r.differences = d->size();
    if (const Json* reasons = at(*c, "/reasons"); reasons && reasons->is_array())
        for (const auto& reason : *reasons)
            if (reason.is_string()) r.reasons.push_back(reason.get<std::string>());
    return r;
}

RunnerReports readRunnerReports(const Json& status) {
    RunnerReports r;
    if (const Json* fc = member(status, contract::kBlockFullCopy)) {
        r.fullCopyReported = true;
        r.fullCopyPercent = number(*fc, "/percent");
        r.bytesCopied = number(*fc, "/bytesCopied");
        r.tablesTotal = integer(*fc, "/tablesTotal");
        r.tablesDone = integer(*fc, "/tablesDone");
    }
    if (const Json* inc = member(status, contract::kBlockIncremental)) {
        r.incrementalReported = true;
        if (const Json* lag = at(*inc, "/lagSeconds"); lag && lag->is_number()) r.lagSeconds = lag->get<double>();
        r.rowsApplied = integer(*inc, "/rowsApplied");
        r.appliedPosition = str(*inc, "/appliedPosition");
        const Json* stalled = member(*inc, contract::kIncrementalStalled);
        if (stalled && stalled->is_object() && !str(*stalled, "/reason").empty())
            r.stalled = Stalled{str(*stalled, "/reason"), str(*stalled, "/message"), str(*stalled, "/since")};
        r.safeMode = boolean(*inc, "/safeMode");
        if (const Json* skipped = at(*inc, "/skippedDdl"); skipped && skipped->is_array())
            for (const auto& entry : *skipped)
                r.skippedDdl.push_back({str(entry, "/position"), str(entry, "/statement")});
    }
    const Json* precheck = member(status, contract::kBlockPrecheck);
    if (const Json* items = precheck ? at(*precheck, "/items") : nullptr; items && items->is_array())
        for (const auto& item : *items) r.precheckItems.push_back({str(item, "/name"), str(item, "/state")});
    r.lastError = readLastError(status);
    r.cutover = readCutover(status);
    return r;
}

std::vector<PodView> readPods(const std::vector<Json>& pods) {
    std::vector<PodView> views;
    for (const auto& p : pods) views.push_back(viewPod(p));
    std::sort(views.begin(), views.end(), [](const PodView& a, const PodView& b) {
        return a.createdAt == b.createdAt ? a.sequence() < b.sequence() : a.createdAt < b.createdAt;
    });
    return views;
}

}  // namespace

const Json* JobView::observedCondition(const std::string& type) const {
    for (const auto& c : recorded.conditions)
        if (str(c, "/type") == type) return &c;
    return nullptr;
}

std::vector<const PodView*> JobView::livePods(const std::string& role) const {
    std::vector<const PodView*> out;
    for (const auto& p : pods)
        if (!p.deleting && p.role == role) out.push_back(&p);
    return out;
}

bool JobView::hasPodNamed(const std::string& podName) const {
    return std::any_of(pods.begin(), pods.end(), [&](const PodView& p) { return p.name == podName; });
}

JobView readJobView(const Observed& o, const Settings& settings) {
    JobView v(o);
    v.name = str(o.job, "/metadata/name");
    v.ns = str(o.job, "/metadata/namespace", "default");
    v.uid = str(o.job, "/metadata/uid");
    v.generation = integer(o.job, "/metadata/generation", 1);
    v.hasFinalizer = hasFinalizer(o.job);
    v.deleting = at(o.job, "/metadata/deletionTimestamp") != nullptr;
    v.keepCheckpoints = annotation(o.job, names::kAnnotationKeepCheckpoints) == "true";
    std::string instance = annotation(o.job, api::kInstanceAnnotation);
    if (instance.empty()) instance = v.uid;
    v.instanceKey = api::instanceKey(v.name, v.ns, instance);
    v.precheckKey = precheckKey(o.job);
    v.prechecked = annotation(o.job, names::kAnnotationPrechecked);
    if (!v.deleting) v.specError = specError(o.job, v.name, v.ns, settings);  // a deleted job is not run again
    v.spec = readSpec(o.job);
    v.status = o.job.value("status", Json::object());
    if (!v.status.is_object()) v.status = Json::object();
    v.recorded = readRecords(v.status);
    v.runner = readRunnerReports(v.status);
    v.runner.fullCopyDone = fullCopyComplete(o.job);  // decide.h: the one reading of fullCopy.done
    v.pods = readPods(o.pods);
    return v;
}

}  // namespace tidemark::op::decision
