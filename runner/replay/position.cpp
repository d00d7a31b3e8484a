#include "runner/replay/position.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace tidemark::replay {

namespace {

// Splits "base.000123" into its base and numeric extension; files without a numeric extension
// compare as text.
std::pair<std::string_view, uint64_t> splitBinlogName(std::string_view f, bool& numeric) {
    auto dot = f.rfind('.');
    numeric = false;
    if (dot == std::string_view::npos || dot + 1 == f.size()) return {f, 0};
    uint64_t n = 0;
    auto ext = f.substr(dot + 1);
    auto [p, ec] = std::from_chars(ext.data(), ext.data() + ext.size(), n);
    if (ec != std::errc() || p != ext.data() + ext.size()) return {f, 0};
    numeric = true;
    return {f.substr(0, dot), n};
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        size_t i = s.find(sep, start);
        out.push_back(s.substr(start, i == std::string_view::npos ? std::string_view::npos : i - start));
        if (i == std::string_view::npos) break;
        start = i + 1;
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

template <class T> T number(std::string_view s, std::string_view whole) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        throw std::invalid_argument("invalid GTID set '" + std::string(whole) + "'");
    return v;
}

void putLe(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string Position::text() const { return file + ":" + std::to_string(pos); }

int comparePositions(const Position& a, const Position& b) {
    if (a.file.empty() || b.file.empty()) {
        if (a.file.empty() && b.file.empty()) return 0;
        return a.file.empty() ? -1 : 1;
    }
    if (a.file != b.file) {
        bool na = false, nb = false;
        auto [ba, sa] = splitBinlogName(a.file, na);
        auto [bb, sb] = splitBinlogName(b.file, nb);
        if (na && nb && ba == bb) return sa < sb ? -1 : 1;
        return a.file < b.file ? -1 : 1;
    }
    return a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0;
}

GtidSet GtidSet::parse(std::string_view text) {
    GtidSet set;
    for (auto part : split(text, ',')) {
        part = trim(part);
        if (part.empty()) continue;
        if (part.find(':') != std::string_view::npos) {
            auto fields = split(part, ':');
            std::string uuid(trim(fields[0]));
            std::transform(uuid.begin(), uuid.end(), uuid.begin(), [](unsigned char c) { return std::tolower(c); });
            if (uuid.size() != 36) throw std::invalid_argument("invalid GTID set '" + std::string(text) + "'");
            for (size_t i = 1; i < fields.size(); ++i) {
                auto range = trim(fields[i]);
                auto dash = range.find('-');
                int64_t lo = number<int64_t>(range.substr(0, dash), text);
                int64_t hi = dash == std::string_view::npos ? lo : number<int64_t>(range.substr(dash + 1), text);
                set.addMysqlRange(uuid, lo, hi);
            }
        } else {
            auto fields = split(part, '-');
            if (fields.size() != 3) throw std::invalid_argument("invalid GTID set '" + std::string(text) + "'");
            set.addMaria(number<uint32_t>(fields[0], text), number<uint32_t>(fields[1], text),
                         number<uint64_t>(fields[2], text));
        }
    }
    return set;
}

void GtidSet::addMaria(uint32_t domain, uint32_t serverId, uint64_t seq) { maria_[domain] = MariaGtid{serverId, seq}; }

void GtidSet::addMysql(const std::string& uuid, int64_t gno) {
    auto& iv = mysql_[uuid];
    // Common case: the next number of the last interval.
    if (!iv.empty() && iv.back().second + 1 == gno) {
        iv.back().second = gno;
        return;
    }
    addMysqlRange(uuid, gno, gno);
}

void GtidSet::addMysqlRange(const std::string& uuid, int64_t first, int64_t last) {
    auto& iv = mysql_[uuid];
    iv.emplace_back(first, last);
    std::sort(iv.begin(), iv.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (auto& r : iv) {
        if (!merged.empty() && r.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, r.second);
        else
            merged.push_back(r);
    }
    iv = std::move(merged);
}

std::string GtidSet::text() const {
    std::string out;
    for (auto& [domain, g] : maria_) {
        if (!out.empty()) out += ',';
        out += std::to_string(domain) + "-" + std::to_string(g.serverId) + "-" + std::to_string(g.seq);
    }
    for (auto& [uuid, iv] : mysql_) {
        if (!out.empty()) out += ',';
        out += uuid;
        for (auto& [lo, hi] : iv) {
            out += ':' + std::to_string(lo);
            if (hi != lo) out += '-' + std::to_string(hi);
        }
    }
    return out;
}

std::string GtidSet::encodeMysql() const {
    std::string out;
    putLe(out, mysql_.size(), 8);
    for (auto& [uuid, iv] : mysql_) {
        std::string hex;
        for (char c : uuid)
            if (c != '-') hex += c;
        for (size_t i = 0; i + 1 < hex.size(); i += 2)
            out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        putLe(out, iv.size(), 8);
        for (auto& [lo, hi] : iv) {
            putLe(out, static_cast<uint64_t>(lo), 8);
            putLe(out, static_cast<uint64_t>(hi + 1), 8);  // exclusive end on the wire
        }
    }
    return out;
}

}  // namespace tidemark::replay
