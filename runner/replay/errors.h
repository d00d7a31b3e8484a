// Errors that end or interrupt replay. ReplayError says whether retrying can help: a lost
// source or target connection can (replay reconnects and resumes from its checkpoint); a
// purged binlog, a duplicate key outside safe mode or a DDL the target rejects cannot.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace tidemark::replay {

class ReplayError : public std::runtime_error {
public:
    ReplayError(const std::string& message, bool retryable) : std::runtime_error(message), retryable_(retryable) {}
    bool retryable() const { return retryable_; }

private:
    bool retryable_;
};

// A duplicate key in the target outside safe mode. Restarting with
// ReplayOptions::restartAfterError replays the stretch in safe mode.
class DuplicateKeyError : public ReplayError {
public:
    explicit DuplicateKeyError(const std::string& message) : ReplayError(message, false) {}
};

// A DDL the target refused (not a lost connection). The job stops; the user either fixes the
// target and restarts, or lists `position` in spec.ddl.skip to go on without the statement.
class DdlRejectedError : public ReplayError {
public:
    DdlRejectedError(const std::string& message, std::string position, std::string statement, std::string error)
        : ReplayError(message, false),
          position(std::move(position)),
          statement(std::move(statement)),
          error(std::move(error)) {}
    std::string position;   // where the DDL's event ends, "binlog-file:offset", as spec.ddl.skip takes it
    std::string statement;  // its first 300 characters
    std::string error;      // what the target said
};

}  // namespace tidemark::replay
