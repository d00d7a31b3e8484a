// How tidemark sets up a session on the target, per purpose and per target flavor: the one
// place that knows which session settings a migration wants on MySQL, MariaDB and TiDB, and
// why (each setting's reason is a comment in session.cpp).
//
// Contracts:
//  - sessionSettings() is pure: the settings for a purpose on a flavor, in the order they run.
//  - applySession() runs them. A required setting the server refuses throws DbError; an
//    optional one the server does not know, or the user may not set, is skipped.
//  - The first session of each purpose in a process logs what it got, once:
//    "target session (TiDB 7.5.1, replay): time_zone=+00:00, ..., tidb_txn_mode=pessimistic;
//    not set: max_error_count (not permitted)".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/db/dialect/flavor.h"

namespace tidemark::db::dialect {

enum class SessionPurpose {
    CopyWrite,     // the copy's logical writers (multi-row REPLACE)
    CopyPhysical,  // the copy's physical writers (LOAD DATA into empty tables)
    Replay,        // replay's appliers (row changes and DDL, with the checkpoint in the same transaction);
                   // the same sql_mode and warning rule as the copy (a changed value stops it)
    Admin,         // metadata and DDL: CREATE TABLE, deferred indexes, checks of the target
};
std::string_view nameOf(SessionPurpose);

struct SessionSetting {
    std::string name;       // for the log: "tidb_txn_mode"
    std::string value;      // for the log: "pessimistic"
    std::string statement;  // what runs: "SET SESSION tidb_txn_mode = 'pessimistic'"
    bool optional = false;  // unknown to the server or not permitted: skipped (and said so in the log)
};

std::vector<SessionSetting> sessionSettings(const ServerInfo& target, SessionPurpose purpose);

struct AppliedSession {
    ServerInfo server;
    std::vector<std::string> applied;  // "name=value"
    std::vector<std::string> skipped;  // "name (why)"
};

// Detects the server (detectServer), then applies its settings for `purpose`.
AppliedSession applySession(Connection& c, SessionPurpose purpose);
AppliedSession applySession(Connection& c, const ServerInfo& target, SessionPurpose purpose);

// The once-per-purpose line, as logged: "target session (<server>, <purpose>): ...".
std::string describeSession(const AppliedSession& s, SessionPurpose purpose);
// Where that line goes (standard error, prefixed "tidemark-runner: ", until set). The runner's
// status sink is out of reach here; its owner may route the line there.
void setSessionLog(std::function<void(std::string_view)> log);

}  // namespace tidemark::db::dialect
