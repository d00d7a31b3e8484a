// Shared pieces of the cutover tests: a sink that records status.cutover as it changes, a cutover
// run in the background, and an independent row-for-row comparison of a table on both servers.
#pragma once

#include "runner/cutover/cutover.h"
#include "tests/replay/replay_fixture.h"

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tidemark::testing {

// Records every state status.cutover went through, its last value, and the notes.
class CutoverSink : public status::StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override;
    void note(std::string_view message) override;
    void flush() override {}
    nlohmann::json last() const;
    std::vector<std::string> states() const;  // each distinct state in the order reported
    bool noted(std::string_view fragment) const;

private:
    mutable std::mutex mu_;
    nlohmann::json last_ = nlohmann::json::object();
    std::vector<std::string> states_;
    std::vector<std::string> notes_;
};

// A table on one server, as a count and an order-independent digest of its rows (a sum of one hash
// per row, so duplicates count), computed here from every column's bytes, not by the runner.
struct TableDigest {
    std::size_t rows = 0;
    std::uint64_t sum = 0;
    bool operator==(const TableDigest&) const = default;
};
TableDigest digestOf(const DbServer& server, const std::string& database, const std::string& table);

// runCutover on the shared servers with a short quiet period; `replay` as startingAt() gives it.
cutover::CutoverOptions quickCutover(const replay::ReplayOptions& replay);
cutover::CutoverReport cutoverNow(const api::MigrationJob& job, const cutover::CutoverOptions& options,
                                  CutoverSink& sink);

// The item named `name` of the report's checks (FAILs the test when missing).
precheck::Item checkNamed(const cutover::CutoverReport& report, const std::string& name);

}  // namespace tidemark::testing
