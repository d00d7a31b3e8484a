#include "runner/db/connection.h"

#include "runner/db/hex.h"
#include "runner/db/fault_injection.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

namespace tidemark::db {

namespace {

// The kind says what a user acts on when connecting (DNS, TLS, password, privilege); for the
// rest it follows dialect::classify, the one classifier of what to do about an error.
ErrorKind classify(unsigned code, std::string_view text) {
    switch (code) {
        case CR_UNKNOWN_HOST: return ErrorKind::Dns;
        case CR_CONNECTION_ERROR:
        case CR_CONN_HOST_ERROR: return ErrorKind::Refused;
        case CR_SSL_CONNECTION_ERROR: return ErrorKind::Tls;
        case ER_ACCESS_DENIED_ERROR:
        case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
        case ER_MUST_CHANGE_PASSWORD_LOGIN: return ErrorKind::Authentication;
        case ER_DBACCESS_DENIED_ERROR:
        case ER_TABLEACCESS_DENIED_ERROR:
        case ER_COLUMNACCESS_DENIED_ERROR:
        case ER_SPECIFIC_ACCESS_DENIED_ERROR:
        case ER_PROCACCESS_DENIED_ERROR: return ErrorKind::Privilege;
        case ER_CON_COUNT_ERROR:
        case ER_TOO_MANY_USER_CONNECTIONS: return ErrorKind::TooManyConnections;
        default: break;
    }
    switch (dialect::classify(code, text)) {
        case dialect::ErrorClass::RetryTxn: return ErrorKind::Transient;
        case dialect::ErrorClass::Reconnect: {
            // A client error the classifier does not name (an unloadable plugin, say) is not
            // described as a lost connection, though reconnecting is still what it calls for.
            if (!dialect::isClientError(code)) return ErrorKind::ConnectionLost;
            const auto known = dialect::knownErrors();
            const bool named = std::any_of(known.begin(), known.end(), [&](auto& e) { return e.code == code; });
            return named ? ErrorKind::ConnectionLost : ErrorKind::Other;
        }
        case dialect::ErrorClass::Split:
        case dialect::ErrorClass::EntryTooLarge: return ErrorKind::TooLarge;
        case dialect::ErrorClass::Fatal: break;
    }
    return code > 0 && !dialect::isClientError(code) ? ErrorKind::Query : ErrorKind::Other;
}

std::string explain(ErrorKind kind, const ConnectOptions& o) {
    switch (kind) {
        case ErrorKind::Dns: return "host name '" + o.host + "' does not resolve";
        case ErrorKind::Refused:
            return "cannot reach the server (nothing listens, a firewall drops it, or it timed out)";
        case ErrorKind::Tls:
            return "TLS failed (check the CA, the client certificate and key, and the host name in the server "
                   "certificate)";
        case ErrorKind::Authentication:
            return "authentication failed for user '" + o.user +
                "' (wrong user or password, or the user may not connect from this host)";
        case ErrorKind::Privilege: return "user '" + o.user + "' lacks a privilege";
        case ErrorKind::ConnectionLost: return "the connection was lost";
        case ErrorKind::TooManyConnections: return "the server has too many connections";
        case ErrorKind::Transient: return "a transient conflict or unavailability";
        case ErrorKind::TooLarge: return "too large for the target";
        case ErrorKind::Query: return "the server refused the statement";
        case ErrorKind::Other: return "error";
    }
    return "error";
}

void setOption(MYSQL* m, mysql_option opt, const void* value) {
    if (mysql_optionsv(m, opt, value) != 0) throw DbError(ErrorKind::Other, 0, "cannot set a libmariadb option");
}

}  // namespace

std::string_view nameOf(ErrorKind k) {
    switch (k) {
        case ErrorKind::Dns: return "Dns";
        case ErrorKind::Refused: return "Refused";
        case ErrorKind::Tls: return "Tls";
        case ErrorKind::Authentication: return "Authentication";
        case ErrorKind::Privilege: return "Privilege";
        case ErrorKind::ConnectionLost: return "ConnectionLost";
        case ErrorKind::TooManyConnections: return "TooManyConnections";
        case ErrorKind::Transient: return "Transient";
        case ErrorKind::TooLarge: return "TooLarge";
        case ErrorKind::Query: return "Query";
        case ErrorKind::Other: return "Other";
    }
    return "Other";
}

std::string ConnectOptions::endpoint() const {
    const bool v6 = host.find(':') != std::string::npos;
    return role + " " + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

dialect::ErrorClass DbError::errorClass() const {
    return dialect::classify(code_, serverText_.empty() ? std::string_view(what()) : std::string_view(serverText_));
}

bool DbError::retryable() const {
    switch (kind_) {
        case ErrorKind::Dns:
        case ErrorKind::Tls:
        case ErrorKind::Authentication:
        case ErrorKind::Privilege:
        case ErrorKind::TooLarge: return false;
        case ErrorKind::Refused:
        case ErrorKind::ConnectionLost:
        case ErrorKind::TooManyConnections:
        case ErrorKind::Transient: return true;
        default: {
            const auto c = errorClass();
            return c == dialect::ErrorClass::RetryTxn || c == dialect::ErrorClass::Reconnect;
        }
    }
}

std::size_t Rows::column(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const auto& c = columns[i];
        if (c.size() == name.size() && std::equal(c.begin(), c.end(), name.begin(), [](char a, char b) {
                return std::tolower(a) == std::tolower(b);
            }))
            return i;
    }
    throw std::out_of_range("no column '" + std::string(name) + "' in the result");
}

std::string Rows::text(std::size_t i, std::string_view name) const {
    const auto& v = rows.at(i).at(column(name));
    return v ? *v : std::string();
}

Connection Connection::open(const ConnectOptions& o) {
    // libmariadb quietly asks the server for its key when the pinned file cannot be read.
    if (!o.serverPublicKeyFile.empty() && !std::ifstream(o.serverPublicKeyFile))
        throw DbError(ErrorKind::Other, 0,
                      o.endpoint() + ": cannot read the server public key file " + o.serverPublicKeyFile);
    MYSQL* m = mysql_init(nullptr);
    if (!m) throw DbError(ErrorKind::Other, 0, o.endpoint() + ": out of memory creating a connection");
    unsigned connectTimeout = static_cast<unsigned>(o.connectTimeout.count());
    unsigned readTimeout = static_cast<unsigned>(o.readTimeout.count());
    unsigned writeTimeout = static_cast<unsigned>(o.writeTimeout.count());
    try {
        setOption(m, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout);
        setOption(m, MYSQL_OPT_READ_TIMEOUT, &readTimeout);
        setOption(m, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout);
        setOption(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        unsigned localInfile = o.allowLocalInfile ? 1 : 0;
        setOption(m, MYSQL_OPT_LOCAL_INFILE, &localInfile);
        if (!o.serverPublicKeyFile.empty()) setOption(m, MYSQL_SERVER_PUBLIC_KEY, o.serverPublicKeyFile.c_str());
        // Never read option files: a stray ~/.my.cnf must not change what the job does.
        if (o.tls) {
            const auto& t = *o.tls;
            if (!t.caFile.empty()) setOption(m, MYSQL_OPT_SSL_CA, t.caFile.c_str());
            if (!t.certFile.empty()) setOption(m, MYSQL_OPT_SSL_CERT, t.certFile.c_str());
            if (!t.keyFile.empty()) setOption(m, MYSQL_OPT_SSL_KEY, t.keyFile.c_str());
            my_bool on = 1;
            setOption(m, MYSQL_OPT_SSL_ENFORCE, &on);
            setOption(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        }
    } catch (const DbError&) {
        mysql_close(m);
        throw DbError(ErrorKind::Other, 0, o.endpoint() + ": cannot configure the connection");
    }
    const unsigned long flags = CLIENT_MULTI_RESULTS | (o.allowLocalInfile ? CLIENT_LOCAL_FILES : 0);
    if (!mysql_real_connect(m, o.host.c_str(), o.user.c_str(), o.password.c_str(),
                            o.database.empty() ? nullptr : o.database.c_str(), o.port,
                            o.unixSocket.empty() ? nullptr : o.unixSocket.c_str(), flags)) {
        const unsigned code = mysql_errno(m);
        const std::string detail = mysql_error(m);
        mysql_close(m);
        auto kind = classify(code, detail);
        // libmariadb reports a refused TLS handshake and a failed verification under several
        // codes; the message tells them apart.
        if (kind == ErrorKind::Other || kind == ErrorKind::Refused) {
            if (detail.find("SSL") != std::string::npos || detail.find("TLS") != std::string::npos ||
                detail.find("certificate") != std::string::npos)
                kind = ErrorKind::Tls;
        }
        if (detail.find("Unknown server host") != std::string::npos ||
            detail.find("Name or service not known") != std::string::npos)
            kind = ErrorKind::Dns;
        throw DbError(kind, code, o.endpoint() + ": connecting: " + explain(kind, o) + ": " + detail, detail);
    }
    return Connection(m, o);
}

Connection::Connection(MYSQL* mysql, ConnectOptions options) : mysql_(mysql), options_(std::move(options)) {
    // Never keep the password longer than the handshake needs it.
    std::fill(options_.password.begin(), options_.password.end(), '\0');
    options_.password.clear();
}

Connection::Connection(Connection&& o) noexcept
    : mysql_(o.mysql_), options_(std::move(o.options_)), affected_(o.affected_) {
    o.mysql_ = nullptr;
}

Connection& Connection::operator=(Connection&& o) noexcept {
    if (this != &o) {
        if (mysql_) mysql_close(mysql_);
        mysql_ = o.mysql_;
        options_ = std::move(o.options_);
        affected_ = o.affected_;
        o.mysql_ = nullptr;
    }
    return *this;
}

Connection::~Connection() {
    if (mysql_) mysql_close(mysql_);
}

void throwError(const ConnectOptions& o, unsigned code, std::string_view text, std::string_view doing) {
    const auto kind = classify(code, text);
    std::string message = o.endpoint() + ": " + std::string(doing) + ": ";
    if (kind == ErrorKind::Query || kind == ErrorKind::Other) message += text;
    else message += explain(kind, o) + ": " + std::string(text);
    throw DbError(kind, code, message, std::string(text));
}

namespace {
std::string shorten(std::string_view sql) {
    constexpr std::size_t kMax = 120;
    std::string s(sql.substr(0, kMax));
    std::replace(s.begin(), s.end(), '\n', ' ');
    if (sql.size() > kMax) s += "...";
    return s;
}
}  // namespace

std::string runningDoing(std::string_view sql) { return "running `" + shorten(sql) + "`"; }

void Connection::fail(std::string_view doing) const {
    throwError(options_, mysql_errno(mysql_), mysql_error(mysql_), doing);
}

void Connection::execute(std::string_view sql) {
    checkFaultBefore(options_, sql);
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail(runningDoing(sql));
    // The first statement's count, before draining resets it (to -1 once no result is left).
    affected_ = mysql_affected_rows(mysql_);
    // Drain any result the statement produced so the connection stays usable.
    do {
        if (MYSQL_RES* r = mysql_store_result(mysql_)) mysql_free_result(r);
        else if (mysql_errno(mysql_) != 0) fail(runningDoing(sql));
    } while (mysql_next_result(mysql_) == 0);
    if (mysql_errno(mysql_) != 0) fail(runningDoing(sql));
    checkFaultAfter(options_, sql);
}

Rows Connection::query(std::string_view sql) {
    checkFaultBefore(options_, sql);
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail(runningDoing(sql));
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (!res) {
        if (mysql_errno(mysql_) != 0) fail("reading the result of `" + shorten(sql) + "`");
        checkFaultAfter(options_, sql);
        return {};
    }
    Rows out;
    const unsigned n = mysql_num_fields(res);
    MYSQL_FIELD* fields = mysql_fetch_fields(res);
    for (unsigned i = 0; i < n; ++i) out.columns.emplace_back(fields[i].name, fields[i].name_length);
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* lengths = mysql_fetch_lengths(res);
        auto& r = out.rows.emplace_back();
        r.reserve(n);
        for (unsigned i = 0; i < n; ++i) {
            if (row[i]) r.emplace_back(std::string(row[i], lengths[i]));
            else r.emplace_back(std::nullopt);
        }
    }
    mysql_free_result(res);
    while (mysql_next_result(mysql_) == 0) {
        if (MYSQL_RES* extra = mysql_store_result(mysql_)) mysql_free_result(extra);
    }
    checkFaultAfter(options_, sql);
    return out;
}

std::optional<std::string> Connection::scalar(std::string_view sql) {
    auto rows = query(sql);
    if (rows.empty() || rows.rows[0].empty()) return std::nullopt;
    return rows.rows[0][0];
}

std::uint64_t Connection::affectedRows() const { return affected_; }

std::string Connection::quote(std::string_view value) const {
    std::string out(value.size() * 2 + 3, '\0');
    out[0] = '\'';
    const auto n = mysql_real_escape_string(mysql_, out.data() + 1, value.data(), value.size());
    out.resize(n + 1);
    out += '\'';
    return out;
}

std::string Connection::serverVersion() const { return mysql_get_server_info(mysql_); }

bool Connection::isMariaDB() const { return serverVersion().find("MariaDB") != std::string::npos; }

unsigned long Connection::threadId() const { return mysql_thread_id(mysql_); }

void withRetry(const RetryPolicy& policy, const std::function<void()>& op) {
    auto delay = policy.initialDelay;
    for (int attempt = 1;; ++attempt) {
        try {
            op();
            return;
        } catch (const DbError& e) {
            if (!e.retryable() || attempt >= policy.attempts) throw;
        }
        std::this_thread::sleep_for(delay);
        delay = std::min(policy.maxDelay, delay * 2);
    }
}

Connection connectWithRetry(const ConnectOptions& options, const RetryPolicy& policy) {
    std::optional<Connection> conn;
    withRetry(policy, [&] { conn.emplace(Connection::open(options)); });
    return std::move(*conn);
}

std::string quoteIdent(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '`';
    for (char c : name) {
        if (c == '`') out += '`';
        out += c;
    }
    out += '`';
    return out;
}

std::string qualified(std::string_view db, std::string_view table) { return quoteIdent(db) + "." + quoteIdent(table); }

std::string hexLiteral(std::string_view bytes) {
    if (bytes.empty()) return "''";
    std::string out = "X'";
    appendHex(out, bytes, /*upper=*/true);
    out += '\'';
    return out;
}

Statement::Statement(Connection& connection, std::string_view sql)
    : connection_(&connection), text_(sql), sql_(shorten(sql)) {
    stmt_ = mysql_stmt_init(connection.raw());
    if (!stmt_) connection.fail("preparing `" + sql_ + "`");
    if (mysql_stmt_prepare(stmt_, sql.data(), sql.size()) != 0) {
        try {
            fail("preparing");
        } catch (...) {
            mysql_stmt_close(stmt_);  // no destructor runs for a constructor that throws
            throw;
        }
    }
}

Statement::Statement(Statement&& o) noexcept
    : connection_(o.connection_), stmt_(o.stmt_), text_(std::move(o.text_)), sql_(std::move(o.sql_)) {
    o.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& o) noexcept {
    if (this != &o) {
        if (stmt_) mysql_stmt_close(stmt_);
        connection_ = o.connection_;
        stmt_ = o.stmt_;
        text_ = std::move(o.text_);
        sql_ = std::move(o.sql_);
        o.stmt_ = nullptr;
    }
    return *this;
}

Statement::~Statement() {
    if (stmt_) mysql_stmt_close(stmt_);
}

void Statement::execute(MYSQL_BIND* params) {
    if (mysql_stmt_bind_param(stmt_, params) != 0) fail("binding the values of");
    checkFaultBefore(connection_->options(), text_);
    if (mysql_stmt_execute(stmt_) != 0) fail("running");
    checkFaultAfter(connection_->options(), text_);
}

void Statement::fail(std::string_view doing) const {
    throwError(connection_->options(), mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_),
               std::string(doing) + " `" + sql_ + "`");
}

}  // namespace tidemark::db
