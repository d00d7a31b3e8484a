#include "api/name_pattern.h"

#include "api/migration_job.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

namespace tidemark::api {
namespace {

char folded(char c, bool fold) { return fold ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c; }

// The end of the class starting at `open` ('['), or npos when it is not closed. A ']' right
// after the opening (or after its negation) belongs to the class, as in shell globs.
std::size_t classEnd(std::string_view p, std::size_t open) {
    std::size_t i = open + 1;
    if (i < p.size() && (p[i] == '!' || p[i] == '^')) ++i;
    if (i < p.size() && p[i] == ']') ++i;
    while (i < p.size() && p[i] != ']') ++i;
    return i < p.size() ? i : std::string_view::npos;
}

bool inClass(std::string_view cls, char c, bool fold) {
    bool negated = false;
    std::size_t i = 0;
    if (!cls.empty() && (cls[0] == '!' || cls[0] == '^')) {
        negated = true;
        i = 1;
    }
    bool hit = false;
    for (; i < cls.size(); ++i) {
        if (i + 2 < cls.size() && cls[i + 1] == '-') {
            hit = hit || (folded(c, fold) >= folded(cls[i], fold) && folded(c, fold) <= folded(cls[i + 2], fold));
            i += 2;
        } else {
            hit = hit || folded(c, fold) == folded(cls[i], fold);
        }
    }
    return hit != negated;
}

// Iterative glob match with backtracking to the last `*` (linear in practice).
bool globMatches(std::string_view p, std::string_view s, bool fold) {
    std::size_t pi = 0, si = 0, starP = std::string_view::npos, starS = 0;
    while (si < s.size()) {
        if (pi < p.size() && p[pi] == '*') {
            starP = pi++;
            starS = si;
            continue;
        }
        if (pi < p.size()) {
            const auto end = p[pi] == '[' ? classEnd(p, pi) : std::string_view::npos;
            if (end != std::string_view::npos) {
                if (inClass(p.substr(pi + 1, end - pi - 1), s[si], fold)) {
                    pi = end + 1;
                    ++si;
                    continue;
                }
            } else if (p[pi] == '?' || folded(p[pi], fold) == folded(s[si], fold)) {
                ++pi;
                ++si;
                continue;
            }
        }
        if (starP == std::string_view::npos) return false;
        pi = starP + 1;
        si = ++starS;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

const std::regex& compiled(std::string_view expression, bool fold) {
    static std::mutex mu;
    static std::map<std::pair<std::string, bool>, std::unique_ptr<std::regex>, std::less<>> cache;
    std::lock_guard lock(mu);
    auto key = std::make_pair(std::string(expression), fold);
    auto it = cache.find(key);
    if (it == cache.end()) {
        auto flags = std::regex::ECMAScript | std::regex::optimize;
        if (fold) flags |= std::regex::icase;
        it = cache.emplace(std::move(key), std::make_unique<std::regex>(std::string(expression), flags)).first;
    }
    return *it->second;
}

bool isRegex(std::string_view p) { return !p.empty() && p.front() == '~'; }
bool hasWildcard(std::string_view p) { return p.find_first_of("*?[") != std::string_view::npos; }

}  // namespace

std::optional<std::string> namePatternProblem(std::string_view text) {
    if (text.empty()) return "must not be empty";
    if (isRegex(text)) {
        if (text.size() == 1) return "'~' must be followed by a regular expression";
        try {
            std::regex(std::string(text.substr(1)), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return "'" + std::string(text) + "' is not a valid regular expression: " + e.what();
        }
        return std::nullopt;
    }
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '[') {
            const auto end = classEnd(text, i);
            if (end == std::string_view::npos)
                return "'" + std::string(text) + "': '[' at " + std::to_string(i) + " is never closed";
            i = end;
        }
    return std::nullopt;
}

bool isNamePattern(std::string_view pattern) { return isRegex(pattern) || hasWildcard(pattern); }

bool nameMatches(std::string_view pattern, std::string_view name, NameCase rule) {
    const bool fold = rule != NameCase::Exact;
    if (isRegex(pattern)) return std::regex_match(name.begin(), name.end(), compiled(pattern.substr(1), fold));
    if (hasWildcard(pattern)) return globMatches(pattern, name, fold);
    return pattern.size() == name.size() &&
        std::equal(pattern.begin(), pattern.end(), name.begin(),
                   [fold](char a, char b) { return folded(a, fold) == folded(b, fold); });
}

}  // namespace tidemark::api
