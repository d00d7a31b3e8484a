#include "runner/cutover/report.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <iomanip>
#include <sstream>

namespace tidemark::cutover {

const char* nameOf(Phase p) {
    switch (p) {
        case Phase::Waiting: return "Waiting";
        case Phase::CatchingUp: return "CatchingUp";
        case Phase::Validating: return "Validating";
        case Phase::Safe: return "Safe";
        case Phase::Unsafe: return "Unsafe";
    }
    return "Unsafe";
}

namespace {

std::string positionText(const replay::Position& p) { return p.known() ? p.text() : ""; }

nlohmann::json differencesJson(const std::vector<Difference>& differences) {
    auto out = nlohmann::json::array();
    for (const auto& d : differences) out.push_back({{"table", d.table}, {"key", d.key}, {"problem", d.problem}});
    return out;
}

}  // namespace

CutoverReport combineSources(const std::vector<std::pair<std::string, CutoverReport>>& perSource) {
    CutoverReport all;
    all.state = Phase::Safe;
    for (const auto& [id, r] : perSource) {
        const std::string source = "source " + id + ": ";
        if (!r.safe()) all.state = Phase::Unsafe;
        if (all.stopAt.empty()) all.stopAt = r.stopAt;
        for (const auto& reason : r.reasons) all.reasons.push_back(source + reason);
        if (!r.safe() && r.reasons.empty()) all.reasons.push_back(source + "not safe (" + nameOf(r.state) + ")");
        for (auto d : r.differences) {
            d.problem = source + d.problem;
            all.differences.push_back(std::move(d));
        }
        for (auto check : r.checks) {
            check.message = source + check.message;
            all.checks.push_back(std::move(check));
        }
        all.rowsCompared += r.rowsCompared;
        all.seconds = std::max(all.seconds, r.seconds);
        if (all.startedAt.empty() || (!r.startedAt.empty() && r.startedAt < all.startedAt)) all.startedAt = r.startedAt;
        all.finishedAt = std::max(all.finishedAt, r.finishedAt);
        all.interrupted = all.interrupted || r.interrupted;
    }
    if (perSource.empty()) all.state = Phase::Unsafe;
    return all;
}

nlohmann::json toJson(const CutoverReport& r) {
    return {{"state", nameOf(r.state)},
            {"stopAt", r.stopAt},
            {"stopPosition", positionText(r.stopPosition)},
            {"gtidSet", r.stopPosition.gtidSet},
            {"appliedPosition", r.appliedPosition ? positionText(*r.appliedPosition) : ""},
            {"rowsCompared", r.rowsCompared},
            {"differences", differencesJson(r.differences)},
            {"checks", precheck::toJson(precheck::Report{r.checks, {}})["items"]},
            {"reasons", r.reasons},
            {"startedAt", r.startedAt},
            {"finishedAt", r.finishedAt},
            {"seconds", r.seconds}};
}

std::string renderJson(const CutoverReport& report) { return toJson(report).dump(2); }

std::string renderTable(const CutoverReport& r) {
    std::ostringstream out;
    out << (r.safe() ? "SAFE to switch to the target" : "NOT safe to switch") << "\n\n";
    out << "  stop at           " << r.stopAt << "\n";
    out << "  source position   " << (r.stopPosition.known() ? r.stopPosition.text() : "-") << "\n";
    if (!r.stopPosition.gtidSet.empty()) out << "  source GTID set   " << r.stopPosition.gtidSet << "\n";
    out << "  target applied    " << (r.appliedPosition ? r.appliedPosition->text() : "-") << "\n";
    out << "  rows compared     " << r.rowsCompared << "\n";
    out << "  took              " << std::fixed << std::setprecision(1) << r.seconds << " s (" << r.startedAt << " to "
        << r.finishedAt << ")\n";
    if (!r.differences.empty()) {
        out << "\ndifferences (first " << r.differences.size() << "):\n";
        for (const auto& d : r.differences)
            out << "  " << d.table << (d.key.empty() ? "" : " " + d.key) << ": " << d.problem << "\n";
    }
    if (!r.checks.empty()) out << "\nchecks:\n" << precheck::renderTable(precheck::Report{r.checks, {}});
    if (!r.reasons.empty()) {
        out << "\nwhy not:\n";
        for (const auto& reason : r.reasons) out << "  - " << reason << "\n";
    }
    return out.str();
}

}  // namespace tidemark::cutover
