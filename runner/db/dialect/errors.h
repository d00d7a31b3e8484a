// How tidemark reacts to an error a MySQL, MariaDB or TiDB server (or the client library)
// returns: the one classifier every stage calls, written from TiDB's errno list
// (pingcap/tidb pkg/errno, docs error-codes.md) and what DM, TiCDC and Lightning retry.
//
// Contracts:
//  - classify() is pure: the class depends on the error number and, for TiDB's catch-all 1105,
//    on the message text ("Information schema is changed/out of date" is transient).
//  - Every code in knownErrors() classifies as its row says; codes not listed are Fatal when
//    they come from the server (< 2000) and Reconnect when they are client-side (2000-2999).
//  - A code that means different things on different servers (4031: MySQL's idle-session
//    disconnect, MariaDB's unknown referenced trigger) is resolved by the server's flavor when
//    the caller knows it, else by the message text.
#pragma once

#include "runner/db/dialect/flavor.h"

#include <chrono>
#include <span>
#include <string_view>

namespace tidemark::db::dialect {

enum class ErrorClass {
    Fatal,          // needs a human: the statement, the data or the setup is wrong
    RetryTxn,       // transient conflict or unavailability: roll back, back off, run the transaction again
    Reconnect,      // the session is gone (lost, killed, server shut down): reconnect, then retry
    Split,          // the transaction is too large for the target: run it again in smaller pieces
    EntryTooLarge,  // one row (or index entry) exceeds the target's entry limit: fatal, naming the row
};

ErrorClass classify(unsigned code, std::string_view message);
ErrorClass classify(unsigned code, std::string_view message, Flavor server);
std::string_view nameOf(ErrorClass);

// True when a statement that failed with this error may nevertheless have committed: the
// connection was lost before the answer came (Reconnect), or TiKV timed out during the commit
// (9002). Only an idempotent statement may then simply be sent again; anything else must find
// out what happened first. Every other class means the statement did not take effect.
bool mayHaveCommitted(unsigned code, std::string_view message);

// How to retry a RetryTxn or Reconnect error: `attempts` retries at most, waiting `first`, then
// twice as long each time up to `cap`. Region, PD and TiKV unavailability (a rolling restart or
// a leader election, which take seconds to minutes) waits longer than a write conflict.
struct RetryPlan {
    int attempts = 0;
    std::chrono::milliseconds first{0};
    std::chrono::milliseconds cap{0};
    // The wait before retry `attempt` (1 = the first retry).
    std::chrono::milliseconds delay(int attempt) const;
};
// Zero attempts for the classes that are not retried as they are (Fatal, Split, EntryTooLarge).
RetryPlan retryPlanFor(unsigned code, std::string_view message);

// The server's message for `code` with sample values (TiDB's templates from errname.go, the
// MySQL/MariaDB and client texts for theirs), as a real error would read; "" when not known.
// Fault injection returns these.
std::string_view messageFor(unsigned code);

// One documented error and what tidemark does with it (the README's table is made from this).
struct KnownError {
    unsigned code;
    const char* server;  // "TiDB", "MySQL", "MariaDB", "MySQL/TiDB", "client"
    const char* name;    // the server's constant, e.g. "ErrWriteConflict"
    ErrorClass cls;
    const char* meaning;  // one line
};
std::span<const KnownError> knownErrors();

// True for the client library's own errors (2000-2999: lost connection, cannot connect, ...).
inline bool isClientError(unsigned code) { return code >= 2000 && code < 3000; }

// Codes other stages act on in their own way (kept here so no error number lives elsewhere).
inline constexpr unsigned kErLockWaitTimeout = 1205;  // lock_wait_timeout / innodb_lock_wait_timeout passed
inline constexpr unsigned kErNoSuchTable = 1146;      // ER_NO_SUCH_TABLE
inline constexpr unsigned kErTableExists = 1050;      // ER_TABLE_EXISTS_ERROR
inline constexpr unsigned kWarnDataTruncated = 1265;  // WARN_DATA_TRUNCATED: "Data truncated for column"
// ER_MASTER_FATAL_ERROR_READING_BINLOG: the source cannot serve the requested binlog position
// (purged file, missing GTIDs).
inline constexpr unsigned kErSourceCannotServeBinlog = 1236;
inline constexpr unsigned kErDupEntry = 1062;      // ER_DUP_ENTRY
inline constexpr unsigned kErDupUnique = 1169;     // ER_DUP_UNIQUE
inline constexpr unsigned kErNoSuchThread = 1094;  // ER_NO_SUCH_THREAD: KILL of a session already gone
// A DDL replayed after a crash fails this way when its effect is already in the target (the
// database or table exists or not, the column or index exists or not, ...).
bool ddlAlreadyApplied(unsigned code);
// The server refuses LOAD DATA LOCAL INFILE (local_infile off, or the client's capability).
bool localInfileRefused(unsigned code);
// A read failed because the table was dropped or altered since the statement was planned (its
// columns, its index, the table itself); the copy treats it as retryable: a run that starts over
// reads the new definition.
bool tableChangedUnderneath(unsigned code);

}  // namespace tidemark::db::dialect
