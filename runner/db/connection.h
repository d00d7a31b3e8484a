// One connection to a MySQL-compatible server (source or target), over libmariadb.
//
// Contracts:
//  - A Connection owns its MYSQL handle (RAII, move-only) and is used by one thread at a time.
//  - Every failure throws DbError, whose message names the endpoint ("source 10.0.0.5:3306")
//    and the cause in words; no message ever holds a password.
//  - TLS verifies the server certificate (chain and host name) whenever TLS is configured.
//
// caching_sha2_password (MySQL 8.0+'s default; MySQL 9 removed mysql_native_password): a login
// the server has cached since its last restart or FLUSH PRIVILEGES is a scramble, like
// mysql_native_password. Otherwise the server needs the password itself (full authentication):
// over TLS it is sent as is; without TLS libmariadb encrypts it with the server's RSA public key,
// read from `serverPublicKeyFile` when set, else asked of the server over the same connection.
// libmariadb always asks (it has no switch like libmysqlclient's --get-server-public-key), and we
// let it: a passive eavesdropper learns nothing, but an active man in the middle can hand over
// his own key and read the password. A connection without TLS gives that attacker every row and
// the session anyway; TLS (a `tlsSecret`) is the protection, and a pinned key file keeps the
// password itself safe when TLS is impossible.
#pragma once

#include "runner/db/dialect/errors.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct st_mysql;       // libmariadb's MYSQL, kept out of this header
struct st_mysql_stmt;  // MYSQL_STMT
struct st_mysql_bind;  // MYSQL_BIND

namespace tidemark::db {

// Files holding TLS material; any of: CA only; client certificate and key; all three.
struct TlsFiles {
    std::string caFile;
    std::string certFile;
    std::string keyFile;
};

struct ConnectOptions {
    std::string role;  // "source", "sources[i]" (a job of several) or "target": named in every error
    std::string host;
    unsigned port = 3306;
    std::string unixSocket;  // local socket path instead of TCP, when set
    std::string user;
    std::string password;
    std::optional<TlsFiles> tls;
    // The server's RSA public key (PEM, as in its public_key.pem or the status variable
    // Caching_sha2_password_rsa_public_key) for caching_sha2_password without TLS; empty: asked
    // of the server. A wrong key fails full authentication as an Authentication error.
    std::string serverPublicKeyFile;
    std::string database;  // default schema, may be empty
    std::chrono::seconds connectTimeout{10};
    std::chrono::seconds readTimeout{3600};
    std::chrono::seconds writeTimeout{3600};
    bool allowLocalInfile = false;  // LOAD DATA LOCAL INFILE from the client's callbacks

    std::string endpoint() const;  // "source 127.0.0.1:3306"
};

// What went wrong, in the terms a user acts on.
enum class ErrorKind {
    Dns,             // host name does not resolve
    Refused,         // nothing listens / host unreachable / connect timeout
    Tls,             // TLS handshake or certificate verification failed
    Authentication,  // wrong user or password
    Privilege,       // the user lacks a privilege for a statement
    ConnectionLost,  // server went away mid-session
    TooManyConnections,
    Transient,  // deadlock, lock wait timeout, TiDB write conflict or region unavailable: try again
    TooLarge,   // the transaction (dialect::ErrorClass::Split) or one row (EntryTooLarge) is too large
    Query,      // the server refused the statement (syntax, duplicate key, ...)
    Other,
};

std::string_view nameOf(ErrorKind);

class DbError : public std::runtime_error {
public:
    DbError(ErrorKind kind, unsigned code, const std::string& message, std::string serverText = {})
        : std::runtime_error(message), kind_(kind), code_(code), serverText_(std::move(serverText)) {}
    ErrorKind kind() const { return kind_; }
    unsigned code() const { return code_; }  // server or client error number, 0 if none
    // The server's (or client library's) own text, without endpoint or statement; "" when the
    // error did not come from one. Keep it when wrapping an error in more context.
    const std::string& serverText() const { return serverText_; }
    // What to do about it (dialect/errors.h), from the code and the server's text (the whole
    // message when there is none).
    dialect::ErrorClass errorClass() const;
    // True for errors that may pass by themselves (network, restart, too many connections, and
    // the classes RetryTxn and Reconnect); false for ones that need a human (password,
    // privilege, TLS, bad SQL) or a smaller transaction (TooLarge).
    bool retryable() const;

private:
    ErrorKind kind_;
    unsigned code_;
    std::string serverText_;
};

// A buffered result set: small metadata queries, not bulk data.
class Rows {
public:
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;

    bool empty() const { return rows.empty(); }
    std::size_t size() const { return rows.size(); }
    // Index of a column by (case-insensitive) name; throws std::out_of_range if absent.
    std::size_t column(std::string_view name) const;
    // Value of `name` in row `i`, or "" for NULL.
    std::string text(std::size_t i, std::string_view name) const;
};

class Connection {
public:
    // Connects, throwing DbError on failure.
    static Connection open(const ConnectOptions& options);

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    void execute(std::string_view sql);                       // statement without a result
    Rows query(std::string_view sql);                         // buffered result
    std::optional<std::string> scalar(std::string_view sql);  // first column of first row
    std::uint64_t affectedRows() const;                       // of the last execute()'s (first) statement

    // Escapes `value` as a quoted string literal for this connection's charset.
    std::string quote(std::string_view value) const;

    std::string serverVersion() const;  // e.g. "10.11.6-MariaDB-0+deb12u1-log"
    bool isMariaDB() const;
    unsigned long threadId() const;
    // The options it was opened with, minus the password (dropped after the handshake).
    const ConnectOptions& options() const { return options_; }

    // The raw handle, for streaming reads, LOAD DATA callbacks and the binlog protocol.
    st_mysql* raw() { return mysql_; }

    // Turns the handle's current error into a DbError that names this endpoint; `doing`
    // says what was being done ("running SHOW GRANTS").
    [[noreturn]] void fail(std::string_view doing) const;

private:
    Connection(st_mysql* mysql, ConnectOptions options);
    st_mysql* mysql_ = nullptr;
    ConnectOptions options_;
    std::uint64_t affected_ = 0;
};

// A server-side prepared statement (binary protocol: values travel as bytes, nothing is
// escaped or parsed per execution). Move-only; must not outlive its connection, and is dead
// once that connection is lost. Failures throw DbError like Connection's.
class Statement {
public:
    Statement(Connection& connection, std::string_view sql);  // prepares it
    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binds `params` (one per placeholder) and runs the statement.
    void execute(st_mysql_bind* params);

private:
    [[noreturn]] void fail(std::string_view doing) const;
    Connection* connection_;
    st_mysql_stmt* stmt_ = nullptr;
    std::string text_;  // as prepared, for fault injection
    std::string sql_;   // shortened, for messages
};

// The DbError a server (or client library) error `code` with `text` makes while `doing` on
// `endpoint`: the one shape of every statement failure ("target 10.0.0.5:4000: running `...`:
// <what it means>: <text>"). Connection::fail and fault injection both throw through it.
[[noreturn]] void throwError(const ConnectOptions& endpoint, unsigned code, std::string_view text,
                             std::string_view doing);
// "running `<sql, at most 120 characters, on one line>`": what a failed statement was doing.
std::string runningDoing(std::string_view sql);

// How hard to try before giving up on a retryable error.
struct RetryPolicy {
    int attempts = 5;
    std::chrono::milliseconds initialDelay{200};
    std::chrono::milliseconds maxDelay{10000};
};

// Runs `op`, retrying with exponential backoff only while it throws retryable DbErrors.
// The last error is rethrown.
void withRetry(const RetryPolicy& policy, const std::function<void()>& op);

// Connects with retries (for a source that is restarting, say).
Connection connectWithRetry(const ConnectOptions& options, const RetryPolicy& policy = {});

// `name` as a quoted identifier: backticks doubled, so any name is safe in SQL.
std::string quoteIdent(std::string_view name);
// `db`.`table`
std::string qualified(std::string_view db, std::string_view table);
// `bytes` as a hex literal X'..' (exact for any bytes; '' for empty).
std::string hexLiteral(std::string_view bytes);

}  // namespace tidemark::db
