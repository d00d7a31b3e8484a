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

template <class T>
T number(std::string_view s, std::string_view whole) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        throw std::invalid_argument("invalid GTID set '" + std::string(whole) + "'");
    return v;
}

void putLe(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

constexpr size_t kUuidLength = 36;

int hexDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10; }

[[noreturn]] void badSet(std::string_view whole, const std::string& why) {
    throw std::invalid_argument("invalid GTID set '" + std::string(whole) + "': " + why);
}

// "3E11FA47-71CA-11E1-9E33-C80AA9429562" -> lower case, checked.
std::string normalUuid(std::string_view s, std::string_view whole) {
    std::string uuid(s);
    bool ok = uuid.size() == kUuidLength;
    for (size_t i = 0; ok && i < uuid.size(); ++i) {
        uuid[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(uuid[i])));
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        ok = dash ? uuid[i] == '-' : std::isxdigit(static_cast<unsigned char>(uuid[i])) != 0;
    }
    if (!ok) badSet(whole, "'" + std::string(s) + "' is not a uuid");
    return uuid;
}

// MySQL's tag rule: a letter or '_', then letters, digits or '_', at most 32; kept lower case.
std::string normalTag(std::string_view s, std::string_view whole) {
    std::string tag(s);
    bool ok = !tag.empty() && tag.size() <= 32;
    for (size_t i = 0; ok && i < tag.size(); ++i) {
        const auto c = static_cast<unsigned char>(tag[i]);
        tag[i] = static_cast<char>(std::tolower(c));
        ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    }
    if (!ok) badSet(whole, "'" + std::string(s) + "' is not a GTID tag");
    return tag;
}

// "uuid" or "uuid:tag" in normal form.
std::string normalTsid(std::string_view tsid) {
    const auto colon = tsid.find(':');
    std::string out = normalUuid(trim(tsid.substr(0, colon)), tsid);
    if (colon != std::string_view::npos) out += ":" + normalTag(trim(tsid.substr(colon + 1)), tsid);
    return out;
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
            const std::string uuid = normalUuid(trim(fields[0]), text);
            std::string tsid = uuid;
            for (size_t i = 1; i < fields.size(); ++i) {
                auto item = trim(fields[i]);
                // Each item is a tag, which applies to the intervals after it, or an interval.
                if (!item.empty() && !std::isdigit(static_cast<unsigned char>(item.front()))) {
                    tsid = uuid + ":" + normalTag(item, text);
                    continue;
                }
                auto dash = item.find('-');
                int64_t lo = number<int64_t>(trim(item.substr(0, dash)), text);
                int64_t hi = dash == std::string_view::npos ? lo : number<int64_t>(trim(item.substr(dash + 1)), text);
                if (lo <= 0) badSet(text, "GTID numbers start at 1");
                if (hi >= lo) set.addMysqlRange(tsid, lo, hi);  // "5-3" adds nothing, as in MySQL
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

void GtidSet::addMysql(std::string_view tsid, int64_t gno) {
    auto it = mysql_.find(tsid);
    // Common case: the next number of the last interval of a TSID already in normal form.
    if (it != mysql_.end() && !it->second.empty() && it->second.back().second + 1 == gno) {
        it->second.back().second = gno;
        return;
    }
    addMysqlRange(tsid, gno, gno);
}

void GtidSet::addMysqlRange(std::string_view tsid, int64_t first, int64_t last) {
    auto it = mysql_.find(tsid);
    if (it == mysql_.end()) it = mysql_.emplace(normalTsid(tsid), std::vector<std::pair<int64_t, int64_t>>{}).first;
    auto& iv = it->second;
    iv.emplace_back(first, last);
    std::sort(iv.begin(), iv.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (auto& r : iv) {
        if (!merged.empty() && r.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, r.second);
        else merged.push_back(r);
    }
    iv = std::move(merged);
}

bool GtidSet::hasTags() const {
    return std::any_of(mysql_.begin(), mysql_.end(), [](const auto& e) { return e.first.size() > kUuidLength; });
}

std::string GtidSet::text() const {
    std::string out;
    for (auto& [domain, g] : maria_) {
        if (!out.empty()) out += ',';
        out += std::to_string(domain) + "-" + std::to_string(g.serverId) + "-" + std::to_string(g.seq);
    }
    std::string_view lastUuid;
    for (auto& [tsid, iv] : mysql_) {
        if (iv.empty()) continue;
        const std::string_view uuid = std::string_view(tsid).substr(0, kUuidLength);
        if (uuid != lastUuid) {
            if (!out.empty()) out += ',';
            out += uuid;
            lastUuid = uuid;
        }
        if (tsid.size() > kUuidLength) out += std::string_view(tsid).substr(kUuidLength);  // ":tag"
        for (auto& [lo, hi] : iv) {
            out += ':' + std::to_string(lo);
            if (hi != lo) out += '-' + std::to_string(hi);
        }
    }
    return out;
}

// MySQL's Gtid_set::encode: a u64 count (in the tagged format, format byte 1 in the top and the
// bottom byte, the count between), then per TSID the 16 uuid bytes, in the tagged format the
// tag as a length-prefixed string (mysql::serialization's variable-length integer; tags are at
// most 32 bytes, so one byte: length << 1), and its intervals with exclusive ends.
std::string GtidSet::encodeMysql() const {
    const bool tagged = hasTags();
    uint64_t n = 0;
    for (auto& [tsid, iv] : mysql_) n += iv.empty() ? 0 : 1;
    std::string out;
    putLe(out, tagged ? (uint64_t{1} << 56) | (n << 8) | 1 : n, 8);
    for (auto& [tsid, iv] : mysql_) {
        if (iv.empty()) continue;
        for (size_t i = 0; i < kUuidLength; ++i) {
            if (tsid[i] == '-') continue;
            out.push_back(static_cast<char>((hexDigit(tsid[i]) << 4) | hexDigit(tsid[i + 1])));
            ++i;
        }
        if (tagged) {
            const std::string_view tag =
                tsid.size() > kUuidLength ? std::string_view(tsid).substr(kUuidLength + 1) : std::string_view();
            out.push_back(static_cast<char>(tag.size() << 1));
            out += tag;
        }
        putLe(out, iv.size(), 8);
        for (auto& [lo, hi] : iv) {
            putLe(out, static_cast<uint64_t>(lo), 8);
            putLe(out, static_cast<uint64_t>(hi + 1), 8);  // exclusive end on the wire
        }
    }
    return out;
}

}  // namespace tidemark::replay
