// The full table scan's pace (runner/validate/rate_cap.h): waits that keep rows read per second
// within the cap, counted, with time passed in (no clock, no sleeping).
#include "runner/validate/rate_cap.h"

#include <doctest/doctest.h>

using tidemark::validate::RateCap;
using namespace std::chrono_literals;

TEST_CASE("reads faster than the cap are told to wait for what they read beyond it") {
    RateCap cap(1000);
    const RateCap::Clock::time_point t0{100s};
    CHECK(cap.read(1000, t0) == RateCap::Clock::duration::zero());  // a second's unused allowance
    CHECK(cap.read(500, t0) == 500ms);
    CHECK(cap.waits() == 1);
    CHECK(cap.read(500, t0 + 500ms) == 500ms);  // waited as told, then read again at once
    CHECK(cap.waits() == 2);
}

TEST_CASE("a scan reading at the cap all along waits after every chunk, and never saves up more than a second") {
    RateCap cap(100);
    RateCap::Clock::time_point now{50s};
    for (int chunk = 0; chunk < 20; ++chunk) {
        now += cap.read(50, now);
    }
    CHECK(cap.waits() >= 18);
    CHECK(now - RateCap::Clock::time_point{50s} >= 9s);  // 1000 rows at 100 a second, one saved up

    // An hour idle buys one second's rows, not an hour's.
    now += 3600s;
    CHECK(cap.read(100, now) == RateCap::Clock::duration::zero());
    CHECK(cap.read(100, now) == 1s);
}
