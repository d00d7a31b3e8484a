#include "tests/cutover/cutover_fixture.h"

#include <doctest/doctest.h>

namespace tidemark::testing {

void CutoverSink::report(std::string_view block, const nlohmann::json& fields) {
    if (block != "cutover") return;
    std::lock_guard lock(mu_);
    last_.merge_patch(fields);
    const std::string state = last_.value("state", "");
    if (states_.empty() || states_.back() != state) states_.push_back(state);
}

void CutoverSink::note(std::string_view message) {
    std::lock_guard lock(mu_);
    notes_.emplace_back(message);
}

nlohmann::json CutoverSink::last() const {
    std::lock_guard lock(mu_);
    return last_;
}

bool CutoverSink::noted(std::string_view fragment) const {
    std::lock_guard lock(mu_);
    for (const auto& n : notes_)
        if (n.find(fragment) != std::string::npos) return true;
    return false;
}

std::vector<std::string> CutoverSink::states() const {
    std::lock_guard lock(mu_);
    return states_;
}

TableDigest digestOf(const DbServer& server, const std::string& database, const std::string& table) {
    auto c = server.connectRoot();
    TableDigest d;
    for (const auto& row : tableRows(c, database, table)) {
        std::uint64_t h = 1469598103934665603ull;  // FNV-1a
        for (unsigned char ch : row) h = (h ^ ch) * 1099511628211ull;
        d.sum += h;
        ++d.rows;
    }
    return d;
}

cutover::CutoverOptions quickCutover(const replay::ReplayOptions& replay) {
    cutover::CutoverOptions o;
    o.quiet = std::chrono::seconds(1);
    o.waitTimeout = std::chrono::seconds(120);
    o.replay = replay;
    return o;
}

cutover::CutoverReport cutoverNow(const api::MigrationJob& job, const cutover::CutoverOptions& options,
                                  CutoverSink& sink) {
    std::atomic<bool> stop{false};
    return cutover::runCutover(job, sharedSource().rootOptions("source"), sharedTarget().rootOptions("target"), options,
                               sink, stop);
}

precheck::Item checkNamed(const cutover::CutoverReport& report, const std::string& name) {
    for (const auto& item : report.checks)
        if (item.name == name) return item;
    FAIL("the report has no check " << name);
    return {};
}

}  // namespace tidemark::testing
