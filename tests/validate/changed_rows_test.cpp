// The validation's book of changed rows (runner/validate/changed_rows.h), without servers.
#include "runner/validate/changed_rows.h"

#include <doctest/doctest.h>

using namespace tidemark;
using namespace tidemark::validate;

namespace {

RowKey key(int id) { return RowKey{"d", "t", {"id"}, {std::to_string(id)}, "id=" + std::to_string(id)}; }

replay::Position at(std::uint64_t pos) { return replay::Position{"bin.000001", pos, ""}; }

const auto t0 = Clock::now();
constexpr auto kRecheck = std::chrono::seconds(5);

}  // namespace

TEST_CASE("a changed row waits once, however often it changes, and is validated when equal") {
    ChangedRows rows(100, 10, kRecheck);
    rows.touched(key(1), at(100));
    rows.touched(key(1), at(200));
    rows.touched(key(2), at(300));
    CHECK(rows.counts().pending == 2);
    const auto taken = rows.take(10, t0);
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].text == "id=1");
    CHECK(rows.counts().pending == 0);
    for (const auto& k : taken) rows.equal(k);
    CHECK(rows.counts().rowsValidated == 2);
    CHECK(rows.counts().differing == 0);
}

TEST_CASE("a difference is reported only when its re-check still finds it") {
    ChangedRows rows(100, 10, kRecheck);
    rows.touched(key(7), at(100));
    const auto first = rows.take(10, t0);
    rows.differs(first[0], t0, "2026-12-07T00:00:00Z");
    CHECK(rows.counts().suspects == 1);
    CHECK(rows.counts().pending == 1);
    CHECK(rows.counts().differing == 0);
    CHECK(rows.differences(10).empty());
    CHECK(rows.take(10, t0 + kRecheck - std::chrono::seconds(1)).empty());  // not due yet

    const auto recheck = rows.take(10, t0 + kRecheck);
    REQUIRE(recheck.size() == 1);
    rows.differs(recheck[0], t0 + kRecheck, "2026-12-07T00:00:05Z");
    CHECK(rows.counts().differing == 1);
    CHECK(rows.counts().suspects == 0);
    const auto shown = rows.differences(10);
    REQUIRE(shown.size() == 1);
    CHECK(shown[0].table == "`d`.`t`");
    CHECK(shown[0].key == "id=7");
    CHECK(shown[0].since == "2026-12-07T00:00:00Z");

    // Fixed since (replay overwrote it): forgotten at its next re-check.
    rows.equal(rows.take(10, t0 + 2 * kRecheck)[0]);
    CHECK(rows.counts().differing == 0);
}

TEST_CASE("a suspect found equal at its re-check is never reported") {
    ChangedRows rows(100, 10, kRecheck);
    rows.touched(key(3), at(100));
    rows.differs(rows.take(10, t0)[0], t0, "x");
    rows.equal(rows.take(10, t0 + kRecheck)[0]);
    CHECK(rows.counts().differing == 0);
    CHECK(rows.counts().pending == 0);
    CHECK(rows.counts().rowsValidated == 1);
}

TEST_CASE("a comparison is inconclusive for a row changed again after the source was read") {
    ChangedRows rows(100, 10, kRecheck);
    rows.touched(key(1), at(100));
    const auto taken = rows.take(10, t0);
    CHECK(rows.conclusive(taken[0], at(150)));
    rows.touched(key(1), at(200));  // committed while the pass ran
    CHECK_FALSE(rows.conclusive(taken[0], at(150)));
    CHECK(rows.conclusive(taken[0], at(200)));
    CHECK(rows.counts().pending == 1);  // it waits for the next pass
}

TEST_CASE("the pending keys are capped: the oldest are dropped and counted as skipped") {
    ChangedRows rows(3, 10, kRecheck);
    for (int id = 1; id <= 5; ++id) rows.touched(key(id), at(100 + id));
    CHECK(rows.counts().pending == 3);
    CHECK(rows.counts().skipped == 2);
    CHECK(rows.take(10, t0).front().text == "id=3");
}

TEST_CASE("keys taken by a failed pass wait again, and tables without a key are counted once") {
    ChangedRows rows(100, 10, kRecheck);
    rows.touched(key(1), at(100));
    rows.putBack(rows.take(10, t0));
    CHECK(rows.counts().pending == 1);
    rows.unkeyed("`d`.`n`");
    rows.unkeyed("`d`.`n`");
    CHECK(rows.counts().unkeyedTables == 1);
}
