// spec.sources: a job that reads several sources into one target. What the list accepts, the
// errors that name the field, and the keys each source's checkpoints are filed under.
#include <doctest/doctest.h>

#include "api/migration_job.h"

using namespace tidemark::api;

namespace {

std::string manifest(const std::string& sources) {
    return R"(
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: merge, uid: 0b7c2a5e-1111-2222-3333-444455556666}
spec:
)" + sources +
        R"(
  target: {host: tidb, credentialsSecret: {name: t}}
)";
}

std::string errorOf(const std::string& sources) {
    try {
        parseManifest(manifest(sources), "job.yaml");
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

const std::string kTwo = R"(  sources:
  - {id: east, host: maria, flavor: MariaDB, credentialsSecret: {name: a}}
  - {id: west, host: mysql, port: 3307, credentialsSecret: {name: b}})";

}  // namespace

TEST_CASE("spec.sources: each source parsed in order, the first one current until forSource") {
    const auto job = parseManifest(manifest(kTwo), "job.yaml");
    REQUIRE(job.sources.size() == 2);
    CHECK(job.severalSources());
    CHECK(job.sources[0].id == "east");
    CHECK(job.sources[0].flavor == SourceFlavor::MariaDB);
    CHECK(job.sources[1].port == 3307);
    CHECK(job.sources[1].credentialsSecret == "b");
    CHECK(job.source.id == "east");
    const auto west = job.forSource("west");
    CHECK(west.source.host == "mysql");
    CHECK(west.sources.size() == 2);
}

TEST_CASE("spec.sources: every source has checkpoints of its own, all share the job key") {
    const auto job = parseManifest(manifest(kTwo), "job.yaml");
    const auto east = job.forSource("east"), west = job.forSource("west");
    CHECK(east.jobKey() == "merge/0b7c2a5e-1111-2222-3333-444455556666");
    CHECK(west.jobKey() == east.jobKey());
    CHECK(east.instanceKey() == east.jobKey() + sourceKeySuffix("east"));
    CHECK(west.instanceKey() == west.jobKey() + sourceKeySuffix("west"));
    CHECK(east.instanceKey() != west.instanceKey());
    CHECK(sourceKeySuffix("east").size() == 5);
    // Within the 128 characters of tidemark_meta's job columns at the longest name and instance.
    auto longest = job.forSource("west");
    longest.name = std::string(59, 'n');
    longest.instance = std::string(63, 'i');
    CHECK(longest.instanceKey().size() == 128);
}

TEST_CASE("spec.source alone: one source, keys as before") {
    const auto job = parseManifest(manifest("  source: {host: mysql, credentialsSecret: {name: s}}"), "job.yaml");
    REQUIRE(job.sources.size() == 1);
    CHECK_FALSE(job.severalSources());
    CHECK(job.source.id == "mysql:3306");
    CHECK(job.instanceKey() == job.jobKey());
    CHECK(job.instanceKey() == "merge/0b7c2a5e-1111-2222-3333-444455556666");
    // A list of one is the same job.
    const auto one =
        parseManifest(manifest("  sources: [{id: only, host: mysql, credentialsSecret: {name: s}}]"), "job.yaml");
    CHECK(one.instanceKey() == one.jobKey());
}

TEST_CASE("spec.sources: errors name the field") {
    CHECK(errorOf(kTwo + "\n  source: {host: x, credentialsSecret: {name: s}}") ==
          "job.yaml: spec.sources: give either spec.source or spec.sources, not both");
    CHECK(errorOf("  sources: []") == "job.yaml: spec.sources: must list at least one source");
    CHECK(errorOf("  sources: [{host: a, credentialsSecret: {name: s}}]") ==
          "job.yaml: spec.sources[0].id: required field is missing");
    CHECK(errorOf(R"(  sources:
  - {id: a, host: a, credentialsSecret: {name: s}}
  - {id: a, host: b, credentialsSecret: {name: s}})") ==
          "job.yaml: spec.sources[1].id: 'a' names an earlier source too");
    CHECK(errorOf("  sources: [{id: a, host: a, credentialsSecret: {name: s}, color: red}]")
              .find("spec.sources[0].color: unknown field") != std::string::npos);
    CHECK(errorOf("  sources: {id: a}") ==
          "job.yaml: spec.sources: expected a list of {id, flavor, host, port, "
          "credentialsSecret, tls}");
    const auto missing = [] {
        try {
            parseManifest(manifest(kTwo), "job.yaml").forSource("north");
        } catch (const ManifestError& e) {
            return std::string(e.what());
        }
        return std::string();
    }();
    CHECK(missing == "job merge: no source has id 'north' (spec.sources: east, west)");
}
