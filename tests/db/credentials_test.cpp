#include <doctest/doctest.h>

#include "runner/db/credentials.h"
#include "tests/support/db_server.h"

using namespace tidemark;

namespace {
std::string errorOf(const api::Endpoint& e, const testing::SecretsDir& dir) {
    try {
        db::connectOptionsFor(e, "source", dir.path());
    } catch (const db::CredentialsError& err) {
        return err.what();
    }
    return "";
}
}  // namespace

TEST_CASE("credentials and TLS files come from the mounted-secret layout") {
    testing::SecretsDir dir;
    dir.put("src-cred", "username", "migrator\n");
    dir.put("src-cred", "password", "s3cret\n");
    dir.put("src-tls", "ca.crt", "CA");
    api::Endpoint e{"db.example", 3307, "src-cred", "src-tls"};
    auto o = db::connectOptionsFor(e, "source", dir.path());
    CHECK(o.user == "migrator");
    CHECK(o.password == "s3cret");
    CHECK(o.port == 3307);
    REQUIRE(o.tls.has_value());
    CHECK(o.tls->caFile == (dir.path() / "src-tls" / "ca.crt").string());
    CHECK(o.tls->certFile.empty());
    CHECK(o.serverPublicKeyFile.empty());

    // A pinned RSA key for caching_sha2_password without TLS travels in the credentials secret.
    dir.put("src-cred", "server-public-key.pem", "-----BEGIN PUBLIC KEY-----\n");
    CHECK(db::connectOptionsFor(e, "source", dir.path()).serverPublicKeyFile ==
          (dir.path() / "src-cred" / "server-public-key.pem").string());
}

TEST_CASE("a missing secret or key is named, with no value in the message") {
    testing::SecretsDir dir;
    api::Endpoint e{"db.example", 3306, "src-cred", std::nullopt};
    CHECK(errorOf(e, dir).find("source: credentials secret 'src-cred' is not mounted") == 0);
    dir.put("src-cred", "username", "migrator");
    CHECK(errorOf(e, dir).find("source: secret 'src-cred' has no key 'password'") == 0);
    dir.put("src-cred", "password", "topsecret");
    e.tlsSecret = "src-tls";
    dir.put("src-tls", "tls.crt", "CERT");
    auto msg = errorOf(e, dir);
    CHECK(msg == "source: TLS secret 'src-tls' has tls.crt but no tls.key; a client certificate needs both");
    CHECK(msg.find("topsecret") == std::string::npos);
}
