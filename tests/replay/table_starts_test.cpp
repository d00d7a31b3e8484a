// The per-table start filter (runner/replay/table_starts.h) without a server: which changes a
// table copied at a later snapshot already holds.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/replay/table_starts.h"

#include <string>
#include <vector>

using namespace tidemark::replay;

namespace {

struct Named {
    std::string database, table;
};

// What the copy hands over (copy::TableStartPosition's shape).
struct CopyEntry {
    std::string database, table, file;
    std::uint64_t pos;
    std::string gtidSet;
};

Position at(const std::string& file, std::uint64_t pos, const std::string& gtid = "") { return {file, pos, gtid}; }

}  // namespace

TEST_CASE("a table copied at a later snapshot skips the changes that end at or before it") {
    TableStarts starts({{"d", "k", at("bin.000002", 500)}});
    CHECK(starts.skip("d", "k", at("bin.000001", 9000)));  // an earlier file
    CHECK(starts.skip("d", "k", at("bin.000002", 499)));
    CHECK(starts.skip("d", "k", at("bin.000002", 500)));  // ends at the snapshot: in the copy
    CHECK_FALSE(starts.skip("d", "k", at("bin.000002", 501)));
    CHECK_FALSE(starts.skip("d", "k", at("bin.000003", 4)));  // after a rotation
    CHECK_FALSE(starts.skip("d", "k", at("bin.000010", 4)));  // numeric order, not text order
}

TEST_CASE("tables without a start, and other names, are never skipped") {
    TableStarts starts({{"d", "k", at("bin.000002", 500)}});
    CHECK_FALSE(starts.skip("d", "other", at("bin.000001", 4)));
    CHECK_FALSE(starts.skip("e", "k", at("bin.000001", 4)));
    CHECK_FALSE(starts.skip("d", "K", at("bin.000001", 4)));  // exact names
    CHECK_FALSE(starts.skip("D", "k", at("bin.000001", 4)));
    CHECK_FALSE(TableStarts().skip("d", "k", at("bin.000001", 4)));
    CHECK(TableStarts().empty());
    // A start nobody knows the position of filters nothing.
    TableStarts unknown({{"d", "k", Position{}}});
    CHECK(unknown.empty());
    CHECK_FALSE(unknown.skip("d", "k", at("bin.000001", 4)));
}

TEST_CASE("an event without a position is never skipped") {
    TableStarts starts({{"d", "k", at("bin.000002", 500)}});
    CHECK_FALSE(starts.skip("d", "k", Position{}));
}

TEST_CASE("MySQL GTID sets order the positions when both carry one") {
    const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    TableStarts starts({{"d", "k", at("bin.000002", 500, uuid + ":1-10")}});
    // A replica's file names differ; the set decides.
    CHECK(starts.skip("d", "k", at("other.000009", 77, uuid + ":1-9")));
    CHECK(starts.skip("d", "k", at("other.000009", 77, uuid + ":1-10")));
    CHECK_FALSE(starts.skip("d", "k", at("other.000001", 4, uuid + ":1-11")));
}

TEST_CASE("a transaction applied in pieces is skipped when it begins before the start") {
    TableStarts starts({{"d", "k", at("bin.000002", 500)}});
    CHECK(starts.skipStartingAt("d", "k", at("bin.000002", 300)));
    CHECK_FALSE(starts.skipStartingAt("d", "k", at("bin.000002", 500)));  // begins at the snapshot: after it
    CHECK_FALSE(starts.skipStartingAt("d", "k", at("bin.000003", 4)));
    CHECK_FALSE(starts.skipStartingAt("d", "x", at("bin.000001", 4)));
}

TEST_CASE("a DDL is skipped only when every table it names is") {
    TableStarts starts({{"d", "a", at("bin.000002", 500)}, {"d", "b", at("bin.000002", 900)}});
    const auto end = at("bin.000002", 600);
    CHECK(starts.skipDdl(std::vector<Named>{{"d", "b"}}, end));
    CHECK_FALSE(starts.skipDdl(std::vector<Named>{{"d", "a"}}, end));
    CHECK_FALSE(starts.skipDdl(std::vector<Named>{{"d", "a"}, {"d", "b"}}, end));
    CHECK_FALSE(starts.skipDdl(std::vector<Named>{{"d", "b"}, {"d", "c"}}, end));
    CHECK(starts.skipDdl(std::vector<Named>{{"d", "a"}, {"d", "b"}}, at("bin.000002", 400)));
    CHECK_FALSE(starts.skipDdl(std::vector<Named>{}, end));  // CREATE DATABASE and the like
}

TEST_CASE("built from the copy's entries") {
    std::vector<CopyEntry> copied{{"d", "k", "bin.000002", 500, ""}, {"d", "empty", "", 0, ""}};
    auto starts = TableStarts::from(copied);
    CHECK(starts.size() == 1);
    CHECK(starts.skip("d", "k", at("bin.000002", 120)));
    CHECK_FALSE(starts.skip("d", "empty", at("bin.000001", 4)));
}
