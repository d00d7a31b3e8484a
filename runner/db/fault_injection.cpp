#include "runner/db/fault_injection.h"

#include "runner/db/connection.h"
#include "runner/db/dialect/errors.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace tidemark::db {

namespace {

constexpr const char* kEnvironment = "TIDEMARK_INJECT_FAULTS";

// Every statement of every thread passes through here: the common case (no faults) costs one
// atomic load.
struct Registry {
    std::mutex mu;
    std::vector<InjectedFault> faults;  // each with the times it has left
    bool environmentRead = false;
    std::atomic<bool> maybeActive{true};  // faults left, or the environment not read yet
    std::atomic<int> fired{0};
};

Registry& registry() {
    static Registry r;
    return r;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// Reads the environment once (again after clearFaults()); the lock is held.
void readEnvironment(Registry& r) {
    if (r.environmentRead) return;
    const char* spec = std::getenv(kEnvironment);
    if (spec && *spec) {
        try {
            for (auto& f : parseFaults(spec)) r.faults.push_back(std::move(f));
        } catch (const std::invalid_argument& e) {
            // Left unread: every statement fails the same way until the variable is fixed.
            throw DbError(ErrorKind::Other, 0, std::string(kEnvironment) + ": " + e.what());
        }
    }
    r.environmentRead = true;
}

// The fault that fires for this statement, if any (counted and used up).
std::optional<InjectedFault> take(const ConnectOptions& endpoint, std::string_view sql, bool after) {
    auto& r = registry();
    if (!r.maybeActive.load(std::memory_order_acquire)) return std::nullopt;
    std::lock_guard lock(r.mu);
    readEnvironment(r);
    std::optional<InjectedFault> hit;
    for (auto it = r.faults.begin(); it != r.faults.end(); ++it) {
        if (it->afterExecute != after || it->times <= 0) continue;
        // "source" also names each of a job's several sources (roles "sources[i]").
        const bool sameRole =
            it->role == endpoint.role || (it->role == "source" && endpoint.role.rfind("sources[", 0) == 0);
        if (!it->role.empty() && !sameRole) continue;
        if (sql.find(it->match) == std::string_view::npos) continue;
        hit = *it;
        if (--it->times == 0) r.faults.erase(it);
        ++r.fired;
        break;
    }
    r.maybeActive.store(!r.faults.empty(), std::memory_order_release);
    return hit;
}

[[noreturn]] void fire(const ConnectOptions& endpoint, std::string_view sql, const InjectedFault& f) {
    std::string text = f.message;
    if (text.empty()) text = std::string(dialect::messageFor(f.code));
    if (text.empty()) text = "error " + std::to_string(f.code) + " (injected)";
    throwError(endpoint, f.code, text, runningDoing(sql));
}

}  // namespace

void injectFault(InjectedFault fault) {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    r.faults.push_back(std::move(fault));
    r.maybeActive.store(true, std::memory_order_release);
}

void clearFaults() {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    r.faults.clear();
    r.environmentRead = false;
    r.fired = 0;
    r.maybeActive.store(true, std::memory_order_release);
}

int faultsFired() { return registry().fired.load(); }

std::vector<InjectedFault> parseFaults(std::string_view spec) {
    std::vector<InjectedFault> out;
    std::size_t start = 0;
    while (start <= spec.size()) {
        const auto end = std::min(spec.find(';', start), spec.size());
        const std::string entry = trim(spec.substr(start, end - start));
        start = end + 1;
        if (entry.empty()) continue;
        const auto bad = [&](const std::string& why) {
            return std::invalid_argument("cannot read the fault '" + entry + "': " + why +
                                         " (expected role:code:times:match[:after])");
        };
        // role:code:times:match[:after]; the match is the rest and may itself hold colons.
        std::size_t p1 = entry.find(':');
        std::size_t p2 = p1 == std::string::npos ? p1 : entry.find(':', p1 + 1);
        std::size_t p3 = p2 == std::string::npos ? p2 : entry.find(':', p2 + 1);
        if (p3 == std::string::npos) throw bad("too few fields");
        InjectedFault f;
        f.role = trim(std::string_view(entry).substr(0, p1));
        if (f.role == "*" || f.role == "any") f.role.clear();
        if (!f.role.empty() && f.role != "source" && f.role != "target") throw bad("the role is not source or target");
        const std::string code = trim(std::string_view(entry).substr(p1 + 1, p2 - p1 - 1));
        const std::string times = trim(std::string_view(entry).substr(p2 + 1, p3 - p2 - 1));
        const auto number = [&](const std::string& s, const char* what) {
            if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
                throw bad(std::string(what) + " is not a number");
            return std::stoi(s);
        };
        f.code = static_cast<unsigned>(number(code, "the code"));
        f.times = number(times, "times");
        if (f.code == 0) throw bad("the code is 0");
        if (f.times < 1) throw bad("times is below 1");
        std::string match = entry.substr(p3 + 1);
        constexpr std::string_view kAfter = ":after";
        if (match.size() >= kAfter.size() && match.compare(match.size() - kAfter.size(), kAfter.size(), kAfter) == 0) {
            f.afterExecute = true;
            match.resize(match.size() - kAfter.size());
        }
        f.match = std::move(match);
        out.push_back(std::move(f));
    }
    return out;
}

void checkFaultBefore(const ConnectOptions& endpoint, std::string_view sql) {
    if (auto f = take(endpoint, sql, false)) fire(endpoint, sql, *f);
}

void checkFaultAfter(const ConnectOptions& endpoint, std::string_view sql) {
    if (auto f = take(endpoint, sql, true)) fire(endpoint, sql, *f);
}

}  // namespace tidemark::db
