#include "runner/db/credentials.h"

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace tidemark::db {

namespace {

std::string readKey(const fs::path& dir, const std::string& secret, const std::string& key, const std::string& role) {
    const auto file = dir / secret / key;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw CredentialsError(role + ": secret '" + secret + "' has no key '" + key + "' (expected the file " +
                               file.string() + ")");
    std::stringstream ss;
    ss << in.rdbuf();
    auto value = ss.str();
    // `kubectl create secret --from-file` keeps a trailing newline that is not part of a password.
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
}

}  // namespace

ConnectOptions connectOptionsFor(const api::Endpoint& endpoint, const std::string& role, const fs::path& secretsDir) {
    ConnectOptions o;
    o.role = role;
    o.host = endpoint.host;
    o.port = static_cast<unsigned>(endpoint.port);
    if (!fs::is_directory(secretsDir / endpoint.credentialsSecret))
        throw CredentialsError(role + ": credentials secret '" + endpoint.credentialsSecret +
                               "' is not mounted (no directory " + (secretsDir / endpoint.credentialsSecret).string() +
                               ")");
    o.user = readKey(secretsDir, endpoint.credentialsSecret, "username", role);
    o.password = readKey(secretsDir, endpoint.credentialsSecret, "password", role);
    if (o.user.empty())
        throw CredentialsError(role + ": secret '" + endpoint.credentialsSecret + "': username is empty");
    if (const auto key = secretsDir / endpoint.credentialsSecret / "server-public-key.pem"; fs::exists(key))
        o.serverPublicKeyFile = key.string();
    if (endpoint.tlsSecret) {
        const auto dir = secretsDir / *endpoint.tlsSecret;
        if (!fs::is_directory(dir))
            throw CredentialsError(role + ": TLS secret '" + *endpoint.tlsSecret + "' is not mounted (no directory " +
                                   dir.string() + ")");
        TlsFiles tls;
        if (fs::exists(dir / "ca.crt")) tls.caFile = (dir / "ca.crt").string();
        const bool cert = fs::exists(dir / "tls.crt"), key = fs::exists(dir / "tls.key");
        if (cert != key)
            throw CredentialsError(role + ": TLS secret '" + *endpoint.tlsSecret + "' has " +
                                   (cert ? "tls.crt but no tls.key" : "tls.key but no tls.crt") +
                                   "; a client certificate needs both");
        if (cert) {
            tls.certFile = (dir / "tls.crt").string();
            tls.keyFile = (dir / "tls.key").string();
        }
        if (tls.caFile.empty() && tls.certFile.empty())
            throw CredentialsError(role + ": TLS secret '" + *endpoint.tlsSecret +
                                   "' holds none of ca.crt, tls.crt + tls.key");
        o.tls = tls;
    }
    return o;
}

}  // namespace tidemark::db
