#include "kube/detail/time_format.h"

#include <cstdio>
#include <ctime>

namespace tidemark::kube::detail {
namespace {
std::string format(std::chrono::system_clock::time_point t, bool micro) {
    using namespace std::chrono;
    auto secs = time_point_cast<seconds>(t);
    if (secs > t) secs -= seconds(1);
    auto us = duration_cast<microseconds>(t - secs).count();
    std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    if (micro) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return buf;
}
}  // namespace

std::string formatTime(std::chrono::system_clock::time_point t) { return format(t, false); }
std::string formatMicroTime(std::chrono::system_clock::time_point t) { return format(t, true); }

}  // namespace tidemark::kube::detail
