#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "api/migration_job.h"

using namespace tidemark::api;

namespace {

const std::string kValid = R"(
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: shop-to-tidb}
spec:
  type: FullAndIncremental
  source:
    flavor: AuroraMySQL
    host: mysql.prod.svc
    credentialsSecret: {name: source-credentials}
    tls: {secretName: source-tls}
  target: {host: tidb.prod.svc, credentialsSecret: {name: tidb-credentials}}
  objects:
    include: [{database: shop}, {database: crm, tables: [customers, orders]}]
    exclude: [{database: shop, tables: [audit_log]}]
  capacity: 4
  precheck: {ignoreWarnings: true, skip: [connection_limits]}
)";

// Replaces the first occurrence of `from` in the valid manifest.
std::string with(const std::string& from, const std::string& to) {
    auto s = kValid;
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

std::string errorOf(const std::string& text) {
    try {
        parseManifest(text, "job.yaml");
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a valid manifest parses with the CRD's defaults") {
    auto job = parseManifest(kValid, "job.yaml");
    CHECK(job.name == "shop-to-tidb");
    CHECK(job.type == JobType::FullAndIncremental);
    CHECK(job.fullMode == FullMode::Logical);
    CHECK(job.source.flavor == SourceFlavor::AuroraMySQL);
    CHECK(job.source.port == 3306);
    CHECK(job.target.port == 4000);
    CHECK(job.source.tlsSecret == std::optional<std::string>("source-tls"));
    CHECK_FALSE(job.target.tlsSecret.has_value());
    CHECK(job.capacity == 4);
    CHECK(job.precheck.ignoreWarnings);
    CHECK(job.precheck.skip == std::vector<std::string>{"connection_limits"});
    CHECK(job.incremental.safeModeDuration == std::chrono::seconds(60));
}

TEST_CASE("object selection follows include, exclude and the system-schema rule") {
    auto job = parseManifest(kValid, "job.yaml");
    const auto& sel = job.objects;
    CHECK(sel.selectsTable("shop", "orders"));
    CHECK_FALSE(sel.selectsTable("shop", "audit_log"));
    CHECK(sel.selectsTable("crm", "customers"));
    CHECK_FALSE(sel.selectsTable("crm", "leads"));
    CHECK_FALSE(sel.selectsTable("other", "t"));
    CHECK(sel.selectsNewTablesIn("shop"));
    CHECK_FALSE(sel.selectsNewTablesIn("crm"));

    ObjectSelection all;
    CHECK(all.selectsTable("anything", "t"));
    for (auto sys : {"mysql", "information_schema", "performance_schema", "sys", "MySQL", "tidemark_meta"})
        CHECK_FALSE(all.selectsTable(sys, "user"));
}

// lower_case_table_names=1 or 2 on the source: names compare in lower case; 0 (Linux's default):
// byte for byte, so `Orders` and `orders` are two tables.
TEST_CASE("object selection compares names by the source's lower_case_table_names") {
    CHECK(nameCaseFor(0) == NameCase::Exact);
    CHECK(nameCaseFor(1) == NameCase::Lower);
    CHECK(nameCaseFor(2) == NameCase::Insensitive);
    ObjectSelection sel;
    sel.include.push_back({"Shop", {"Orders"}});
    sel.include.push_back({"crm", {}});
    sel.exclude.push_back({"CRM", {"Leads"}});
    CHECK(sel.selectsTable("Shop", "Orders"));
    CHECK_FALSE(sel.selectsTable("shop", "orders"));
    CHECK_FALSE(sel.selectsDatabase("SHOP"));
    CHECK(sel.selectsTable("crm", "leads"));  // the exclude names CRM, another database under Exact
    CHECK(sel.stored("Orders") == "Orders");
    for (auto rule : {NameCase::Lower, NameCase::Insensitive}) {
        sel.names = rule;
        CHECK(sel.selectsTable("shop", "orders"));
        CHECK(sel.selectsTable("SHOP", "ORDERS"));
        CHECK(sel.selectsDatabase("shop"));
        CHECK_FALSE(sel.selectsTable("shop", "orders_x"));
        CHECK(sel.selectsNewTablesIn("CRM"));
        CHECK_FALSE(sel.selectsTable("crm", "leads"));
        CHECK(sel.selectsTable("crm", "customers"));
    }
    sel.names = NameCase::Lower;
    CHECK(sel.stored("Orders") == "orders");
    sel.names = NameCase::Insensitive;
    CHECK(sel.stored("Orders") == "Orders");  // stored as written
}

// gh-ost and pt-online-schema-change work in tables named after the table; with tables listed one
// by one they must be replicated with it, or the cut-over rename drops the table on the target.
TEST_CASE("object selection takes the online schema change tools' shadow tables with their table") {
    CHECK(shadowTableOf("_orders_gho") == std::optional<std::string>("orders"));
    CHECK(shadowTableOf("_orders_del") == std::optional<std::string>("orders"));
    CHECK(shadowTableOf("_orders_20261206201500_del") == std::optional<std::string>("orders"));
    CHECK(shadowTableOf("_orders_new") == std::optional<std::string>("orders"));
    CHECK(shadowTableOf("___orders_old") == std::optional<std::string>("orders"));
    CHECK(shadowTableOf("_my_del_del") == std::optional<std::string>("my_del"));
    for (auto no : {"_orders_ghc", "orders_gho", "_gho", "__new", "_orders"}) CHECK_FALSE(shadowTableOf(no));

    ObjectSelection sel;
    sel.include.push_back({"shop", {"orders", "items"}});
    sel.exclude.push_back({"shop", {"items"}});
    CHECK(sel.selectsTable("shop", "_orders_gho"));
    CHECK(sel.selectsTable("shop", "_orders_del"));
    CHECK(sel.selectsTable("shop", "_orders_new"));
    CHECK_FALSE(sel.selectsTable("shop", "_orders_ghc"));
    CHECK_FALSE(sel.selectsTable("shop", "_items_gho"));
    CHECK_FALSE(sel.selectsTable("shop", "_other_gho"));
    CHECK_FALSE(sel.selectsTable("crm", "_orders_gho"));
    sel.exclude.push_back({"shop", {"_orders_old"}});
    CHECK_FALSE(sel.selectsTable("shop", "_orders_old"));  // named in an exclude itself
    sel.names = NameCase::Lower;
    sel.include[0].tables[0] = "Orders";
    CHECK(sel.selectsTable("shop", "_orders_gho"));
}

TEST_CASE("job names follow the product's rule") {
    CHECK_FALSE(jobNameProblem("a").has_value());
    CHECK_FALSE(jobNameProblem("Job_1-x").has_value());
    CHECK(jobNameProblem("1job").has_value());
    CHECK(jobNameProblem("-job").has_value());
    CHECK(jobNameProblem("job.name").has_value());
    CHECK_FALSE(jobNameProblem(std::string(59, 'a')).has_value());
    CHECK(jobNameProblem(std::string(60, 'a')).has_value());
    CHECK(errorOf(with("name: shop-to-tidb", "name: 9lives")).find("metadata.name") != std::string::npos);
}

TEST_CASE("validation errors name the field path and what was expected") {
    CHECK(errorOf(with("capacity: 4", "capacity: 3")) == "job.yaml: spec.capacity: must be one of 2, 4, 8, 16, got 3");
    CHECK(errorOf(with("capacity: 4", "capacity: four")) == "job.yaml: spec.capacity: expected an integer, got 'four'");
    CHECK(
        errorOf(with("type: FullAndIncremental", "type: Everything")) ==
        "job.yaml: spec.type: unsupported value 'Everything' (expected one of: Full, Incremental, FullAndIncremental)");
    CHECK(errorOf(with("host: mysql.prod.svc", "host: mysql.prod.svc\n    port: 70000")) ==
          "job.yaml: spec.source.port: must be between 1 and 65535, got 70000");
    CHECK(errorOf(with("flavor: AuroraMySQL", "flavour: AuroraMySQL")).find("spec.source.flavour: unknown field") !=
          std::string::npos);
    CHECK(errorOf(with("credentialsSecret: {name: tidb-credentials}", "")) ==
          "job.yaml: spec.target.credentialsSecret: required field is missing");
    CHECK(errorOf(with("ignoreWarnings: true", "ignoreWarnings: maybe")) ==
          "job.yaml: spec.precheck.ignoreWarnings: expected true or false, got 'maybe'");
    CHECK(errorOf(with("kind: MigrationJob", "kind: Pod")) == "job.yaml: kind: expected MigrationJob, got 'Pod'");
    CHECK(errorOf(with("{database: crm, tables: [customers, orders]}", "{database: mysql}")) ==
          "job.yaml: spec.objects.include[1].database: 'mysql' is a system schema and is never migrated");
}

TEST_CASE("physical mode only with a full copy followed by replication, a start position only for incremental jobs") {
    const std::string physicalError =
        "job.yaml: spec.fullMode: Physical mode needs a full copy followed by replication: use type FullAndIncremental "
        "(a Full-only job copies in Logical mode; an Incremental job copies nothing)";
    CHECK(errorOf(with("type: FullAndIncremental", "type: Incremental\n  fullMode: Physical")) == physicalError);
    CHECK(errorOf(with("type: FullAndIncremental", "type: Full\n  fullMode: Physical")) == physicalError);
    CHECK(errorOf(
              with("capacity: 4", "capacity: 4\n  incremental: {start: {binlogFile: mysql-bin.000002, binlogPos: 4}}"))
              .find("spec.incremental.start: a start position is only for type Incremental") != std::string::npos);
    auto job =
        parseManifest(with("type: FullAndIncremental",
                           "type: Incremental\n  incremental: {start: {gtidSet: '0-1-5'}, safeModeDuration: 2m}"),
                      "job.yaml");
    REQUIRE(job.incremental.start.has_value());
    CHECK(job.incremental.start->byGtid());
    CHECK(job.incremental.safeModeDuration == std::chrono::seconds(120));
    CHECK(parseManifest(with("type: FullAndIncremental", "type: FullAndIncremental\n  fullMode: Physical"), "job.yaml")
              .fullMode == FullMode::Physical);
}

TEST_CASE("malformed YAML gets a one-line error with its position") {
    auto e = errorOf("apiVersion: tidemark.dev/v1alpha1\nkind: [unclosed\n");
    CHECK(e.rfind("job.yaml:", 0) == 0);
    CHECK(e.find("malformed YAML") != std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
    CHECK(errorOf("") == "job.yaml: the manifest is empty");
    CHECK(errorOf("- a\n- b\n") == "job.yaml: the document: expected a mapping");
}

TEST_CASE("capacity plans follow the specification table") {
    CHECK(capacityPlan(2).workers == 2);
    CHECK(capacityPlan(16).workers == 16);
    CHECK(capacityPlan(4).exportMiBPerSecond == doctest::Approx(214.2));
}

TEST_CASE("target limits take sizes as integers or binary quantities, defaulting below TiDB's") {
    auto job = parseManifest(kValid, "job.yaml");
    CHECK(job.targetLimits.transactionBytes == 64u << 20);
    CHECK(job.targetLimits.entryBytes == 6u << 20);
    job = parseManifest(with("credentialsSecret: {name: tidb-credentials}}",
                             "credentialsSecret: {name: tidb-credentials}, limits: {transactionSize: 16Mi, "
                             "entrySize: 1048576}}"),
                        "job.yaml");
    CHECK(job.targetLimits.transactionBytes == 16u << 20);
    CHECK(job.targetLimits.entryBytes == 1u << 20);
    CHECK(errorOf(with("credentialsSecret: {name: tidb-credentials}}",
                       "credentialsSecret: {name: tidb-credentials}, limits: {transactionSize: 64MB}}")) ==
          "job.yaml: spec.target.limits.transactionSize: expected a size such as 64Mi, 6Mi or 1048576, got '64MB'");
    CHECK(
        errorOf(with("credentialsSecret: {name: tidb-credentials}}",
                     "credentialsSecret: {name: tidb-credentials}, limits: {transactionSize: 2Mi, entrySize: 4Mi}}")) ==
        "job.yaml: spec.target.limits.entrySize: must not be larger than transactionSize");
}

TEST_CASE("ddl.skip takes source positions and names a malformed one") {
    auto job = parseManifest(kValid + "  ddl: {skip: ['mysql-bin.000042:1234']}\n", "job.yaml");
    REQUIRE(job.ddl.skip.size() == 1);
    CHECK(job.ddl.skip[0] == "mysql-bin.000042:1234");
    CHECK(errorOf(kValid + "  ddl: {skip: ['mysql-bin.000042']}\n") ==
          "job.yaml: spec.ddl.skip[0]: expected a source position binlog-file:offset (as "
          "status.incremental.failedDdl.position shows it), got 'mysql-bin.000042'");
}

TEST_CASE("the job instance key: name and uid, the instance-id annotation over the uid, namespace without either") {
    auto job = parseManifest(kValid, "job.yaml");
    CHECK(job.instance.empty());
    CHECK(job.instanceKey() == job.name);
    job.namespace_ = "team-a";
    CHECK(job.instanceKey() == "team-a/" + job.name);

    const std::string withUid =
        with("metadata: {name: shop-to-tidb}", "metadata: {name: shop-to-tidb, namespace: team-a, uid: 6f1c-77aa}");
    REQUIRE(withUid != kValid);
    job = parseManifest(withUid, "job.yaml");
    CHECK(job.instanceKey() == "shop-to-tidb/6f1c-77aa");

    job = parseManifest(with("metadata: {name: shop-to-tidb}",
                             "metadata: {name: shop-to-tidb, uid: 6f1c-77aa, annotations: "
                             "{tidemark.dev/instance-id: shop-2027, other: x}}"),
                        "job.yaml");
    CHECK(job.instanceKey() == "shop-to-tidb/shop-2027");
    CHECK(errorOf(with("metadata: {name: shop-to-tidb}",
                       "metadata: {name: shop-to-tidb, annotations: {tidemark.dev/instance-id: 'a b'}}")) ==
          "job.yaml: metadata.annotations[tidemark.dev/instance-id]: 'a b' may hold only letters, digits, '-', '_' "
          "and '.'");
    CHECK(instanceIdProblem(std::string(64, 'x')).has_value());
    CHECK_FALSE(instanceIdProblem("0c5b2f3e-9a8d-4c1e-b7a2-1f2e3d4c5b6a").has_value());
}

TEST_CASE("spec.runnerPod is the operator's: accepted, its field names checked, ignored by the runner") {
    CHECK(errorOf(kValid + "  runnerPod: {labels: {team: dba}, nodeSelector: {pool: migrations}}\n").empty());
    CHECK(errorOf(kValid + "  runnerPod: {nodeSelecter: {pool: migrations}}\n")
              .find("job.yaml: spec.runnerPod.nodeSelecter: unknown field") == 0);
    CHECK(errorOf(kValid + "  runnerPod: [a]\n").find("spec.runnerPod") != std::string::npos);
}

TEST_CASE("spec.shardDdl.mode: Pessimistic by default, Optimistic on request, anything else names the field") {
    CHECK(parseManifest(kValid, "job.yaml").shardDdl.mode == ShardDdlSpec::Mode::Pessimistic);
    CHECK(parseManifest(kValid + "  shardDdl: {mode: Optimistic}\n", "job.yaml").shardDdl.mode ==
          ShardDdlSpec::Mode::Optimistic);
    CHECK(parseManifest(kValid + "  shardDdl: {mode: Pessimistic}\n", "job.yaml").shardDdl.mode ==
          ShardDdlSpec::Mode::Pessimistic);
    CHECK(errorOf(kValid + "  shardDdl: {mode: optimistic}\n") ==
          "job.yaml: spec.shardDdl.mode: unsupported value 'optimistic' (expected one of: Pessimistic, Optimistic)");
    CHECK(errorOf(kValid + "  shardDdl: {wait: true}\n").find("job.yaml: spec.shardDdl.wait: unknown field") == 0);
}

TEST_CASE("spec.cutover: a token asks for it, stopAt is now, a position or a GTID set, only for replicating jobs") {
    auto job = parseManifest(kValid + "  cutover: {token: switch-1}\n", "job.yaml");
    CHECK(job.cutover.token == "switch-1");
    CHECK(job.cutover.stopAt == "now");
    CHECK(job.cutover.quietSeconds == 5);
    CHECK(job.cutover.afterwards == CutoverSpec::Afterwards::Pause);
    job = parseManifest(kValid +
                            "  cutover: {token: t, stopAt: 'mysql-bin.000042:1234', quietSeconds: 0, "
                            "afterwards: Continue}\n",
                        "job.yaml");
    CHECK(job.cutover.stopAt == "mysql-bin.000042:1234");
    CHECK(job.cutover.quietSeconds == 0);
    CHECK(job.cutover.afterwards == CutoverSpec::Afterwards::Continue);
    for (const char* gtid : {"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77", "0-1-100,1-2-5",
                             "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,4e11fa47-71ca-11e1-9e33-c80aa9429562:1"})
        CHECK(parseManifest(kValid + "  cutover: {token: t, stopAt: '" + gtid + "'}\n", "job.yaml").cutover.stopAt ==
              gtid);
    CHECK(errorOf(kValid + "  cutover: {token: t, stopAt: soon}\n") ==
          "job.yaml: spec.cutover.stopAt: expected now, a binlog position file:offset or a GTID set, got 'soon'");
    CHECK(errorOf(with("type: FullAndIncremental", "type: Full") + "  cutover: {token: t}\n")
              .find("spec.cutover: a cutover ends replication") != std::string::npos);
    CHECK(errorOf(kValid + "  cutover: {token: t, afterwards: Stop}\n").find("spec.cutover.afterwards") !=
          std::string::npos);
}

TEST_CASE("spec.validation: changed rows on by default, fields checked") {
    auto job = parseManifest(kValid, "job.yaml");
    CHECK(job.validation.changedRows);
    CHECK(job.validation.recheckAfterSeconds == 5);
    job = parseManifest(kValid + "  validation: {changedRows: false, recheckAfterSeconds: 30}\n", "job.yaml");
    CHECK_FALSE(job.validation.changedRows);
    CHECK(job.validation.recheckAfterSeconds == 30);
    CHECK(errorOf(kValid + "  validation: {mode: fast}\n").find("spec.validation.mode: unknown field") !=
          std::string::npos);
    CHECK(errorOf(kValid + "  validation: {fullScan: true}\n") ==
          "job.yaml: spec.validation.fullScan: expected a mapping");
    CHECK(errorOf(kValid + "  validation: {recheckAfterSeconds: 0}\n").find("spec.validation.recheckAfterSeconds") !=
          std::string::npos);
}

TEST_CASE("spec.validation.fullScan: off by default, its rate and pause checked") {
    auto job = parseManifest(kValid, "job.yaml");
    CHECK_FALSE(job.validation.fullScan.enabled);
    CHECK(job.validation.fullScan.rowsPerSecond == 10000);
    CHECK(job.validation.fullScan.pauseSeconds == 300);
    job = parseManifest(kValid + "  validation: {fullScan: {enabled: true, rowsPerSecond: 500, pauseSeconds: 0}}\n",
                        "job.yaml");
    CHECK(job.validation.fullScan.enabled);
    CHECK(job.validation.changedRows);  // the changed rows keep their default
    CHECK(job.validation.fullScan.rowsPerSecond == 500);
    CHECK(job.validation.fullScan.pauseSeconds == 0);
    CHECK(errorOf(kValid + "  validation: {fullScan: {enabled: true, rowsPerSecond: 0}}\n") ==
          "job.yaml: spec.validation.fullScan.rowsPerSecond: must be between 1 and 10000000, got 0");
    CHECK(errorOf(kValid + "  validation: {fullScan: {enabled: yes please}}\n") ==
          "job.yaml: spec.validation.fullScan.enabled: expected true or false, got 'yes please'");
    CHECK(errorOf(kValid + "  validation: {fullScan: {rate: 5}}\n")
              .find("spec.validation.fullScan.rate: unknown field") != std::string::npos);
}
