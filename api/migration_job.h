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
    // Names the source in routes' extra columns (ExtraColumn::Value::Source) and in status:
    // spec.source.id, else "<host>:<port>".
    std::string id;
};

// One include or exclude rule: a whole database when `tables` is empty.
struct ObjectRule {
    std::string database;
    std::vector<std::string> tables;
};

// How the source compares database and table names: its lower_case_table_names, read from the
// source (db::dialect::lowerCaseTableNames), never written in a manifest.
enum class NameCase {
    Exact,       // 0: stored as written, compared byte for byte
    Lower,       // 1: stored in lower case, compared in lower case (Windows, Azure's default)
    Insensitive  // 2: stored as written, compared in lower case (macOS)
};
// The rule for a lower_case_table_names value (anything but 1 or 2 is Exact).
NameCase nameCaseFor(int lowerCaseTableNames);

struct ObjectSelection {
    std::vector<ObjectRule> include;  // empty = every non-system database
    std::vector<ObjectRule> exclude;
    // The source's rule for comparing the names above with the names the source reports (its
    // information_schema, its binary log, the statements it logs). Exact until set from the source.
    NameCase names = NameCase::Exact;

    // True when `database` may hold selected tables (system schemas never do).
    bool selectsDatabase(std::string_view database) const;
    // True when the table is selected: included (by database or by name), not excluded,
    // and not in a system schema. The shadow tables an online schema change tool makes for a
    // selected table (shadowTableOf) are selected with it, so that the tool's cut-over
    // (`RENAME TABLE t TO _t_del, _t_gho TO t`) replicates whole.
    bool selectsTable(std::string_view database, std::string_view table) const;
    // True when a table created later in `database` is replicated: the database was selected
    // as a whole (or everything was), not table by table.
    bool selectsNewTablesIn(std::string_view database) const;
    // `name` (a database or table) the way the source stores it: lower case under NameCase::Lower,
    // as given otherwise.
    std::string stored(std::string_view name) const;
};

// The table `table` is a shadow of when it is named the way gh-ost or pt-online-schema-change
// name the tables of a change in progress, or nothing: gh-ost's ghost `_t_gho` and old
// `_t_del` / `_t_<YYYYMMDDhhmmss>_del` (--timestamp-old-table), pt-osc's `_t_new` and `_t_old`
// (pt-osc adds more leading underscores when the name is taken). Not gh-ost's changelog `_t_ghc`,
// which holds only the tool's own heartbeats, nor names gh-ost shortened to fit 64 characters.
std::optional<std::string> shadowTableOf(std::string_view table);

// The schemas no job ever migrates, even when "all" is selected.
bool isSystemSchema(std::string_view database);

// --- Consolidation: routing, event filters and row filters (spec.routes, spec.filters,
// spec.rowFilters). Every database and table field below is a name pattern (name_pattern.h),
// matched by the source's NameCase like spec.objects.

// A target column a route fills with where the row came from (DM's extract-schema /
// extract-table / extract-source), so rows of different shards stay distinguishable.
struct ExtraColumn {
    enum class Value { Schema, Table, Source };
    std::string column;
    Value value = Value::Schema;
};

// spec.routes[]: the selected source tables matching `database`.`table` are written to
// `targetDatabase`.`targetTable` (empty targetTable = the source table's name). The first rule
// that matches a table routes it; a table no rule matches keeps its name.
struct RouteRule {
    std::string database;
    std::string table = "*";
    std::string targetDatabase;
    std::string targetTable;
    std::vector<ExtraColumn> extraColumns;
};

// The binlog events an event filter names (spec.filters[].events): row changes and DDL kinds.
enum class EventKind {
    Insert,
    Update,
    Delete,
    CreateDatabase,
    DropDatabase,
    AlterDatabase,
    CreateTable,
    DropTable,
    AlterTable,
    RenameTable,
    TruncateTable,
    CreateIndex,
    DropIndex,
};
std::string_view nameOf(EventKind);

// spec.filters[]: what replay does with the listed events of matching tables. Ignore: not
// applied, counted in status.incremental.filtered; Error: replay stops at the event, naming it
// and the rule. Ignore wins over Error when both match an event.
struct EventFilter {
    enum class Action { Ignore, Error };
    std::string database;
    std::string table = "*";
    std::vector<EventKind> events;
    Action action = Action::Ignore;
};

// spec.rowFilters[]: rows of matching tables for which an expression is true are not applied
// (runner/filter/README.md has the language). An empty expression filters nothing. The insert
// expression also applies to the rows the full copy reads.
struct RowFilter {
    std::string database;
    std::string table = "*";
    std::string insert;
    std::string updateOld;  // the row before an UPDATE
    std::string updateNew;  // the row after it
    std::string deleted;    // the row a DELETE removes
};

struct Consolidation {
    std::vector<RouteRule> routes;
    std::vector<EventFilter> filters;
    std::vector<RowFilter> rowFilters;
    bool empty() const { return routes.empty() && filters.empty() && rowFilters.empty(); }
};

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

// spec.shardDdl: how replay handles DDL on a shard of a merged table (runner/replay/shard_ddl.h).
// Pessimistic (DM's default): a change of one shard waits, with that shard's later rows held on
// the target, until every shard of the merged table issued it; then it runs once and the held rows
// follow. Optimistic: additive changes run at the first shard, others stop the job for the user.
struct ShardDdlSpec {
    enum class Mode { Pessimistic, Optimistic };
    Mode mode = Mode::Pessimistic;
};

// A switch request (spec.cutover): replay up to `stopAt`, validate source against target and
// report whether the application can move to the target (runner/cutover/).
struct CutoverSpec {
    enum class Afterwards { Pause, Continue };
    std::string token;           // trigger: a new value asks for a cutover; empty = none asked
    std::string stopAt = "now";  // "now" (the source's position once writes stopped), "FILE:POS" or a GTID set
    int quietSeconds = 5;        // writes count as stopped once the source's binlog has not moved this long
    Afterwards afterwards = Afterwards::Pause;  // Pause: stay at the stop position; Continue: replicate on
};

// The background pass over whole tables (spec.validation.fullScan; runner/validate/table_scan.h).
struct FullScanSpec {
    bool enabled = false;       // off by default: it reads every selected row on both servers
    int rowsPerSecond = 10000;  // rows read from each server per second, at most
    int pauseSeconds = 300;     // between the end of one pass over all tables and the next
};

// Continuous validation while replicating (spec.validation; runner/validate/): the rows replay
// changed are compared source vs target once replay has passed the position they were read at.
struct ValidationSpec {
    bool changedRows = true;      // compare the rows replay changed
    int recheckAfterSeconds = 5;  // a differing row is reported only if it still differs this much later
    FullScanSpec fullScan;        // and, in the background, every row of every selected table
};

struct PrecheckSpec {
    bool ignoreWarnings = false;
    std::vector<std::string> skip;  // item names not to run
};

// The annotation naming a job instance explicitly (instead of metadata.uid), so a job deleted
// and re-created on purpose continues the earlier one's progress (README "Starting over").
inline constexpr const char* kInstanceAnnotation = "tidemark.dev/instance-id";

struct MigrationJob {
    std::string name;
    std::string namespace_ = "default";
    // Which instance of the job this is: the tidemark.dev/instance-id annotation, else
    // metadata.uid (set by the API server, new for every create); the local CLI's --job-id
    // overrides both. Empty for a manifest with neither (a local run without --job-id).
    std::string instance;
    JobType type = JobType::FullAndIncremental;
    FullMode fullMode = FullMode::Logical;
    // Every source the job reads (spec.sources, or spec.source alone), in spec order. Each is
    // read by a runner stream of its own, with checkpoints of its own, into the same target.
    std::vector<SourceEndpoint> sources;
    // The source this MigrationJob value is about: sources.front() as parsed, the named one after
    // forSource(). Every stage (precheck, copy, replay, verify, cutover) reads this one.
    SourceEndpoint source;
    Endpoint target;
    TargetLimits targetLimits;
    ObjectSelection objects;
    Consolidation consolidation;
    IncrementalSpec incremental;
    int capacity = 2;  // 2 | 4 | 8 | 16
    PrecheckSpec precheck;
    DdlSpec ddl;
    ShardDdlSpec shardDdl;
    CutoverSpec cutover;
    ValidationSpec validation;
    bool paused = false;

    // Names this job instance in the target's tidemark_meta (checkpoints, fence, job record) and
    // in the replica server id: "<name>/<instance>", or "<namespace>/<name>" outside "default"
    // when there is no instance, or the bare name. A job re-created under the same name gets a
    // new uid, hence a new key, and never meets the old one's checkpoints; jobs of one name in
    // two namespaces differ by uid. At most 128 characters (name < 60, instance <= 63, and for a
    // job of several sources sourceKeySuffix(source.id): each source has checkpoints of its own).
    std::string instanceKey() const;
    // The key every source's runner of this job shares (state about the merged tables that all
    // sources write: shard DDL coordination): instanceKey() less the source's suffix.
    std::string jobKey() const;

    bool severalSources() const { return sources.size() > 1; }
    // This job as read from the source with id `id` (source = that one). Throws ManifestError
    // naming the known ids when none has it.
    MigrationJob forSource(std::string_view id) const;

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
// MigrationJob::instanceKey() from its parts (the operator has the object, not the struct).
std::string instanceKey(std::string_view name, std::string_view namespace_, std::string_view instance);

// What a job of several sources appends to its instance key for the source with id `id`: "@"
// and four hex digits of a hash of the id (parseManifest refuses two ids with the same suffix).
std::string sourceKeySuffix(std::string_view sourceId);

// Why `id` cannot name a job instance (the annotation or --job-id), or nothing: 1-63 of
// letters, digits, '-', '_', '.' (a uid qualifies).
std::optional<std::string> instanceIdProblem(std::string_view id);

}  // namespace tidemark::api
