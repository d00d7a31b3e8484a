// A test seam: makes a chosen statement fail with a chosen server error, on a real connection,
// before (or right after) it reaches the real server. Used to prove on real servers how each
// class of TiDB error is handled (see dialect/errors.h) without a TiDB. This is fault injection
// around a real database, not a mock of one: every statement not matched runs on the server.
//
// Faults come from injectFault() (tests in the same process) or, read once at the first
// statement, from the environment variable TIDEMARK_INJECT_FAULTS (runner processes):
//   role:code:times:match[:after]   several separated by ';'
// e.g. "target:9007:3:INSERT INTO" fails the first 3 target statements containing "INSERT INTO"
// with error 9007; with ":after" the statement runs on the server first and then the error is
// returned (an outcome the client cannot know, like a COMMIT whose answer was lost).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::db {

struct ConnectOptions;
class Connection;

struct InjectedFault {
    std::string role;     // "source" or "target"; "" = any
    std::string match;    // substring of the statement text (a multi-statement text counts whole)
    unsigned code = 0;    // the server error to return, e.g. 9007
    std::string message;  // its text; "" = TiDB's message template for `code`, else a generic one
    int times = 1;        // how many matching statements fail; then the fault is spent
    bool afterExecute = false;
};

void injectFault(InjectedFault fault);
// Forgets every fault (injected or from the environment) and the count of those fired; the
// environment variable is read again at the next statement.
void clearFaults();
// The faults a TIDEMARK_INJECT_FAULTS value describes (role "" or "*" = any; times >= 1).
// Throws std::invalid_argument naming the entry it cannot read.
std::vector<InjectedFault> parseFaults(std::string_view spec);
// How many injected faults have fired since the last clearFaults() (a test asserts it is > 0).
int faultsFired();

// Called with the statement text by every path that sends SQL (Connection::execute/query,
// Statement::execute, raw multi-statement senders). Before: throws the DbError (naming the
// endpoint, with the injected code) when a fault matches. After: called once the server has
// answered; throws when an afterExecute fault matches.
void checkFaultBefore(const ConnectOptions& endpoint, std::string_view sql);
void checkFaultAfter(const ConnectOptions& endpoint, std::string_view sql);

}  // namespace tidemark::db
