#include "runner/status/status_sink.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

namespace tidemark::status {

namespace {

using Clock = std::chrono::steady_clock;

std::string isoNow() {
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace

std::string rfc3339Now() { return rfc3339(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())); }

std::string rfc3339(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

class JsonLinesSink final : public StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override {
        std::lock_guard lock(mu_);
        auto& b = state_[std::string(block)];
        const auto before = b;
        b.merge_patch(fields);
        if (b != before) pending_[std::string(block)] = true;  // print changes only
        if (Clock::now() - last_ >= std::chrono::seconds(1)) publishLocked();
    }
    void note(std::string_view message) override {
        std::lock_guard lock(mu_);
        nlohmann::json line = {{"time", isoNow()}, {"note", message}};
        std::fputs((line.dump() + "\n").c_str(), stdout);
        std::fflush(stdout);
    }
    void flush() override {
        std::lock_guard lock(mu_);
        publishLocked();
    }

private:
    void publishLocked() {
        for (auto& [block, dirty] : pending_.items()) {
            if (!dirty.get<bool>()) continue;
            nlohmann::json line = {{"time", isoNow()}, {"block", block}, {"status", state_[block]}};
            std::fputs((line.dump() + "\n").c_str(), stdout);
            dirty = false;
        }
        std::fflush(stdout);
        last_ = Clock::now();
    }

    std::mutex mu_;
    nlohmann::json state_ = nlohmann::json::object();
    nlohmann::json pending_ = nlohmann::json::object();
    Clock::time_point last_{};
};

class TerminalSink final : public StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override {
        std::lock_guard lock(mu_);
        state_[std::string(block)].merge_patch(fields);
        if (Clock::now() - last_ >= std::chrono::milliseconds(250)) drawLocked();
    }
    void note(std::string_view message) override {
        std::lock_guard lock(mu_);
        clearLineLocked();
        std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
    }
    void flush() override {
        std::lock_guard lock(mu_);
        drawLocked();
        clearLineLocked();
    }

private:
    void clearLineLocked() {
        if (!lastLine_.empty()) std::fputs("\r\x1b[2K", stderr);
        lastLine_.clear();
    }
    void drawLocked() {
        last_ = Clock::now();
        std::string line;
        if (state_.contains("incremental")) {
            const auto& s = state_["incremental"];
            line = "replicating  applied " + s.value("appliedPosition", std::string("-")) + "  lag " +
                std::to_string(s.value("lagSeconds", 0.0)).substr(0, 4) + " s  " +
                std::to_string(s.value("rowsPerSecond", 0LL)) + " rows/s" +
                (s.value("safeMode", false) ? "  [safe mode]" : "");
        } else if (state_.contains("fullCopy")) {
            const auto& s = state_["fullCopy"];
            char buf[256];
            std::snprintf(buf, sizeof buf, "copying  %3.0f%%  tables %lld/%lld  rows %lld/%lld  %s/s  eta %s",
                          s.value("percent", 0.0), s.value("tablesDone", 0LL), s.value("tablesTotal", 0LL),
                          s.value("rowsCopied", 0LL), s.value("rowsEstimated", 0LL),
                          humanBytes(s.value("bytesPerSecond", 0.0)).c_str(),
                          humanDuration(s.value("secondsLeft", 0.0)).c_str());
            line = buf;
        }
        if (line.empty() || line == lastLine_) return;
        std::fprintf(stderr, "\r\x1b[2K%s", line.c_str());
        std::fflush(stderr);
        lastLine_ = line;
    }

    std::mutex mu_;
    nlohmann::json state_ = nlohmann::json::object();
    std::string lastLine_;
    Clock::time_point last_{};
};

class TeeSink final : public StatusSink {
public:
    TeeSink(std::unique_ptr<StatusSink> a, std::unique_ptr<StatusSink> b) : a_(std::move(a)), b_(std::move(b)) {}
    void report(std::string_view block, const nlohmann::json& fields) override {
        a_->report(block, fields);
        b_->report(block, fields);
    }
    void note(std::string_view message) override {
        a_->note(message);
        b_->note(message);
    }
    void flush() override {
        a_->flush();
        b_->flush();
    }

private:
    std::unique_ptr<StatusSink> a_, b_;
};

class NullSink final : public StatusSink {
public:
    void report(std::string_view, const nlohmann::json&) override {}
    void note(std::string_view) override {}
    void flush() override {}
};

}  // namespace

std::unique_ptr<StatusSink> nullSink() { return std::make_unique<NullSink>(); }
std::unique_ptr<StatusSink> terminalSink() { return std::make_unique<TerminalSink>(); }
std::unique_ptr<StatusSink> jsonLinesSink() { return std::make_unique<JsonLinesSink>(); }
std::unique_ptr<StatusSink> defaultSink() { return isatty(STDERR_FILENO) ? terminalSink() : jsonLinesSink(); }
std::unique_ptr<StatusSink> teeSink(std::unique_ptr<StatusSink> a, std::unique_ptr<StatusSink> b) {
    return std::make_unique<TeeSink>(std::move(a), std::move(b));
}

std::string humanBytes(double bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

std::string humanDuration(double seconds) {
    if (seconds <= 0) return "-";
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

}  // namespace tidemark::status
