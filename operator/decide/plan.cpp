#include "operator/decide/plan.h"

#include <algorithm>

namespace tidemark::op::decision {

namespace {
constexpr size_t kMaxConditionMessage = 32000;
}

Plan::Plan(const JobView& job) : job_(job), conditions_(job.recorded.conditions) {}

void Plan::setPhase(const std::string& phase, const std::string& stage, const std::string& progress) {
    desired_["phase"] = phase;
    desired_["stage"] = stage;
    desired_["progress"] = progress;
}

std::string Plan::phase() const { return desired_.value("phase", job_.recorded.phase); }

void Plan::setStatus(const std::string& field, Json value) { desired_[field] = std::move(value); }

void Plan::setPrecheckStatus(const std::string& field, Json value) { desiredPrecheck_[field] = std::move(value); }

void Plan::setCondition(const std::string& type, const std::string& status, const std::string& reason,
                        std::string message) {
    if (message.size() > kMaxConditionMessage) message.resize(kMaxConditionMessage);
    Json c = {{"type", type},
              {"status", status},
              {"reason", reason},
              {"message", message},
              {"observedGeneration", job_.generation},
              {"lastTransitionTime", formatTime(job_.now)}};
    for (auto& existing : conditions_) {
        if (str(existing, "/type") != type) continue;
        if (str(existing, "/status") == status && at(existing, "/lastTransitionTime"))
            c["lastTransitionTime"] = existing["lastTransitionTime"];
        existing = c;
        return;
    }
    conditions_.push_back(c);
}

const Json* Plan::condition(const std::string& type) const {
    for (const auto& c : conditions_)
        if (str(c, "/type") == type) return &c;
    return nullptr;
}

void Plan::event(bool warning, const std::string& reason, const std::string& message) {
    events_.push_back(action::Event{warning, reason, message});
}

void Plan::eventOnConditionChange(const std::string& type, const std::string& reason, bool warning,
                                  const std::string& message) {
    const Json* before = job_.observedCondition(type);
    if (before && str(*before, "/reason") == reason) return;
    event(warning, reason, message);
}

void Plan::addFinalizer() { before_.emplace_back(std::in_place_type<action::AddFinalizer>); }

void Plan::annotate(const std::string& key, const std::string& value) {
    before_.push_back(action::PatchAnnotations{{{key, value}}});
}

void Plan::deletePod(const std::string& name) {
    if (!deletesPod(name)) before_.push_back(action::DeletePod{name});
}

bool Plan::deletesPod(const std::string& name) const {
    return std::any_of(before_.begin(), before_.end(), [&](const Action& a) {
        const auto* d = std::get_if<action::DeletePod>(&a);
        return d && d->name == name;
    });
}

void Plan::createPod(RunnerPod built) {
    creates_.push_back(action::CreatePod{std::move(built.pod), std::move(built.configMap)});
}

void Plan::requeue(std::chrono::milliseconds after) {
    if (!requeue_ || after < *requeue_) requeue_ = after;
}

Decision Plan::finish() {
    Decision d;
    d.phase = phase();
    d.actions = std::move(before_);

    const Json& observed = job_.status;
    Json patch = Json::object();
    desired_["conditions"] = conditions_;
    for (auto& [key, value] : desired_.items())
        if (!observed.contains(key) || observed[key] != value) patch[key] = value;
    for (auto& [key, value] : desiredPrecheck_.items()) {
        const Json* had = at(observed, ("/precheck/" + key).c_str());
        if (!had && value.is_string() && value.get<std::string>().empty()) continue;  // no token yet
        if ((had ? *had : Json()) != value) patch["precheck"][key] = value;
    }
    if (!patch.empty()) d.actions.push_back(action::PatchStatus{patch});
    for (auto& c : creates_) d.actions.push_back(std::move(c));

    const std::string& before = job_.recorded.phase;
    if (d.phase != before && events_.empty())
        event(d.phase == "Failed" || d.phase == "PrecheckFailed", d.phase,
              "phase " + (before.empty() ? std::string("(new)") : before) + " -> " + d.phase);
    for (auto& e : events_) d.actions.push_back(std::move(e));
    d.requeueAfter = requeue_;
    return d;
}

}  // namespace tidemark::op::decision
