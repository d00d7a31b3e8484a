#include "runner/validate/scan_findings.h"

#include "runner/db/connection.h"

#include <algorithm>

namespace tidemark::validate {

ScanFindings::ScanFindings(std::size_t maxWatched, std::chrono::seconds recheckAfter)
    : maxWatched_(maxWatched), recheckAfter_(recheckAfter) {}

void ScanFindings::differs(const FindingId& id, const std::string& keyText, const std::string& problem,
                           const Reading& read, Clock::time_point now, const std::string& nowText) {
    if (watched_.count(id)) return;  // met again by a later pass before its re-check: one finding
    if (watched_.size() >= maxWatched_) {
        ++skipped_;
        return;
    }
    watched_[id] = Watched{keyText, problem, nowText, read, false, now + recheckAfter_, ++watchOrder_};
}

void ScanFindings::rechecked(const FindingId& id, const std::string& problem, const Reading& read,
                             Clock::time_point now) {
    const auto found = watched_.find(id);
    if (found == watched_.end()) return;
    auto& w = found->second;
    if (!read.differs()) {
        watched_.erase(found);
        return;
    }
    if (read == w.last) w.reported = true;  // neither side moved, and they still disagree
    w.last = read;
    w.problem = problem;
    w.due = now + recheckAfter_;
}

std::vector<FindingId> ScanFindings::due(Clock::time_point now) const {
    std::vector<FindingId> out;
    for (const auto& [id, w] : watched_)
        if (w.due <= now) out.push_back(id);
    return out;
}

ScanFindingCounts ScanFindings::counts() const {
    ScanFindingCounts c;
    for (const auto& [id, w] : watched_) ++(w.reported ? c.differing : c.suspects);
    c.skipped = skipped_;
    return c;
}

std::vector<ScanDifference> ScanFindings::differences(std::size_t limit) const {
    std::vector<std::pair<const FindingId*, const Watched*>> reported;
    for (const auto& [id, w] : watched_)
        if (w.reported) reported.emplace_back(&id, &w);
    std::sort(reported.begin(), reported.end(), [](auto& a, auto& b) { return a.second->order < b.second->order; });
    std::vector<ScanDifference> out;
    for (const auto& [id, w] : reported) {
        if (out.size() >= limit) break;
        out.push_back({db::qualified(id->database, id->table), w->keyText, w->problem, w->since});
    }
    return out;
}

}  // namespace tidemark::validate
