// The MigrationJob API: the spec a user writes (as a Kubernetes custom resource or a manifest
// file handed to tidemark-runner), parsed into plain types and validated.
//
// crds/migrationjob.yaml is the schema's source of truth inside a cluster; parseManifest()
// enforces the same rules so that a manifest run without a cluster gets the same answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::api {

enum class JobType { Full, Incremental, FullAndIncremental };
enum class FullMode { Logical, Physical };
enum class SourceFlavor { MySQL, MariaDB, AuroraMySQL, RDSMySQL, AzureMySQL, CloudSQLMySQL };

std::string_view nameOf(JobType);
std::string_view nameOf(FullMode);
std::string_view nameOf(SourceFlavor);

// A database endpoint. Credentials and TLS material live in Secrets; the spec only names them.
struct Endpoint {
    std::string host;
    int port = 0;
    std::string credentialsSecret;         // keys: username, password
    std::optional<std::string> tlsSecret;  // any of ca.crt / tls.crt+tls.key / all three
};

struct SourceEndpoint : Endpoint {
    SourceFlavor flavor = SourceFlavor::MySQL;
};

// One include or exclude rule: a whole database when `tables` is empty.
struct ObjectRule {
    std::string database;
    std::vector<std::string> tables;
};

struct ObjectSelection {
    std::vector<ObjectRule> include;  // empty = every non-system database
    std::vector<ObjectRule> exclude;

    // True when `database` may hold selected tables (system schemas never do).
    bool selectsDatabase(std::string_view database) const;
    // True when the table is selected: included (by database or by name), not excluded,
    // and not in a system schema.
    bool selectsTable(std::string_view database, std::string_view table) const;
    // True when a table created later in `database` is replicated: the database was selected
    // as a whole (or everything was), not table by table.
    bool selectsNewTablesIn(std::string_view database) const;
};

// The schemas no job ever migrates, even when "all" is selected.
bool isSystemSchema(std::string_view database);

struct StartPosition {
    std::string binlogFile;
    std::uint64_t binlogPos = 0;
    std::string gtidSet;  // MySQL GTID set or MariaDB domain-server-seq list
    bool byGtid() const { return !gtidSet.empty(); }
};

struct IncrementalSpec {
    std::optional<StartPosition> start;  // none = from "now" (or the snapshot, after a copy)
    std::chrono::seconds safeModeDuration{60};
};

// Limits on what one target transaction holds (TiDB refuses a transaction above its
// txn-total-size-limit, 100 MiB by default, and a row above txn-entry-size-limit, 6 MiB).
struct TargetLimits {
    std::uint64_t transactionBytes = std::uint64_t{64} << 20;  // spec.target.limits.transactionSize
    std::uint64_t entryBytes = std::uint64_t{6} << 20;         // spec.target.limits.entrySize
};

// What to do about source DDL the target refuses.
struct DdlSpec {
    // Source positions ("binlog-file:offset", as the job's status.incremental.failedDdl and its
    // error name them) of DDL statements replay skips instead of running on the target.
    std::vector<std::string> skip;
};

struct PrecheckSpec {
    bool ignoreWarnings = false;
    std::vector<std::string> skip;  // item names not to run
};

struct MigrationJob {
    std::string name;
    std::string namespace_ = "default";
    JobType type = JobType::FullAndIncremental;
    FullMode fullMode = FullMode::Logical;
    SourceEndpoint source;
    Endpoint target;
    TargetLimits targetLimits;
    ObjectSelection objects;
    IncrementalSpec incremental;
    int capacity = 2;  // 2 | 4 | 8 | 16
    PrecheckSpec precheck;
    DdlSpec ddl;
    bool paused = false;

    bool copiesExistingData() const { return type != JobType::Incremental; }
    bool replicates() const { return type != JobType::Full; }
};

// What a capacity buys: worker threads and the export rate cap of the product's
// specification table (MiB/s), so a migration can spare a busy source.
struct CapacityPlan {
    int workers;
    double exportMiBPerSecond;
};
CapacityPlan capacityPlan(int capacity);

// A manifest the runner cannot use. `what()` is one line: "<origin>: <field path>: <problem>".
class ManifestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses and validates a MigrationJob manifest (YAML or JSON text). `origin` names the input
// in error messages (a file name). Applies the CRD's defaults. Throws ManifestError on the first
// problem, naming the field path (for example `spec.source.port`) and what was expected.
MigrationJob parseManifest(std::string_view text, std::string_view origin);

// Same, reading the file at `path`.
MigrationJob loadManifest(const std::string& path);

// Validates a job name by the product's rule: starts with a letter, fewer than 60 characters,
// only letters, digits, '_' and '-'. Returns the problem, or nothing when the name is valid.
std::optional<std::string> jobNameProblem(std::string_view name);

}  // namespace tidemark::api
