// The full table scan's pace (spec.validation.fullScan.rowsPerSecond): how long to wait after
// reading some rows so that, over any stretch of the scan, rows read per second stay at or under
// the cap. Pure: the caller passes the time and does the waiting.
//
// Contracts:
//  - read(rows, now) books `rows` and returns how long to wait before the next read: zero while
//    the scan is within its allowance. Unused allowance (a pause, a slow read) carries over for
//    one second at most, so over any T seconds at most rowsPerSecond * (T + 1) rows are read,
//    when the caller waits as told.
//  - waits() counts the reads that were told to wait (a property tests can count, unlike time).
#pragma once

#include <chrono>
#include <cstdint>

namespace tidemark::validate {

class RateCap {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateCap(std::uint64_t rowsPerSecond);

    Clock::duration read(std::uint64_t rows, Clock::time_point now);
    std::uint64_t waits() const { return waits_; }

private:
    std::uint64_t rowsPerSecond_;
    Clock::time_point nextRead_{};  // when the rows booked so far have been paid for
    std::uint64_t waits_ = 0;
};

}  // namespace tidemark::validate
