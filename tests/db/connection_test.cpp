#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/connection.h"
#include "tests/support/db_server.h"

#include <cstdlib>

using namespace tidemark;
using tidemark::testing::DbServer;
using tidemark::testing::ServerOptions;

namespace {

const DbServer& plainServer() {
    static DbServer server(ServerOptions::target());
    return server;
}

const DbServer& tlsServer() {
    static DbServer server([] {
        auto o = ServerOptions::target();
        o.name = "tls";
        o.tls = true;
        return o;
    }());
    return server;
}

db::DbError connectError(const db::ConnectOptions& o) {
    try {
        db::Connection::open(o);
    } catch (const db::DbError& e) {
        return e;
    }
    FAIL("connecting to " << o.endpoint() << " should have failed");
    return db::DbError(db::ErrorKind::Other, 0, "");
}

bool overTls(db::Connection& c) {
    auto cipher = c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    return cipher.size() == 1 && !cipher.text(0, "Value").empty();
}

}  // namespace

TEST_CASE("connects, queries and escapes any value and identifier") {
    auto c = plainServer().connectRoot();
    CHECK(c.isMariaDB() == !plainServer().isMySql());
    CHECK(c.scalar("SELECT 1 + 1") == std::optional<std::string>("2"));
    c.execute("CREATE DATABASE IF NOT EXISTS " + db::quoteIdent("we`ird db"));
    const auto table = db::qualified("we`ird db", "select");
    c.execute("CREATE TABLE IF NOT EXISTS " + table + " (id INT PRIMARY KEY, b VARBINARY(16), s VARCHAR(16))");
    const std::string bytes("\0\xff'\\\"`", 6);
    c.execute("REPLACE INTO " + table + " VALUES (1, " + db::hexLiteral(bytes) + ", " + c.quote("it's \\ ok") + ")");
    auto rows = c.query("SELECT b, s FROM " + table + " WHERE id = 1");
    REQUIRE(rows.size() == 1);
    CHECK(rows.rows[0][0] == std::optional<std::string>(bytes));
    CHECK(rows.text(0, "S") == "it's \\ ok");
    CHECK(c.scalar("SELECT NULL") == std::nullopt);
}

TEST_CASE("a wrong password is an authentication error that never shows the password") {
    auto o = plainServer().createUser("wrongpw", "right-secret-1", {}, "source");
    o.password = "Hunter2-wrong";
    auto e = connectError(o);
    CHECK(e.kind() == db::ErrorKind::Authentication);
    CHECK_FALSE(e.retryable());
    const std::string msg = e.what();
    CHECK(msg.find("source 127.0.0.1:" + std::to_string(plainServer().port())) == 0);
    CHECK(msg.find("authentication failed for user 'wrongpw'") != std::string::npos);
    CHECK(msg.find("Hunter2-wrong") == std::string::npos);
    CHECK(msg.find("right-secret-1") == std::string::npos);
}

TEST_CASE("a closed port is a retryable refusal, an unknown host a DNS error") {
    auto o = plainServer().rootOptions("target");
    o.port = 1;  // nothing listens there
    auto refused = connectError(o);
    CHECK(refused.kind() == db::ErrorKind::Refused);
    CHECK(refused.retryable());
    CHECK(std::string(refused.what()).find("target 127.0.0.1:1: connecting: cannot reach the server") == 0);

    o.host = "no-such-host.invalid";
    o.port = 3306;
    auto dns = connectError(o);
    CHECK(dns.kind() == db::ErrorKind::Dns);
    CHECK(std::string(dns.what()).find("host name 'no-such-host.invalid' does not resolve") != std::string::npos);
}

TEST_CASE("a missing privilege is named as such") {
    auto o = plainServer().createUser("noselect", "pw-noselect", {}, "target");
    plainServer().exec("CREATE DATABASE IF NOT EXISTS privtest");
    plainServer().exec("CREATE TABLE IF NOT EXISTS privtest.t (id INT)");
    auto c = db::Connection::open(o);
    try {
        c.query("SELECT * FROM privtest.t");
        FAIL("SELECT without the privilege should fail");
    } catch (const db::DbError& e) {
        CHECK(e.kind() == db::ErrorKind::Privilege);
        CHECK_FALSE(e.retryable());
        CHECK(std::string(e.what()).find("lacks a privilege") != std::string::npos);
    }
}

TEST_CASE("withRetry retries what can pass and nothing else") {
    int calls = 0;
    db::RetryPolicy fast{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
    CHECK_THROWS_AS(db::withRetry(fast,
                                  [&] {
                                      ++calls;
                                      throw db::DbError(db::ErrorKind::ConnectionLost, 2013, "lost");
                                  }),
                    db::DbError);
    CHECK(calls == 3);
    calls = 0;
    CHECK_THROWS_AS(db::withRetry(fast,
                                  [&] {
                                      ++calls;
                                      throw db::DbError(db::ErrorKind::Authentication, 1045, "denied");
                                  }),
                    db::DbError);
    CHECK(calls == 1);
    calls = 0;
    db::withRetry(fast, [&] {
        if (++calls < 2) throw db::DbError(db::ErrorKind::Transient, 1213, "deadlock");
    });
    CHECK(calls == 2);
}

TEST_CASE("TLS: CA only, client certificate and key, and all three, with verification on") {
    const auto& tls = testing::testTls();
    const auto& server = tlsServer();
    server.connectRoot().execute("CREATE USER IF NOT EXISTS 'x509user'@'%' REQUIRE X509");

    auto caOnly = server.rootOptions("source");
    caOnly.tls = db::TlsFiles{tls.caCert.string(), "", ""};
    auto c = db::Connection::open(caOnly);
    auto cipher = c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    REQUIRE(cipher.size() == 1);
    CHECK_FALSE(cipher.text(0, "Value").empty());

    auto all = server.rootOptions("source");
    all.user = "x509user";
    all.tls = db::TlsFiles{tls.caCert.string(), tls.clientCert.string(), tls.clientKey.string()};
    CHECK_NOTHROW(db::Connection::open(all));

    // Without a CA file the server is verified against the system trust store; point it at the
    // test CA the way a cloud provider's CA would be installed.
    auto certOnly = all;
    certOnly.tls = db::TlsFiles{"", tls.clientCert.string(), tls.clientKey.string()};
    setenv("SSL_CERT_FILE", tls.caCert.c_str(), 1);
    CHECK_NOTHROW(db::Connection::open(certOnly));
    unsetenv("SSL_CERT_FILE");

    auto noCert = all;
    noCert.tls = db::TlsFiles{tls.caCert.string(), "", ""};
    CHECK(connectError(noCert).kind() == db::ErrorKind::Authentication);
}

TEST_CASE("TLS with the wrong CA fails with a TLS message") {
    const auto& tls = testing::testTls();
    auto o = tlsServer().rootOptions("source");
    o.tls = db::TlsFiles{tls.otherCaCert.string(), "", ""};
    auto e = connectError(o);
    CHECK(e.kind() == db::ErrorKind::Tls);
    CHECK_FALSE(e.retryable());
    CHECK(std::string(e.what()).find("TLS failed") != std::string::npos);

    // A server without TLS cannot satisfy a job that asks for it.
    auto plain = plainServer().rootOptions("source");
    plain.tls = db::TlsFiles{tls.caCert.string(), "", ""};
    CHECK(connectError(plain).kind() == db::ErrorKind::Tls);
}

TEST_CASE(
    "caching_sha2_password: first logins authenticate fully with TLS and without, a wrong password is an "
    "authentication error") {
    const auto& server = tlsServer();
    if (!server.isMySql()) {
        MESSAGE(
            "skipped on MariaDB: its server has no caching_sha2_password (MySQL 8.0+'s default, MySQL 9's only "
            "password plugin)");
        return;
    }
    const auto& tls = testing::testTls();
    auto root = server.connectRoot();
    root.execute("CREATE USER IF NOT EXISTS 'sha2user'@'%' IDENTIFIED WITH caching_sha2_password BY 'Sha2-Secret-1'");
    REQUIRE(root.scalar("SELECT plugin FROM mysql.user WHERE user = 'sha2user'") ==
            std::optional<std::string>("caching_sha2_password"));
    auto plain = server.rootOptions("source");
    plain.user = "sha2user";
    plain.password = "Sha2-Secret-1";
    auto secure = plain;
    secure.tls = db::TlsFiles{tls.caCert.string(), "", ""};
    // FLUSH PRIVILEGES empties the server's cache of logins, so the next login is a first one:
    // the server wants the password itself, not a scramble.
    const auto firstLogin = [&](const db::ConnectOptions& o) {
        root.execute("FLUSH PRIVILEGES");
        return db::Connection::open(o);
    };

    auto noTls = firstLogin(plain);  // the password goes RSA-encrypted with the key the server sends
    CHECK_FALSE(overTls(noTls));
    CHECK(noTls.scalar("SELECT CURRENT_USER()") == std::optional<std::string>("sha2user@%"));
    auto withTls = firstLogin(secure);
    CHECK(overTls(withTls));
    CHECK(withTls.scalar("SELECT CURRENT_USER()") == std::optional<std::string>("sha2user@%"));

    // A pinned key: the server's own authenticates; another key fails, which shows the password
    // really travelled encrypted with the pinned key rather than one asked of the server.
    testing::TempDir dir("rsa");
    const auto key =
        dir.write("server-public-key.pem",
                  root.query("SHOW GLOBAL STATUS LIKE 'Caching_sha2_password_rsa_public_key'").text(0, "Value"));
    auto pinned = plain;
    pinned.serverPublicKeyFile = key.string();
    CHECK_NOTHROW(firstLogin(pinned));
    const auto otherKey = dir.path() / "other-key.pem";
    REQUIRE(std::system(("openssl pkey -in '" + tls.clientKey.string() + "' -pubout -out '" + otherKey.string() +
                         "' 2>/dev/null")
                            .c_str()) == 0);
    auto mispinned = plain;
    mispinned.serverPublicKeyFile = otherKey.string();
    root.execute("FLUSH PRIVILEGES");
    CHECK(connectError(mispinned).kind() == db::ErrorKind::Authentication);
    // Once the login is cached the scramble suffices and no key is used at all.
    db::Connection::open(plain);
    CHECK_NOTHROW(db::Connection::open(mispinned));
    auto missing = plain;
    missing.serverPublicKeyFile = (dir.path() / "absent.pem").string();
    CHECK(std::string(connectError(missing).what()).find("cannot read the server public key file") !=
          std::string::npos);

    for (auto o : {plain, secure}) {
        o.password = "Hunter2-wrong";
        root.execute("FLUSH PRIVILEGES");
        auto e = connectError(o);
        CHECK(e.kind() == db::ErrorKind::Authentication);
        CHECK_FALSE(e.retryable());
        const std::string msg = e.what();
        CHECK(msg.find("authentication failed for user 'sha2user'") != std::string::npos);
        CHECK(msg.find("Hunter2-wrong") == std::string::npos);
        CHECK(msg.find("Sha2-Secret-1") == std::string::npos);
    }
}

TEST_CASE("affectedRows is the count of the last statement execute ran") {
    auto c = plainServer().connectRoot();
    c.execute("CREATE DATABASE IF NOT EXISTS affected_db");
    c.execute("CREATE TABLE IF NOT EXISTS affected_db.t (id INT PRIMARY KEY, v INT)");
    c.execute("DELETE FROM affected_db.t");
    c.execute("INSERT INTO affected_db.t VALUES (1, 0), (2, 0), (3, 0)");
    CHECK(c.affectedRows() == 3);
    c.execute("UPDATE affected_db.t SET v = 1 WHERE id >= 2");
    CHECK(c.affectedRows() == 2);
    c.execute("UPDATE affected_db.t SET v = 1 WHERE id >= 2");  // nothing changes
    CHECK(c.affectedRows() == 0);
    auto moved = std::move(c);
    CHECK(moved.affectedRows() == 0);
    moved.execute("DROP DATABASE affected_db");
}
