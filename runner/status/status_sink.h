// Where the engine reports progress: the blocks of MigrationJob.status the runner owns
// (`precheck`, `fullCopy`, `incremental`, `lastError`).
//
// Stages call report() with one block at a time; a sink merges it into the job's status and
// publishes it: a live line on a terminal, JSON lines otherwise, or the status subresource in
// a cluster. report() is thread-safe and cheap enough to call a few times a second; sinks
// rate-limit publishing themselves.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

namespace tidemark::status {

class StatusSink {
public:
    virtual ~StatusSink() = default;
    // Merges `fields` (a JSON object) into status.<block> (JSON merge-patch semantics).
    virtual void report(std::string_view block, const nlohmann::json& fields) = 0;
    // A one-line human message (stage changes, warnings); never holds secrets.
    virtual void note(std::string_view message) = 0;
    // Publishes whatever is pending now (at stage ends and before exit).
    virtual void flush() = 0;
};

// A live progress line on a terminal (stderr), rewritten in place.
std::unique_ptr<StatusSink> terminalSink();
// One JSON object per line on stdout: {"time":..., "block":..., "status": {...}} or {"note":...}.
std::unique_ptr<StatusSink> jsonLinesSink();
// Chooses terminalSink() when stderr is a terminal, jsonLinesSink() otherwise.
std::unique_ptr<StatusSink> defaultSink();
// Discards everything (for commands whose output is their result, not their progress).
std::unique_ptr<StatusSink> nullSink();
// Forwards to several sinks.
std::unique_ptr<StatusSink> teeSink(std::unique_ptr<StatusSink> a, std::unique_ptr<StatusSink> b);

// Now as Kubernetes writes times in status (RFC 3339, UTC, seconds): "2026-12-06T17:16:51Z".
std::string rfc3339Now();
// `t` (seconds since the epoch) the same way.
std::string rfc3339(std::time_t t);

// Formats byte counts and durations for humans: "12.3 MiB", "1h02m".
std::string humanBytes(double bytes);
std::string humanDuration(double seconds);

}  // namespace tidemark::status
