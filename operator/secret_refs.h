// The Secrets a MigrationJob names, and where (pure). The one list the runner pod's projected
// volume, the pod-trouble messages and the Secret watch read: spec.source or each of
// spec.sources[i], and spec.target, each with a credentials Secret and an optional TLS Secret.
// Secret names are not secret; their contents are never read here.
#pragma once

#include <string>
#include <vector>

#include "operator/observed.h"

namespace tidemark::op {

struct SecretRef {
    std::string name;   // the Secret's name
    std::string field;  // where the spec names it: "spec.sources[1].credentialsSecret"
    bool tls = false;   // a TLS Secret (ca.crt / tls.crt / tls.key), else credentials (username, password)
};

// In spec order: each source's credentials and TLS Secret, then the target's; a Secret named twice
// is listed at each place.
std::vector<SecretRef> secretReferences(const Json& job);

}  // namespace tidemark::op
