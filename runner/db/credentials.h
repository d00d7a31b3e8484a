// Credentials and TLS material for an endpoint, read from Secrets mounted as files.
//
// Layout (the way Kubernetes mounts a Secret volume): DIR/<secretName>/<key>, with keys
// `username`, `password` (and, optionally, `server-public-key.pem`: the server's RSA key that
// caching_sha2_password uses without TLS, pinned instead of asked for; see connection.h) for
// credentials and `ca.crt`, `tls.crt`, `tls.key` for TLS. In a pod
// DIR is where the operator mounts the Secrets; without a cluster, `--secrets-dir`.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"

#include <filesystem>
#include <stdexcept>

namespace tidemark::db {

// A Secret that is missing or incomplete. The message names the secret, the key and the file,
// never a value.
class CredentialsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Connection options for `endpoint` in `role` ("source" or "target"), with the user and
// password from its credentials Secret and the TLS files from its TLS Secret (any of: ca.crt;
// tls.crt + tls.key; all three). Throws CredentialsError.
ConnectOptions connectOptionsFor(const api::Endpoint& endpoint, const std::string& role,
                                 const std::filesystem::path& secretsDir);

}  // namespace tidemark::db
