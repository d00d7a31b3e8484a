#include "runner/replay/safe_mode.h"

#include <ctime>

#include "runner/replay/stream_order.h"

namespace tidemark::replay {

void SafeMode::extendTo(const Position& p) {
    if (!p.known()) return;
    if (!untilPosition_ || compareStreamPositions(*untilPosition_, p) < 0) untilPosition_ = p;
}

void SafeMode::extendTo(Clock::time_point t) {
    if (!untilTime_ || *untilTime_ < t) untilTime_ = t;
}

bool SafeMode::activeFor(const Position& txEnd, Clock::time_point now) const {
    if (untilTime_ && now < *untilTime_) return true;
    // A transaction ending at or before the safe-until position may already be in the target.
    if (untilPosition_ && compareStreamPositions(txEnd, *untilPosition_) <= 0) return true;
    return false;
}

std::string SafeMode::untilText(const Position& streamPos, Clock::time_point now) const {
    std::string out;
    if (untilPosition_ && compareStreamPositions(streamPos, *untilPosition_) <= 0) out = untilPosition_->text();
    if (untilTime_ && now < *untilTime_) {
        std::time_t t = Clock::to_time_t(*untilTime_);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!out.empty()) out += " and ";
        out += buf;
    }
    return out;
}

}  // namespace tidemark::replay
