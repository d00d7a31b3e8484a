#include "runner/cutover/stop_position.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tidemark::cutover {

namespace {

bool allDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
    throw std::invalid_argument("stop position '" + std::string(text) + "': " + std::string(why) +
                                " (expected now, FILE:POS such as mysql-bin.000042:1234, or a MySQL GTID set)");
}

}  // namespace

std::string StopRequest::text() const {
    switch (kind) {
        case Kind::Now: return "now";
        case Kind::FilePosition: return position.text();
        case Kind::GtidSet: return position.gtidSet;
    }
    return "now";
}

StopRequest parseStopRequest(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty()) refuse(text, "empty");
    if (lower(text) == "now") return {};

    const auto colon = text.rfind(':');
    const bool looksLikeFile = colon != std::string_view::npos && colon > 0 && allDigits(text.substr(colon + 1)) &&
        text.find(',') == std::string_view::npos;
    replay::GtidSet set;
    try {
        set = replay::GtidSet::parse(text);
    } catch (const std::invalid_argument&) {
        if (!looksLikeFile) refuse(text, "neither a binlog position nor a GTID set");
    }
    if (set.isMaria())
        refuse(text, "a MariaDB GTID list gives no stop point replay can order; give the binlog FILE:POS");
    if (!set.empty()) return {StopRequest::Kind::GtidSet, replay::Position{"", 0, set.text()}};
    if (!looksLikeFile) refuse(text, "neither a binlog position nor a GTID set");
    StopRequest r{StopRequest::Kind::FilePosition, {}};
    r.position.file = std::string(text.substr(0, colon));
    r.position.pos = std::stoull(std::string(text.substr(colon + 1)));
    return r;
}

}  // namespace tidemark::cutover
