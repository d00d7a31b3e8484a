#include "runner/db/dialect/errors.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tidemark::db::dialect {

namespace {

using enum ErrorClass;

// Sources: pingcap/tidb pkg/errno (errcode.go, errname.go), pingcap/docs error-codes.md, and
// what pkg/util/dbutil/retry.go (DM, TiCDC) and lightning/common/retry.go retry; MySQL's and
// MariaDB's mysqld_error.h and errmsg.h. Sorted by code: classify() looks codes up by halving.
constexpr KnownError kKnown[] = {
    {1040, "MySQL/MariaDB/TiDB", "ER_CON_COUNT_ERROR", Reconnect, "the server has too many connections"},
    {1053, "MySQL/MariaDB", "ER_SERVER_SHUTDOWN", Reconnect, "the server is shutting down"},
    {1062, "MySQL/MariaDB/TiDB", "ER_DUP_ENTRY", Fatal, "duplicate key (DM: unrecoverable)"},
    {1064, "MySQL/MariaDB/TiDB", "ER_PARSE_ERROR", Fatal, "the server cannot parse the statement"},
    {1105, "TiDB", "ErrUnknown", Fatal,
     "catch-all; retried (RetryTxn) only when the text says \"Information schema is changed\", \"Information "
     "schema is out of date\" or \"[try again later]\""},
    {1146, "MySQL/MariaDB/TiDB", "ER_NO_SUCH_TABLE", Fatal, "the table does not exist"},
    {1152, "MySQL/MariaDB", "ER_ABORTING_CONNECTION", Reconnect, "the server aborted the connection"},
    {1158, "MySQL/MariaDB", "ER_NET_READ_ERROR", Reconnect, "the server got an error reading from the network"},
    {1159, "MySQL/MariaDB", "ER_NET_READ_INTERRUPTED", Reconnect, "net_read_timeout passed"},
    {1160, "MySQL/MariaDB", "ER_NET_ERROR_ON_WRITE", Reconnect, "the server got an error writing to the network"},
    {1161, "MySQL/MariaDB", "ER_NET_WRITE_INTERRUPTED", Reconnect, "net_write_timeout passed"},
    {1184, "MySQL/MariaDB", "ER_NEW_ABORTING_CONNECTION", Reconnect, "the server aborted the connection"},
    {1203, "MySQL/MariaDB", "ER_TOO_MANY_USER_CONNECTIONS", Reconnect, "the user has too many connections"},
    {1205, "MySQL/MariaDB/TiDB", "ER_LOCK_WAIT_TIMEOUT", RetryTxn,
     "a lock wait passed innodb_lock_wait_timeout (TiDB: pessimistic lock wait)"},
    {1213, "MySQL/MariaDB/TiDB", "ER_LOCK_DEADLOCK", RetryTxn, "deadlock; this transaction was rolled back"},
    {1317, "MySQL/MariaDB/TiDB", "ER_QUERY_INTERRUPTED", Reconnect, "the statement was killed (KILL QUERY)"},
    {1366, "MySQL/MariaDB/TiDB", "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD", Fatal,
     "a value does not fit the column (DM: unrecoverable)"},
    {1406, "MySQL/MariaDB/TiDB", "ER_DATA_TOO_LONG", Fatal, "a value is too long for the column (DM: unrecoverable)"},
    {1927, "MariaDB", "ER_CONNECTION_KILLED", Reconnect, "the connection was killed (KILL)"},
    {2002, "client", "CR_CONNECTION_ERROR", Reconnect, "cannot connect through the socket"},
    {2003, "client", "CR_CONN_HOST_ERROR", Reconnect, "cannot connect to the host (refused, unreachable, timed out)"},
    {2006, "client", "CR_SERVER_GONE_ERROR", Reconnect, "the server has gone away"},
    {2013, "client", "CR_SERVER_LOST", Reconnect,
     "lost the connection during a statement (if during COMMIT, the outcome is unknown)"},
    {2055, "client", "CR_SERVER_LOST_EXTENDED", Reconnect, "lost the connection (with the system error)"},
    {3169, "MySQL", "ER_SESSION_WAS_KILLED", Reconnect, "the session was killed (KILL)"},
    {3572, "MySQL/TiDB", "ER_LOCK_NOWAIT", Fatal, "FOR UPDATE NOWAIT did not get its lock"},
    {4031, "MySQL", "ER_CLIENT_INTERACTION_TIMEOUT", Reconnect,
     "the server closed an idle session (wait_timeout); on MariaDB 4031 is an unknown referenced trigger: Fatal"},
    {8002, "TiDB", "ErrForUpdateCantRetry", RetryTxn,
     "an optimistic transaction with SELECT FOR UPDATE hit a commit conflict and was rolled back"},
    {8004, "TiDB", "ErrTxnTooLarge", Split, "the transaction exceeds txn-total-size-limit"},
    {8005, "TiDB", "ErrWriteConflictInTiDB", RetryTxn, "write conflict: the transaction's start timestamp is stale"},
    {8020, "TiDB", "ErrTableLocked", Fatal, "another session holds the table with LOCK TABLES"},
    {8022, "TiDB", "ErrTxnRetryable", RetryTxn, "the commit failed and was rolled back; safe to retry"},
    {8024, "TiDB", "ErrInvalidTxn", Reconnect, "the session's transaction has no start timestamp"},
    {8025, "TiDB", "ErrEntryTooLarge", EntryTooLarge,
     "one row or index entry exceeds txn-entry-size-limit (6 MiB by default); fails naming the row"},
    {8027, "TiDB", "ErrInfoSchemaExpired", RetryTxn,
     "this tidb-server's schema is out of date (it cannot reach PD/TiKV)"},
    {8028, "TiDB", "ErrInfoSchemaChanged", RetryTxn, "a DDL changed the schema while the transaction ran"},
    {8048, "TiDB", "ErrUnsupportedIsolationLevel", Fatal, "the session asked for an isolation level TiDB lacks"},
    {8130, "TiDB", "ErrMultiStatementDisabled", Fatal, "several statements in one query without the capability"},
    {8147, "TiDB", "ErrLazyUniquenessCheckFailure", RetryTxn,
     "a deferred uniqueness check failed and aborted the transaction"},
    {8175, "TiDB", "ErrMemoryExceedForQuery", Split,
     "the statement (and its transaction's memory) exceeded tidb_mem_quota_query"},
    {8176, "TiDB", "ErrMemoryExceedForInstance", RetryTxn,
     "the tidb-server instance is short of memory (tidb_server_memory_limit); long backoff"},
    {8229, "TiDB", "ErrLockExpire", Split, "the transaction outlived max-txn-ttl (1 h by default)"},
    {8245, "TiDB", "ErrColumnInChange", RetryTxn, "a concurrent DDL is changing a column"},
    {8252, "TiDB", "ErrResourceGroupThrottled", RetryTxn, "the resource group's quota is used up; long backoff"},
    {9001, "TiDB", "ErrPDServerTimeout", RetryTxn, "a PD request timed out; long backoff"},
    {9002, "TiDB", "ErrTiKVServerTimeout", RetryTxn,
     "a TiKV request timed out; long backoff (at COMMIT the outcome is unknown)"},
    {9003, "TiDB", "ErrTiKVServerBusy", RetryTxn, "TiKV is overloaded; long backoff"},
    {9004, "TiDB", "ErrResolveLockTimeout", RetryTxn, "resolving locks timed out (heavy lock contention)"},
    {9005, "TiDB", "ErrRegionUnavailable", RetryTxn,
     "a region has no leader (TiKV restarting or down, e.g. a rolling upgrade); long backoff"},
    {9006, "TiDB", "ErrTxnAbortedByGC", Split, "the transaction outlived the GC life time"},
    {9007, "TiDB", "ErrWriteConflict", RetryTxn, "write conflict (optimistic commit or lazy uniqueness check)"},
    {9008, "TiDB", "ErrTiKVStoreLimit", RetryTxn, "too many requests in flight to one TiKV store; long backoff"},
    {9500, "TiDB", "(legacy ErrTxnTooLarge)", Split, "transaction too large (older TiDB)"},
};

// Transient unavailability that lasts seconds to minutes rather than milliseconds.
constexpr std::array kLongBackoff = {8027u, 8176u, 8252u, 9001u, 9002u, 9003u, 9005u, 9008u};

bool contains(std::string_view text, std::string_view what) {
    return std::search(text.begin(), text.end(), what.begin(), what.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           }) != text.end();
}

const KnownError* find(unsigned code) {
    auto it = std::lower_bound(std::begin(kKnown), std::end(kKnown), code,
                               [](const KnownError& e, unsigned c) { return e.code < c; });
    return it != std::end(kKnown) && it->code == code ? &*it : nullptr;
}

constexpr unsigned kErUnknown = 1105;
constexpr unsigned kErClientInteractionTimeout = 4031;
constexpr unsigned kErTiKVServerTimeout = 9002;

}  // namespace

ErrorClass classify(unsigned code, std::string_view message) {
    if (code == kErUnknown) {
        // Older TiDB reported schema changes as 1105; "[try again later]" marks its transient errors.
        for (std::string_view text :
             {"Information schema is changed", "Information schema is out of date", "[try again later]"})
            if (contains(message, text)) return RetryTxn;
        return Fatal;
    }
    // MariaDB's 4031 is ER_REFERENCED_TRG_DOES_NOT_EXIST ("Referenced trigger ... does not exist").
    if (code == kErClientInteractionTimeout && contains(message, "trigger")) return Fatal;
    if (const auto* known = find(code)) return known->cls;
    if (isClientError(code)) return Reconnect;
    return Fatal;
}

ErrorClass classify(unsigned code, std::string_view message, Flavor server) {
    if (code == kErClientInteractionTimeout && server == Flavor::MariaDB) return Fatal;
    return classify(code, message);
}

std::string_view nameOf(ErrorClass c) {
    switch (c) {
        case Fatal: return "Fatal";
        case RetryTxn: return "RetryTxn";
        case Reconnect: return "Reconnect";
        case Split: return "Split";
        case EntryTooLarge: return "EntryTooLarge";
    }
    return "Fatal";
}

bool mayHaveCommitted(unsigned code, std::string_view message) {
    return code == kErTiKVServerTimeout || classify(code, message) == Reconnect;
}

std::chrono::milliseconds RetryPlan::delay(int attempt) const {
    auto d = first;
    for (int i = 1; i < attempt && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

RetryPlan retryPlanFor(unsigned code, std::string_view message) {
    using std::chrono::milliseconds;
    switch (classify(code, message)) {
        case RetryTxn:
            if (std::find(kLongBackoff.begin(), kLongBackoff.end(), code) != kLongBackoff.end())
                return {12, milliseconds(500), milliseconds(30'000)};  // up to about 3.5 minutes
            return {10, milliseconds(50), milliseconds(5'000)};        // up to about 20 seconds
        case Reconnect: return {5, milliseconds(250), milliseconds(5'000)};
        default: return {};
    }
}

std::string_view messageFor(unsigned code) {
    switch (code) {
        case 1040: return "Too many connections";
        case 1053: return "Server shutdown in progress";
        case 1062: return "Duplicate entry '1' for key 'PRIMARY'";
        case 1105: return "Information schema is changed. [try again later]";
        case 1205: return "Lock wait timeout exceeded; try restarting transaction";
        case 1213: return "Deadlock found when trying to get lock; try restarting transaction";
        case 1317: return "Query execution was interrupted";
        case 1927: return "Connection was killed";
        case 2006: return "Server has gone away";
        case 2013: return "Lost connection to server during query";
        case 3169: return "Session was killed";
        case 4031:
            return "The client was disconnected by the server because of inactivity. See wait_timeout and "
                   "interactive_timeout for configuring this behavior.";
        case 8002: return "[1] can not retry select for update statement";
        case 8004: return "Transaction is too large, size: 104857600";
        case 8005: return "Write conflict, txnStartTS 450000000000000001 is stale";
        case 8022: return "Error: KV error safe to retry write conflict [try again later]";
        case 8024: return "invalid transaction";
        case 8025: return "entry too large, the max entry size is 6291456, the size of data is 7340032";
        case 8027:
            return "Information schema is out of date: schema failed to update in 1 lease, please make sure TiDB "
                   "can connect to TiKV";
        case 8028:
            return "Information schema is changed during the execution of the statement(for example, table "
                   "definition may be updated by other DDL ran in parallel). If you see this error often, try "
                   "increasing `tidb_max_delta_schema_count`. [try again later]";
        case 8147:
            return "transaction aborted because lazy uniqueness check is enabled and an error occurred: [kv:1062]"
                   "Duplicate entry '1' for key 'PRIMARY'";
        case 8175:
            return "Your query has been cancelled due to exceeding the allowed memory limit for a single SQL query. "
                   "Please try narrowing your query scope or increase the tidb_mem_quota_query limit and try "
                   "again.[conn=1]";
        case 8176:
            return "Your query has been cancelled due to exceeding the allowed memory limit for the tidb-server "
                   "instance and this query is currently using the most memory. Please try narrowing your query "
                   "scope or increase the tidb_server_memory_limit and try again.[conn=1]";
        case 8229:
            return "TTL manager has timed out, pessimistic locks may expire, please commit or rollback this "
                   "transaction";
        case 8245:
            return "column c id 1 does not exist, this column may have been updated by other DDL ran in parallel";
        case 8252: return "Exceeded resource group quota limitation";
        case 9001: return "PD server timeout: start timestamp may fall behind safe point";
        case 9002: return "TiKV server timeout";
        case 9003: return "TiKV server is busy";
        case 9004: return "Resolve lock timeout";
        case 9005: return "Region is unavailable";
        case 9006:
            return "GC life time is shorter than transaction duration, transaction start ts is "
                   "450000000000000001 (2026-01-01 00:00:00), txn safe point is 450000000000000002 (2026-01-01 "
                   "00:10:00)";
        case 9007:
            return "Write conflict, txnStartTS=450000000000000001, conflictStartTS=450000000000000002, "
                   "conflictCommitTS=450000000000000003, key={tableID=1, handle=1}, reason=Optimistic "
                   "[try again later]";
        case 9008: return "Store token is up to the limit, store id = 1";
        case 9500: return "transaction too large, len:300001";
        default: return "";
    }
}

std::span<const KnownError> knownErrors() { return kKnown; }

bool ddlAlreadyApplied(unsigned code) {
    switch (code) {
        case 1007:  // ER_DB_CREATE_EXISTS
        case 1008:  // ER_DB_DROP_EXISTS
        case 1025:  // ER_ERROR_ON_RENAME
        case 1050:  // ER_TABLE_EXISTS_ERROR
        case 1051:  // ER_BAD_TABLE_ERROR
        case 1054:  // ER_BAD_FIELD_ERROR
        case 1060:  // ER_DUP_FIELDNAME
        case 1061:  // ER_DUP_KEYNAME
        case 1091:  // ER_CANT_DROP_FIELD_OR_KEY
        case 1146:  // ER_NO_SUCH_TABLE
        case 1176:  // ER_KEY_DOES_NOT_EXITS
            return true;
        default: return false;
    }
}

bool localInfileRefused(unsigned code) {
    // ER_NOT_ALLOWED_COMMAND (1148), MySQL's ER_CLIENT_LOCAL_FILES_DISABLED (3948), MariaDB's
    // ER_LOAD_INFILE_CAPABILITY_DISABLED (4166).
    return code == 1148 || code == 3948 || code == 4166;
}

bool tableChangedUnderneath(unsigned code) {
    // ER_NO_SUCH_TABLE, ER_TABLE_DEF_CHANGED, ER_BAD_FIELD_ERROR, ER_KEY_DOES_NOT_EXITS (a FORCE
    // INDEX naming an index dropped since), MariaDB's ER_NO_SUCH_TABLE_IN_ENGINE.
    return code == kErNoSuchTable || code == 1412 || code == 1054 || code == 1176 || code == 1932;
}

}  // namespace tidemark::db::dialect
