// The full table scan's book of differences (runner/validate/scan_findings.h): nothing reported at
// a first comparison, a difference reported only when a re-check finds both sides unchanged,
// rows still being written kept as suspects, and keys only in what is shown.
#include "runner/validate/scan_findings.h"

#include <doctest/doctest.h>

using namespace tidemark::validate;
using namespace std::chrono_literals;

namespace {

const ScanFindings::Clock::time_point t0{1000s};
const FindingId row7{"shop", "orders", {"7"}};
const FindingId keyless{"shop", "log", {}};
const Reading differing{"aaa", "bbb"};

}  // namespace

TEST_CASE("a difference is reported only after a re-check finds it unchanged") {
    ScanFindings book(100, 5s);
    book.differs(row7, "id=7", "differs", differing, t0, "2026-12-07T03:00:00Z");
    CHECK(book.counts().suspects == 1);
    CHECK(book.counts().differing == 0);
    CHECK(book.differences(10).empty());
    CHECK(book.due(t0 + 4s).empty());
    REQUIRE(book.due(t0 + 5s) == std::vector<FindingId>{row7});

    book.rechecked(row7, "differs", differing, t0 + 5s);
    CHECK(book.counts().suspects == 0);
    CHECK(book.counts().differing == 1);
    const auto shown = book.differences(10);
    REQUIRE(shown.size() == 1);
    CHECK(shown[0].table == "`shop`.`orders`");
    CHECK(shown[0].key == "id=7");
    CHECK(shown[0].problem == "differs");
    CHECK(shown[0].since == "2026-12-07T03:00:00Z");
    CHECK(book.due(t0 + 9s).empty());  // re-checked as often as a suspect

    book.rechecked(row7, "differs", {"aaa", "aaa"}, t0 + 10s);  // repaired on the target
    CHECK(book.counts().differing == 0);
    CHECK_FALSE(book.watching(row7));
}

TEST_CASE("a row whose digests moved between readings is still being written: a suspect again, not reported") {
    ScanFindings book(100, 5s);
    book.differs(row7, "id=7", "differs", differing, t0, "now");
    book.rechecked(row7, "differs", {"ccc", "bbb"}, t0 + 5s);  // the source changed it since
    CHECK(book.counts().suspects == 1);
    CHECK(book.counts().differing == 0);
    book.rechecked(row7, "differs", {"ccc", "ccc"}, t0 + 10s);  // replay caught up
    CHECK(book.counts().suspects == 0);
    CHECK_FALSE(book.watching(row7));
}

TEST_CASE("a keyless table's finding has no key, and a full book counts what it cannot keep") {
    ScanFindings book(1, 5s);
    book.differs(keyless, "", "source 3 rows, target 2 rows", {"3:1:2", "2:1:1"}, t0, "now");
    book.differs(row7, "id=7", "differs", differing, t0, "now");
    CHECK(book.counts().skipped == 1);
    CHECK_FALSE(book.watching(row7));
    book.differs(keyless, "", "again", {"3:1:2", "2:1:1"}, t0 + 1s, "later");  // met again: one finding
    CHECK(book.counts().skipped == 1);
    book.rechecked(keyless, "source 3 rows, target 2 rows", {"3:1:2", "2:1:1"}, t0 + 5s);
    const auto shown = book.differences(10);
    REQUIRE(shown.size() == 1);
    CHECK(shown[0].key.empty());
    CHECK(shown[0].problem == "source 3 rows, target 2 rows");
    CHECK(shown[0].since == "now");
    book.forget(keyless);
    CHECK(book.counts().differing == 0);
}
