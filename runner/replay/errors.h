// Errors that end or interrupt replay. ReplayError says whether retrying can help: a lost
// source or target connection can (replay reconnects and resumes from its checkpoint); a
// purged binlog, a duplicate key outside safe mode or a DDL the target rejects cannot.
#pragma once

#include <stdexcept>
#include <string>

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

}  // namespace tidemark::replay
