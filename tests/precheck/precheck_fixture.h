// Shared pieces of the precheck tests: servers, jobs written as manifests, item lookup.
#pragma once

#include "api/migration_job.h"
#include "runner/precheck/precheck.h"
#include "tests/support/db_server.h"

#include <doctest/doctest.h>

#include <string>

namespace tidemark::testing {

// A source (binlog ROW/FULL) and a target shared by the tests that don't change server settings.
inline DbServer& sharedSource() {
    static DbServer s(ServerOptions::source());
    return s;
}
inline DbServer& sharedTarget() {
    static DbServer s(ServerOptions::target());
    return s;
}

// A manifest for a job between the two ports, its source flavor the test's (MariaDB or MySQL);
// `extraSpec` is appended under spec (indented 2).
inline std::string manifest(unsigned sourcePort, unsigned targetPort, const std::string& extraSpec,
                            const std::string& type = "FullAndIncremental") {
    return "apiVersion: tidemark.dev/v1alpha1\n"
           "kind: MigrationJob\n"
           "metadata: {name: precheck-test}\n"
           "spec:\n"
           "  type: " +
        type +
        "\n"
        "  source: {flavor: " +
        flavorName(sourceFlavor()) + ", host: 127.0.0.1, port: " + std::to_string(sourcePort) +
        ", credentialsSecret: {name: src}}\n"
        "  target: {host: 127.0.0.1, port: " +
        std::to_string(targetPort) + ", credentialsSecret: {name: tgt}}\n" + extraSpec;
}

inline api::MigrationJob job(const DbServer& source, const DbServer& target, const std::string& extraSpec,
                             const std::string& type = "FullAndIncremental") {
    return api::parseManifest(manifest(source.port(), target.port(), extraSpec, type), "test.yaml");
}

inline precheck::Report runAsRoot(const api::MigrationJob& j, const DbServer& source, const DbServer& target) {
    return precheck::run(j, source.rootOptions("source"), target.rootOptions("target"));
}

inline const precheck::Item& item(const precheck::Report& r, const std::string& name) {
    for (const auto& i : r.items)
        if (i.name == name) return i;
    FAIL("no precheck item " << name);
    static precheck::Item none;
    return none;
}

inline bool hasItem(const precheck::Report& r, const std::string& name) {
    for (const auto& i : r.items)
        if (i.name == name) return true;
    return false;
}

}  // namespace tidemark::testing
