// A job of several sources reports one status: each source's blocks under status.sources.<id>,
// and the top-level fullCopy / incremental / lastError summed up from them (sources_status.h).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <mutex>

#include "runner/status/sources_status.h"

using namespace tidemark::status;
using nlohmann::json;

namespace {

// Keeps what was reported, merged per block, as the status subresource would hold it.
class RecordingSink final : public StatusSink {
public:
    void report(std::string_view block, const json& fields) override {
        std::lock_guard lock(m);
        json& b = status[std::string(block)];
        if (!b.is_object()) b = json::object();
        b.merge_patch(fields);
    }
    void note(std::string_view message) override { notes.emplace_back(message); }
    void flush() override {}
    std::mutex m;
    json status = json::object();
    std::vector<std::string> notes;
};

}  // namespace

TEST_CASE("sources status: each source's blocks by id, the copy done only when every source's is") {
    RecordingSink parent;
    SourcesStatus sources(parent, {"east", "west"});
    auto east = sources.sinkFor("east");
    auto west = sources.sinkFor("west");
    east->report("fullCopy",
                 {{"tablesTotal", 2}, {"tablesDone", 2}, {"rowsCopied", 100}, {"percent", 100.0}, {"done", true}});
    CHECK(parent.status["sources"]["east"]["fullCopy"]["rowsCopied"] == 100);
    CHECK(parent.status["fullCopy"]["done"] == false);  // west has not reported
    CHECK(parent.status["fullCopy"]["percent"] == 0.0);
    west->report("fullCopy",
                 {{"tablesTotal", 3},
                  {"tablesDone", 1},
                  {"rowsCopied", 40},
                  {"percent", 40.0},
                  {"secondsLeft", 12},
                  {"done", false}});
    CHECK(parent.status["fullCopy"]["tablesTotal"] == 5);
    CHECK(parent.status["fullCopy"]["tablesDone"] == 3);
    CHECK(parent.status["fullCopy"]["rowsCopied"] == 140);
    CHECK(parent.status["fullCopy"]["percent"] == 40.0);
    CHECK(parent.status["fullCopy"]["secondsLeft"] == 12);
    CHECK(parent.status["fullCopy"]["done"] == false);
    west->report("fullCopy", {{"tablesDone", 3}, {"percent", 100.0}, {"secondsLeft", 0}, {"done", true}});
    CHECK(parent.status["fullCopy"]["done"] == true);
    CHECK(parent.status["fullCopy"]["percent"] == 100.0);
    CHECK(parent.status["sources"]["west"]["fullCopy"]["tablesTotal"] == 3);  // merged, not replaced
}

TEST_CASE("sources status: replay sums rows, takes the largest lag, names the stalled source and each position") {
    RecordingSink parent;
    SourcesStatus sources(parent, {"east", "west"});
    auto east = sources.sinkFor("east");
    auto west = sources.sinkFor("west");
    east->report("incremental",
                 {{"rowsApplied", 10},
                  {"lagSeconds", 1.5},
                  {"appliedPosition", "bin.000002:400"},
                  {"safeMode", false},
                  {"stalled", nullptr}});
    west->report("incremental",
                 {{"rowsApplied", 5},
                  {"lagSeconds", 7.0},
                  {"appliedPosition", "mysql-bin.000001:900"},
                  {"safeMode", true},
                  {"stalled", {{"reason", "TargetUnavailable"}, {"message", "target down"}, {"since", "t"}}}});
    const json& inc = parent.status["incremental"];
    CHECK(inc["rowsApplied"] == 15);
    CHECK(inc["lagSeconds"] == 7.0);
    CHECK(inc["safeMode"] == true);
    CHECK(inc["appliedPosition"] == "east bin.000002:400, west mysql-bin.000001:900");
    CHECK(inc["stalled"]["reason"] == "TargetUnavailable");
    CHECK(inc["stalled"]["message"] == "source west: target down");
    west->report("incremental", {{"stalled", nullptr}, {"safeMode", false}});
    CHECK(parent.status["incremental"]["stalled"].is_null());
    CHECK(parent.status["incremental"]["safeMode"] == false);
}

TEST_CASE("sources status: an error and a note name their source") {
    RecordingSink parent;
    SourcesStatus sources(parent, {"east", "west"});
    sources.sinkFor("west")->report("lastError", {{"reason", "ReplayFailed"}, {"message", "binlog purged"}});
    CHECK(parent.status["lastError"]["message"] == "source west: binlog purged");
    CHECK(parent.status["lastError"]["reason"] == "ReplayFailed");
    CHECK(parent.status["sources"]["west"]["lastError"]["message"] == "binlog purged");
    sources.sinkFor("east")->note("full copy done");
    REQUIRE(parent.notes.size() == 1);
    CHECK(parent.notes[0] == "source east: full copy done");
}

TEST_CASE("sources status: a target table both sources write sums their rows") {
    RecordingSink parent;
    SourcesStatus sources(parent, {"east", "west"});
    sources.sinkFor("east")->report(
        "incremental",
        {{"tables", {{"merged.orders", {{"rowsApplied", 7}, {"lastSourceCommit", "2026-12-07T06:00:00Z"}}}}}});
    sources.sinkFor("west")->report(
        "incremental",
        {{"tables",
          {{"merged.orders", {{"rowsApplied", 5}, {"lastSourceCommit", "2026-12-07T06:00:09Z"}}},
           {"west.only", {{"rowsApplied", 1}, {"lastSourceCommit", "2026-12-07T05:00:00Z"}}}}}});
    const json& tables = parent.status["incremental"]["tables"];
    CHECK(tables["merged.orders"]["rowsApplied"] == 12);
    CHECK(tables["merged.orders"]["lastSourceCommit"] == "2026-12-07T06:00:09Z");
    CHECK(tables["west.only"]["rowsApplied"] == 1);
}
