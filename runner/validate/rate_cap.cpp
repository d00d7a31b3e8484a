#include "runner/validate/rate_cap.h"

#include <algorithm>

namespace tidemark::validate {

RateCap::RateCap(std::uint64_t rowsPerSecond) : rowsPerSecond_(std::max<std::uint64_t>(1, rowsPerSecond)) {}

RateCap::Clock::duration RateCap::read(std::uint64_t rows, Clock::time_point now) {
    // At most one second of unused allowance carries over, so a long idle stretch is no burst.
    nextRead_ = std::max(nextRead_, now - std::chrono::seconds(1));
    const auto cost = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(rows) / static_cast<double>(rowsPerSecond_)));
    nextRead_ += cost;
    if (nextRead_ <= now) return Clock::duration::zero();
    ++waits_;
    return nextRead_ - now;
}

}  // namespace tidemark::validate
