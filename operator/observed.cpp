#include "operator/observed.h"

#include <cstdio>
#include <ctime>

namespace tidemark::op {

const Json* at(const Json& j, const char* pointer) {
    const Json::json_pointer p(pointer);
    if (!j.is_object() || !j.contains(p)) return nullptr;
    const Json& v = j.at(p);
    return v.is_null() ? nullptr : &v;
}

std::string str(const Json& j, const char* pointer, const std::string& fallback) {
    const Json* v = at(j, pointer);
    return v && v->is_string() ? v->get<std::string>() : fallback;
}

int64_t integer(const Json& j, const char* pointer, int64_t fallback) {
    const Json* v = at(j, pointer);
    if (!v) return fallback;
    if (v->is_number()) return v->get<int64_t>();
    if (v->is_string()) {
        try {
            return std::stoll(v->get<std::string>());
        } catch (...) {}
    }
    return fallback;
}

double number(const Json& j, const char* pointer, double fallback) {
    const Json* v = at(j, pointer);
    return v && v->is_number() ? v->get<double>() : fallback;
}

bool boolean(const Json& j, const char* pointer, bool fallback) {
    const Json* v = at(j, pointer);
    return v && v->is_boolean() ? v->get<bool>() : fallback;
}

std::string formatTime(Clock::time_point t) {
    const std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<Clock::time_point> parseTime(const std::string& text) {
    int y, mo, d, h, mi, s;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return Clock::from_time_t(timegm(&tm));
}

std::vector<long long> PodView::sequence() const {
    std::vector<long long> out;
    size_t end = name.size();
    while (end > 0) {
        const size_t dash = name.rfind('-', end - 1);
        const std::string part =
            name.substr(dash == std::string::npos ? 0 : dash + 1, end - (dash == std::string::npos ? 0 : dash + 1));
        if (part.empty() || part.size() > 15 || part.find_first_not_of("0123456789") != std::string::npos) break;
        out.insert(out.begin(), std::stoll(part));
        if (dash == std::string::npos) break;
        end = dash;
    }
    return out;
}

PodView viewPod(const Json& pod) {
    PodView v;
    v.name = str(pod, "/metadata/name");
    const Json* labels = at(pod, "/metadata/labels");
    if (labels && labels->contains(names::kLabelRole) && (*labels)[names::kLabelRole].is_string())
        v.role = (*labels)[names::kLabelRole].get<std::string>();
    const Json* ann = at(pod, "/metadata/annotations");
    auto annotation = [&](const char* key) -> std::string {
        if (ann && ann->contains(key) && (*ann)[key].is_string()) return (*ann)[key].get<std::string>();
        return "";
    };
    v.precheckKey = annotation(names::kAnnotationPrecheckKey);
    try {
        v.retry = annotation(names::kAnnotationRetry).empty() ? 0 : std::stoi(annotation(names::kAnnotationRetry));
        v.capacity =
            annotation(names::kAnnotationCapacity).empty() ? 0 : std::stoi(annotation(names::kAnnotationCapacity));
    } catch (...) {}
    v.restart = annotation(names::kAnnotationRestart) == "true";
    v.cutoverToken = annotation(names::kAnnotationCutover);
    v.deleting = at(pod, "/metadata/deletionTimestamp") != nullptr;
    v.phase = str(pod, "/status/phase", "Pending");
    v.createdAt = parseTime(str(pod, "/metadata/creationTimestamp")).value_or(Clock::time_point{});
    if (const Json* statuses = at(pod, "/status/containerStatuses"); statuses && statuses->is_array()) {
        for (const auto& cs : *statuses) {
            if (const Json* term = at(cs, "/state/terminated")) {
                v.exitCode = static_cast<int>(integer(*term, "/exitCode", 1));
                v.terminatedReason = str(*term, "/reason");
                v.terminatedMessage = str(*term, "/message");
                if (auto t = parseTime(str(*term, "/finishedAt"))) v.finishedAt = t;
            } else if (const Json* waiting = at(cs, "/state/waiting")) {
                v.waitingReason = str(*waiting, "/reason");
                v.waitingMessage = str(*waiting, "/message");
            }
            break;  // one container
        }
    }
    v.podReason = str(pod, "/status/reason");
    v.podMessage = str(pod, "/status/message");
    if (const Json* containers = at(pod, "/spec/containers");
        containers && containers->is_array() && !containers->empty()) {
        v.image = str((*containers)[0], "/image");
        v.memoryLimit = str((*containers)[0], "/resources/limits/memory");
    }
    if (!v.exitCode && v.phase == "Succeeded") v.exitCode = 0;
    if (!v.exitCode && v.phase == "Failed") v.exitCode = 1;
    return v;
}

std::string precheckKey(const Json& job) {
    Json spec = job.contains("spec") ? job["spec"] : Json::object();
    if (spec.is_object()) {
        spec.erase("paused");
        spec.erase("capacity");
        spec.erase("restartToken");
        // Where the runner pod runs and a switch request change nothing a precheck checks.
        spec.erase("runnerPod");
        spec.erase("cutover");
        // What replay skips and how large its transactions are change nothing a precheck checks:
        // editing them to go on after an error must not precheck a running migration again.
        spec.erase("ddl");
        if (spec.contains("target") && spec["target"].is_object()) spec["target"].erase("limits");
        if (spec.contains("precheck") && spec["precheck"].is_object()) spec["precheck"].erase("recheck");
    }
    const std::string text = spec.dump() + "\n" + str(job, "/spec/precheck/recheck");
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace tidemark::op
