#include "runner/replay/progress.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace tidemark::replay {

void Progress::report(const ProgressSample& s, bool force) {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    if (!force && elapsed < 1.0) return;
    double lag = 0;
    if (s.oldestUnappliedCommit) {
        auto wall =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
        lag = std::max<double>(0, static_cast<double>(wall.count()) - *s.oldestUnappliedCommit);
    }
    if (s.oldestUnappliedArrival)
        lag = std::max(lag, std::chrono::duration<double>(now - *s.oldestUnappliedArrival).count());
    lag = std::round(lag * 100) / 100;
    lastLag_ = lag;
    double rate = last_.time_since_epoch().count() == 0 || elapsed <= 0
        ? 0
        : static_cast<double>(s.rowsApplied - std::min(lastRows_, s.rowsApplied)) / elapsed;
    nlohmann::json j = {
        {"sourcePosition", s.source.known() ? s.source.text() : ""},
        {"appliedPosition", s.applied.known() ? s.applied.text() : ""},
        {"gtidSet", s.gtidSet},
        {"lagSeconds", lag},
        {"rowsApplied", s.rowsApplied},
        {"transactionsApplied", s.transactionsApplied},
        {"rowsPerSecond", static_cast<uint64_t>(rate)},
        {"safeMode", s.safeMode},
        {"safeModeUntil", s.safeModeUntil},
    };
    sink_.report("incremental", j);
    last_ = now;
    lastRows_ = s.rowsApplied;
}

}  // namespace tidemark::replay
