"""End-to-end: tidemark-operator on hack/devcluster, driven with the real kubectl, with real
MariaDB or MySQL servers (tidemark-sandbox) as source and target: TIDEMARK_TEST_SERVERS=mysql
runs MySQL 9.7 (tests/support/db_server.h). Runner pods run the locally built tidemark-runner
as processes.

Run one test:  TIDEMARK_BUILD_DIR=build /usr/bin/python3 tests/operator/test_operator_e2e.py \
                   OperatorE2E.test_apply_prechecks_then_copies_and_replicates
Each test starts its own dev cluster, operator and (when it needs them) database servers, and
stops them after. Exit 77 = skipped (no kubectl, no build)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from devcluster_harness import SKIP, Cluster, prerequisites_missing, read, stop_process  # noqa: E402

BUILD = os.path.abspath(os.environ.get("TIDEMARK_BUILD_DIR", os.path.join(REPO, "build")))
OPERATOR = os.path.join(BUILD, "operator", "tidemark-operator")
RUNNER = os.path.join(BUILD, "runner", "cli", "tidemark-runner")
SANDBOX = os.path.join(BUILD, "tests", "support", "tidemark-sandbox")
MARIADB = "/usr/bin/mariadb"
# The servers' flavor, as tidemark-sandbox reads it (tests/support/db_server.h).
MYSQL = os.environ.get("TIDEMARK_TEST_SERVERS", "mariadb").split(",")[0] == "mysql"

JOB = """
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata:
  name: {name}
spec:
  type: {type}
  source:
    flavor: {flavor}
    host: 127.0.0.1
    port: {source_port}
    credentialsSecret: {{name: source-credentials}}
  target:
    host: 127.0.0.1
    port: {target_port}
    credentialsSecret: {{name: {target_secret}}}
  objects:
    include: [{{database: shop}}]
  capacity: 2
  precheck: {{ignoreWarnings: true}}
"""


class Databases:
    """A source and a target server (tidemark-sandbox), with a migration user on each."""

    def __init__(self, rows=200):
        self.rows = rows
        self.dir = tempfile.mkdtemp(prefix="tidemark-op-e2e-db-")
        self.log = open(os.path.join(self.dir, "sandbox.log"), "w+")
        # Each server keeps its temporary tables in a directory of its own, not the shared /tmp.
        tmp = {side: os.path.join(self.dir, "tmp-" + side) for side in ("source", "target")}
        for d in tmp.values():
            os.makedirs(d)
        self.proc = subprocess.Popen([SANDBOX, "--state-dir", self.dir, "--source-arg=--tmpdir=" + tmp["source"],
                                      "--target-arg=--tmpdir=" + tmp["target"]],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._prepare(rows)
        except BaseException:
            self.stop()
            raise

    def _prepare(self, rows):
        deadline = time.monotonic() + 120
        while not os.path.exists(os.path.join(self.dir, "target.port")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tidemark-sandbox did not start")
            time.sleep(0.1)
        time.sleep(0.2)
        self.source_port = int(read(os.path.join(self.dir, "source.port")))
        self.target_port = int(read(os.path.join(self.dir, "target.port")))
        # MySQL reads the binary log status with REPLICATION CLIENT, MariaDB with BINLOG MONITOR.
        monitor = "REPLICATION CLIENT" if MYSQL else "BINLOG MONITOR"
        self.source("CREATE USER migrator@'%' IDENTIFIED BY 'source-pw';"
                    "GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, " + monitor + ", RELOAD ON *.* TO migrator@'%';"
                    "CREATE DATABASE shop;"
                    "CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(64));"
                    "INSERT INTO shop.orders (note) VALUES " + ",".join("('order %d')" % i for i in range(200)) + ";")
        self.target("CREATE USER loader@'%' IDENTIFIED BY 'target-pw';"
                    "GRANT ALL PRIVILEGES ON *.* TO loader@'%';")
        if rows > 200:  # one statement, no temporary table: a recursive CTE over 1000-row steps
            depth = "cte_max_recursion_depth" if MYSQL else "max_recursive_iterations"
            self.source("SET SESSION " + depth + " = 1000000;"
                        "INSERT INTO shop.orders (note) WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                        "FROM seq WHERE n < %d) SELECT CONCAT('bulk ', n, ' ', RPAD('', 40, 'x')) FROM seq" % (rows - 200))

    def sql(self, port, statements):
        p = subprocess.run([MARIADB, "-h127.0.0.1", "-P%d" % port, "-uroot", "-N", "-B", "-e", statements],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise AssertionError("SQL failed on port %d: %s" % (port, p.stderr))
        return p.stdout.strip()

    def source(self, statements):
        return self.sql(self.source_port, statements)

    def target(self, statements):
        return self.sql(self.target_port, statements)

    def target_count(self):
        try:
            return int(self.target("SELECT COUNT(*) FROM shop.orders"))
        except (AssertionError, ValueError):
            return -1

    def stop(self):
        if self.log.closed:
            return
        stop_process(self.proc, 60)
        self.log.close()
        subprocess.run(["rm", "-rf", self.dir])


class OperatorE2E(unittest.TestCase):
    operator_args = ()

    def setUp(self):
        # TIDEMARK_E2E_RUNNER_DIR: another build's tidemark-runner, found before this build's.
        runner_dir = os.environ.get("TIDEMARK_E2E_RUNNER_DIR")
        self.c = Cluster(extra_args=(("--bin-dir", runner_dir) if runner_dir else ()) + ("--bin-dir", BUILD))
        self.db = None
        # Runner pods run as this ServiceAccount (the Helm chart creates it); the API server
        # refuses pods whose ServiceAccount is missing.
        self.c.kubectl("create", "serviceaccount", "tidemark-runner")
        self.op_log = open(os.path.join(self.c.dir, "operator.log"), "w+")
        self.op = subprocess.Popen([OPERATOR, "--kubeconfig", self.c.kubeconfig, "--metrics-addr", "127.0.0.1:0",
                                    "--runner-image", "tidemark:dev", "--retry-base", "1",
                                    "--leader-election-namespace", "default", "--log-format", "text",
                                    *self.operator_args],
                                   stdout=self.op_log, stderr=subprocess.STDOUT, start_new_session=True)

    def tearDown(self):
        stop_process(self.op, 15)
        self.op_log.close()
        self.c.stop()
        if self.db:
            self.db.stop()

    # ---- helpers ---------------------------------------------------------------------------

    def operator_log(self):
        self.op_log.flush()
        with open(self.op_log.name) as f:
            return f.read()

    def wait(self, predicate, what, timeout=60):
        return self.c.wait_for(predicate, what, timeout, interval=0.25, details=lambda: (
            "--- operator log:\n%s\n--- describe:\n%s" % (self.operator_log()[-6000:],
                                                       self.c.kubectl("describe", "mj", check=False).stdout[-4000:])))

    def job(self, name="shop"):
        return self.c.get_json("mj", name)

    def phase(self, name="shop"):
        p = self.c.kubectl("get", "mj", name, "-o", "jsonpath={.status.phase}", check=False)
        return p.stdout.strip() if p.returncode == 0 else None

    def condition(self, name, type_):
        for c in self.job(name).get("status", {}).get("conditions", []):
            if c["type"] == type_:
                return c
        return {}

    def pods(self, name="shop", role=None):
        sel = "tidemark.dev/job=" + name + (",tidemark.dev/role=" + role if role else "")
        return self.c.get_json("pods", "-l", sel)["items"]

    def running_pod(self, name="shop", role="run"):
        for p in self.pods(name, role):
            if p.get("status", {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"):
                return p
        return None

    def start_databases(self, rows=200):
        self.db = Databases(rows)
        self.c.kubectl("create", "secret", "generic", "source-credentials",
                       "--from-literal=username=migrator", "--from-literal=password=source-pw")
        self.c.kubectl("create", "secret", "generic", "target-credentials",
                       "--from-literal=username=loader", "--from-literal=password=target-pw")
        self.c.kubectl("create", "secret", "generic", "wrong-credentials",
                       "--from-literal=username=loader", "--from-literal=password=not-the-password")

    def apply_job(self, name="shop", type_="FullAndIncremental", target_secret="target-credentials"):
        return self.c.apply(JOB.format(name=name, type=type_, flavor="MySQL" if MYSQL else "MariaDB", source_port=self.db.source_port if self.db else 3306,
                                       target_port=self.db.target_port if self.db else 4000,
                                       target_secret=target_secret))

    def to_running(self, name="shop", type_="FullAndIncremental"):
        self.start_databases()
        self.apply_job(name, type_)
        self.wait(lambda: self.phase(name) in ("Copying", "Replicating", "Succeeded"), "the runner to start")
        self.wait(lambda: self.db.target_count() == 200, "the full copy to reach the target", timeout=120)

    # ---- tests -----------------------------------------------------------------------------

    def test_apply_prechecks_then_copies_and_replicates(self):
        self.start_databases()
        self.apply_job()
        self.wait(lambda: self.phase() == "Prechecking" or self.condition("shop", "PrecheckPassed").get("status")
                  == "True", "the precheck")
        job = self.job()
        self.assertIn("tidemark.dev/stop-runner", job["metadata"]["finalizers"])
        self.wait(lambda: self.condition("shop", "PrecheckPassed").get("status") == "True", "the precheck to pass")
        pod = self.wait(lambda: self.running_pod(), "a running runner pod")
        owner = pod["metadata"]["ownerReferences"][0]
        self.assertEqual((owner["kind"], owner["name"], owner["controller"]), ("MigrationJob", "shop", True))
        self.assertEqual(pod["spec"]["restartPolicy"], "Never")
        self.assertIn("--skip-precheck", pod["spec"]["containers"][0]["args"])
        self.assertEqual(self.condition("shop", "Validated")["status"], "True")
        self.assertEqual(self.job()["status"]["capacity"]["current"], 2)
        # Data moves: the copy, then replay of new source writes.
        self.wait(lambda: self.db.target_count() == 200, "the full copy to reach the target", timeout=120)
        self.db.source("INSERT INTO shop.orders (note) VALUES ('after the copy')")
        self.wait(lambda: self.db.target_count() == 201, "replay of a new source row", timeout=120)
        out = self.c.kubectl("get", "mj", "shop").stdout
        self.assertRegex(out, r"shop\s+(Copying|Replicating)")
        # verify, with the manifest the runner pod runs and the Secrets laid out as it mounts them.
        self.wait(lambda: self.db.target("SELECT COUNT(*) FROM shop.orders") ==
                  self.db.source("SELECT COUNT(*) FROM shop.orders"), "the target to catch up")
        manifest = self.c.kubectl("get", "configmap", self.running_pod()["metadata"]["name"],
                                  "-o", "jsonpath={.data.job\\.yaml}").stdout
        secrets = os.path.join(self.c.dir, "verify-secrets")
        for secret, user, password in (("source-credentials", "migrator", "source-pw"),
                                        ("target-credentials", "loader", "target-pw")):
            os.makedirs(os.path.join(secrets, secret))
            for key, value in (("username", user), ("password", password)):
                with open(os.path.join(secrets, secret, key), "w") as f:
                    f.write(value)
        with open(os.path.join(self.c.dir, "job.yaml"), "w") as f:
            f.write(manifest)
        v = subprocess.run([RUNNER, "verify", "-f", os.path.join(self.c.dir, "job.yaml"), "--secrets-dir", secrets,
                            "--output", "json"], capture_output=True, text=True, timeout=120)
        self.assertEqual(v.returncode, 0, "verify: %s %s" % (v.stdout[-2000:], v.stderr[-2000:]))
        if self.job().get("status", {}).get("fullCopy"):  # the runner reports into the status
            self.wait(lambda: self.phase() == "Replicating", "phase Replicating")
        events = self.c.kubectl("describe", "mj", "shop").stdout
        self.assertIn("PrecheckPassed", events)
        self.assertIn("Started", events)
        # Metrics of the operator.
        port = int(self.wait(lambda: next((l.split("port=")[1].split()[0] for l in self.operator_log().splitlines()
                                           if "serving /healthz" in l and "port=" in l), None), "metrics port"))
        import urllib.request
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
        self.assertRegex(text, r'tidemark_migrationjob_phase\{namespace="[^"]+",migrationjob="shop",'
                               r'phase="(Copying|Replicating)"\} 1\n')
        if self.job().get("status", {}).get("fullCopy"):
            self.assertRegex(text, r'tidemark_full_copy_rows_total\{namespace="[^"]+",migrationjob="shop"\} \d+\n')
        self.assertRegex(text, r'tidemark_build_info\{component="operator",version="[^"]+"\} 1\n')
        self.assertEqual(urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).status, 200)
        self.assertEqual(urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5).status, 200)

    def test_invalid_manifest_is_refused_naming_the_field(self):
        bad = JOB.format(name="shop", type="FullAndIncremental", flavor="MariaDB", source_port=3306, target_port=4000,
                         target_secret="t").replace("capacity: 2", "capacity: 3")
        p = self.c.kubectl("apply", "-f", "-", stdin=bad, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.capacity", p.stderr)
        p = self.c.kubectl("apply", "-f", "-", check=False, stdin=JOB.format(
            name="shop", type="Incremental", flavor="MariaDB", source_port=3306, target_port=4000, target_secret="t")
            .replace("capacity: 2", "capacity: 2\n  fullMode: Physical"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.fullMode", p.stderr)
        self.assertEqual(self.c.get_json("mj")["items"], [])

    def test_failed_precheck_shows_its_items_in_describe(self):
        self.start_databases()
        self.apply_job(target_secret="wrong-credentials")
        self.wait(lambda: self.phase() == "PrecheckFailed", "PrecheckFailed")
        cond = self.condition("shop", "PrecheckPassed")
        self.assertEqual(cond["status"], "False")
        out = self.c.kubectl("describe", "mj", "shop").stdout
        self.assertIn("PrecheckFailed", out)
        self.assertIn("Warning", out)
        items = self.job()["status"].get("precheck", {}).get("items")
        if items:  # the runner publishes its report into status.precheck
            failed = [i["name"] for i in items if i.get("state") == "Failed"]
            self.assertTrue(failed)
            for name in failed:
                self.assertIn(name, out)
        self.assertEqual(self.pods(role="run"), [], "no runner after a failed precheck")
        # Fix the cause and ask for a recheck: the job goes on.
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p",
                       json.dumps({"spec": {"target": {"credentialsSecret": {"name": "target-credentials"}}}}))
        self.wait(lambda: self.phase() in ("Copying", "Replicating"), "the job to go on after the fix", timeout=90)

    def test_recheck_token_reruns_the_precheck(self):
        self.start_databases()
        self.apply_job(target_secret="wrong-credentials")
        self.wait(lambda: self.phase() == "PrecheckFailed", "PrecheckFailed")
        self.db.target("ALTER USER loader@'%' IDENTIFIED BY 'not-the-password'")
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"precheck":{"recheck":"1"}}}')
        self.wait(lambda: self.phase() in ("Copying", "Replicating"), "the job to go on after the recheck", timeout=90)
        self.assertEqual(self.job()["status"]["precheck"]["recheck"], "1")

    def test_pause_and_resume(self):
        self.to_running()
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"paused":true}}')
        self.wait(lambda: self.phase() == "Paused", "Paused")
        self.wait(lambda: self.pods(role="run") == [], "the runner pod to be gone")
        self.db.source("INSERT INTO shop.orders (note) VALUES ('while paused')")
        time.sleep(1)
        self.assertEqual(self.db.target_count(), 200, "nothing is applied while paused")
        # Scaling is accepted while paused and used on resume.
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"capacity":4}}')
        self.wait(lambda: self.job()["status"].get("capacity", {}).get("current") == 4, "capacity 4 accepted")
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"paused":false}}')
        pod = self.wait(lambda: self.running_pod(), "a new runner pod")
        self.assertEqual(pod["metadata"]["annotations"]["tidemark.dev/capacity"], "4")
        self.assertIn(self.phase(), ("Copying", "Replicating"))
        self.wait(lambda: self.db.target_count() == 201, "the row written while paused", timeout=120)
        out = self.c.kubectl("describe", "mj", "shop").stdout
        self.assertIn("Paused", out)
        self.assertIn("Resumed", out)

    def meta_rows(self, key):
        tables = self.db.target("SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.COLUMNS WHERE "
                                "TABLE_SCHEMA = 'tidemark_meta' AND COLUMN_NAME = 'job'") or ""
        return sum(int(self.db.target("SELECT COUNT(*) FROM tidemark_meta.%s WHERE job = '%s'" % (t, key)))
                   for t in tables.split(",") if t and t != "NULL")

    def test_delete_cleans_up_the_runner_through_the_finalizer(self):
        self.to_running()
        self.assertTrue(self.pods())
        key = "shop/" + self.job()["metadata"]["uid"]
        self.wait(lambda: self.meta_rows(key) > 0, "the job's checkpoints in tidemark_meta")
        self.c.kubectl("delete", "mj", "shop", "--timeout=90s", timeout=120)
        self.assertEqual(self.c.get_json("mj")["items"], [])
        self.assertEqual(self.pods(), [])
        self.wait(lambda: not [c for c in self.c.get_json("configmaps")["items"]
                               if c["metadata"]["name"].startswith("shop-")], "the manifest ConfigMaps to go")
        # The finalizer ran `forget` in a cleanup pod before the job went: nothing of it is left.
        self.assertEqual(self.meta_rows(key), 0)
        # Re-created under the same name: a new instance copies again (nothing "already finished").
        self.db.target("DROP DATABASE shop")
        self.apply_job()
        self.wait(lambda: self.db.target_count() == 200, "the re-created job's full copy", timeout=120)
        self.assertNotEqual("shop/" + self.job()["metadata"]["uid"], key)

    def test_a_job_in_another_namespace_migrates_reports_and_cleans_up_there(self):
        # The operator runs (and elects its leader) in "default"; the job, its Secrets and its
        # runner's ServiceAccount live in "team-a" only, and its runnerPod shapes the pod.
        self.start_databases()
        ns = "team-a"
        self.c.kubectl("create", "namespace", ns)
        self.c.kubectl("create", "serviceaccount", "tidemark-runner", "-n", ns)
        self.c.kubectl("create", "secret", "generic", "source-credentials", "-n", ns,
                       "--from-literal=username=migrator", "--from-literal=password=source-pw")
        self.c.kubectl("create", "secret", "generic", "target-credentials", "-n", ns,
                       "--from-literal=username=loader", "--from-literal=password=target-pw")
        manifest = JOB.format(name="shop", type="FullAndIncremental", flavor="MySQL" if MYSQL else "MariaDB",
                              source_port=self.db.source_port, target_port=self.db.target_port,
                              target_secret="target-credentials")
        manifest += "  runnerPod:\n    labels: {team: a}\n    annotations: {owner: dba-a}\n"
        self.c.kubectl("apply", "-n", ns, "-f", "-", stdin=manifest)

        def status():
            return self.c.get_json("mj", "shop", "-n", ns).get("status", {})

        self.wait(lambda: status().get("phase") == "Replicating" and self.db.target_count() == 200,
                  "the job in team-a to copy and replicate", timeout=150)
        self.db.source("INSERT INTO shop.orders (note) VALUES ('after the copy')")
        self.wait(lambda: self.db.target_count() == 201, "the change replayed", timeout=60)
        # The runner reported into its own job's status (in team-a) ...
        self.wait(lambda: status().get("incremental", {}).get("rowsApplied", 0) >= 1, "replay progress in status")
        self.assertTrue(status()["fullCopy"]["done"])
        # ... its pods ran there, shaped by the job's runnerPod; nothing ran in the operator's namespace.
        pods = self.c.get_json("pods", "-n", ns, "-l", "tidemark.dev/job=shop,tidemark.dev/role=run")["items"]
        self.assertTrue(pods)
        self.assertEqual(pods[0]["metadata"]["labels"]["team"], "a")
        self.assertEqual(pods[0]["metadata"]["annotations"]["owner"], "dba-a")
        self.assertEqual(self.c.get_json("pods", "-n", "default")["items"], [])
        self.assertIn("Replicating", self.c.kubectl("get", "mj", "-n", ns).stdout)
        # Deleting it cleans up in team-a: pods gone, checkpoints of this instance gone.
        key = "shop/" + self.c.get_json("mj", "shop", "-n", ns)["metadata"]["uid"]
        self.assertGreater(self.meta_rows(key), 0)
        self.c.kubectl("delete", "mj", "shop", "-n", ns, "--timeout=90s", timeout=120)
        self.assertEqual(self.c.get_json("pods", "-n", ns, "-l", "tidemark.dev/job=shop")["items"], [])
        self.assertEqual(self.meta_rows(key), 0)

    def test_cutover_reports_safe_and_holds_the_job_at_the_stop_position(self):
        self.to_running()
        self.wait_replicating()
        self.db.source("INSERT INTO shop.orders (note) VALUES ('last write before the switch')")
        self.wait(lambda: self.db.target_count() == 201, "the last write replayed", timeout=60)
        # The application has stopped writing: ask for the cutover.
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p",
                       '{"spec":{"cutover":{"token":"switch-1","quietSeconds":1}}}')
        w = self.c.kubectl("wait", "mj/shop", "--for=condition=CutoverReady", "--timeout=150s", timeout=180,
                           check=False)
        status = self.job()["status"]
        self.assertEqual(w.returncode, 0, w.stderr + json.dumps(status, indent=1) + self.operator_log()[-3000:])
        report = status["cutover"]
        self.assertEqual(report["state"], "Safe", report)
        self.assertEqual(status["cutoverToken"], "switch-1")
        self.assertEqual(report["rowsCompared"], 201)
        self.assertEqual(report["differences"], [])
        self.assertTrue(report["stopPosition"])
        # Independently of the report: source and target hold the same rows.
        digest = "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, note))) FROM shop.orders"
        self.assertEqual(self.db.source(digest), self.db.target(digest))
        self.assertIn("CutoverSafe", self.c.kubectl("describe", "mj", "shop").stdout)
        # Held at the stop position: the runner is gone and a later source write stays there.
        self.wait(lambda: self.phase() == "Paused" and not self.running_pod(), "the job held at the cutover")
        self.assertEqual(self.job()["status"]["stage"], "cutover")
        self.db.source("INSERT INTO shop.orders (note) VALUES ('written after the switch')")
        time.sleep(3)
        self.assertEqual(self.db.target_count(), 201, "nothing written after the cutover reaches the target")

    def test_kubectl_wait_for_condition_succeeded_on_a_full_job(self):
        self.start_databases()
        self.apply_job(type_="Full")
        w = self.c.kubectl("wait", "mj/shop", "--for=condition=Succeeded", "--timeout=120s", timeout=150, check=False)
        self.assertEqual(w.returncode, 0, w.stdout + w.stderr + "\n" + json.dumps(self.job().get("status"), indent=1)
                         + "\n" + self.operator_log()[-3000:])
        self.assertIn("condition met", w.stdout)
        job = self.job()
        self.assertEqual(job["status"]["phase"], "Succeeded")
        self.assertEqual(self.db.target_count(), 200)
        self.assertLessEqual(job["status"]["startTime"], job["status"]["completionTime"])
        failed = self.condition("shop", "Failed")
        self.assertEqual((failed["status"], failed["observedGeneration"]), ("False", job["metadata"]["generation"]))

    def test_delete_during_the_precheck(self):
        self.start_databases()
        self.apply_job()
        self.wait(lambda: self.pods(), "a runner pod")
        self.c.kubectl("delete", "mj", "shop", "--timeout=60s", timeout=90)
        self.assertEqual(self.pods(), [])

    def test_killed_runner_pod_is_replaced_and_nothing_is_lost(self):
        self.to_running()
        self.db.source("INSERT INTO shop.orders (note) VALUES " + ",".join("('more %d')" % i for i in range(50)))
        pod = self.wait(lambda: self.running_pod(), "a running runner pod")
        self.c.kubectl("delete", "pod", pod["metadata"]["name"], "--grace-period=0", "--wait=false")
        self.wait(lambda: (self.running_pod() or {}).get("metadata", {}).get("name") not in (None, pod["metadata"]["name"]),
                  "a replacement runner pod")
        self.db.source("INSERT INTO shop.orders (note) VALUES ('after the kill')")
        self.wait(lambda: self.db.target_count() == 251, "every row once in the target", timeout=120)
        self.assertEqual(self.db.target("SELECT COUNT(DISTINCT note) FROM shop.orders"), "251")
        self.assertGreaterEqual(self.job()["status"].get("restarts", 0), 1)

    def test_restart_after_an_error_replaces_conflicting_rows(self):
        self.to_running()
        # A row the target has and the source is about to write: replay stops on the duplicate key.
        self.db.target("INSERT INTO shop.orders (id, note) VALUES (5000, 'target only')")
        self.db.source("INSERT INTO shop.orders (id, note) VALUES (5000, 'from the source')")
        self.wait(lambda: self.phase() == "Failed", "Failed on the duplicate key", timeout=120)
        ready = self.condition("shop", "Ready")
        self.assertEqual(ready["status"], "False")
        self.assertIn("restartToken", ready["message"])
        self.assertIn("Failed", self.c.kubectl("describe", "mj", "shop").stdout)
        time.sleep(1)
        self.assertEqual(self.phase(), "Failed", "a non-retryable failure is not retried")
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"restartToken":"fix-1"}}')
        pod = self.wait(lambda: self.running_pod(), "the restarted runner")
        self.assertIn("--restart", pod["spec"]["containers"][0]["args"])
        self.wait(lambda: self.db.target("SELECT note FROM shop.orders WHERE id = 5000") == "from the source",
                  "the source's row to replace the target's", timeout=120)
        self.assertEqual(self.job()["status"]["restartToken"], "fix-1")
        self.assertIn(self.phase(), ("Copying", "Replicating"))

    def test_no_second_job_on_a_target_while_a_physical_copy_holds_it(self):
        self.start_databases()
        physical = JOB.format(name="bulk", type="FullAndIncremental", flavor="MySQL" if MYSQL else "MariaDB",
                              source_port=self.db.source_port,
                              target_port=self.db.target_port, target_secret="target-credentials")
        physical = physical.replace("capacity: 2", "capacity: 2\n  fullMode: Physical\n  paused: true")
        self.c.apply(physical)
        self.wait(lambda: self.phase("bulk") == "Paused", "the physical job paused before its copy")
        self.apply_job("shop")
        self.wait(lambda: self.condition("shop", "Ready").get("reason") == "TargetBusy", "TargetBusy")
        self.assertIn("bulk", self.condition("shop", "Ready")["message"])
        self.assertEqual(self.pods("shop"), [])
        self.assertEqual(self.phase("shop"), "Pending")
        # The physical job goes away: the waiting one starts.
        self.c.kubectl("delete", "mj", "bulk", "--timeout=60s", timeout=90)
        self.wait(lambda: self.phase("shop") in ("Prechecking", "Copying", "Replicating"), "the job to start")

    def test_examples_are_accepted_by_the_api_server(self):
        examples = os.path.join(REPO, "examples")
        for name in sorted(os.listdir(examples)):
            if name.endswith(".yaml"):
                p = self.c.kubectl("apply", "--dry-run=server", "-f", os.path.join(examples, name), check=False)
                self.assertEqual(p.returncode, 0, "%s: %s" % (name, p.stderr))

    def test_leader_election_hands_over_to_a_standby(self):
        lease = lambda: self.c.get_json("lease", "tidemark-operator", "-n", "default")["spec"].get("holderIdentity")
        first = self.wait(lambda: self.c.kubectl("get", "lease", "tidemark-operator", "-n", "default",
                                                 check=False).returncode == 0 and lease(), "a leader")
        self.assertTrue(first.endswith("_%d" % self.op.pid), "the operator leads: " + first)
        standby_log = open(os.path.join(self.c.dir, "standby.log"), "w+")
        standby = subprocess.Popen([OPERATOR, "--kubeconfig", self.c.kubeconfig, "--metrics-addr", "127.0.0.1:0",
                                    "--runner-image", "tidemark:dev", "--leader-election-namespace", "default",
                                    "--log-format", "text"],
                                   stdout=standby_log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            time.sleep(1)
            self.assertTrue(lease().endswith("_%d" % self.op.pid), "the standby waits")
            self.op.send_signal(signal.SIGTERM)
            self.op.wait(15)
            self.wait(lambda: lease() and lease().endswith("_%d" % standby.pid), "the standby to take the lease",
                      timeout=30)
            # The new leader runs jobs.
            self.apply_job("after-handover")
            self.wait(lambda: self.pods("after-handover"), "the new leader to start a runner pod")
        finally:
            stop_process(standby, 15)
            standby_log.close()

    def wait_replicating(self):
        # The runner reports its copy's end into the status; only then is the job Replicating.
        self.wait(lambda: self.phase() == "Replicating", "phase Replicating", timeout=30)

    def test_scale_while_replicating_restarts_the_runner_with_the_new_size(self):
        self.to_running()
        self.wait_replicating()
        self.assertEqual(self.condition("shop", "FullCopyComplete").get("status"), "True")
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"capacity":4}}')
        pod = self.wait(lambda: (lambda p: p if p and p["metadata"]["annotations"]["tidemark.dev/capacity"] == "4"
                                 else None)(self.running_pod()), "a runner pod with the new size")
        self.assertEqual(pod["metadata"]["annotations"]["tidemark.dev/capacity"], "4")
        self.assertEqual(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"], "2000m")
        self.wait(lambda: self.job()["status"]["capacity"]["current"] == 4, "status.capacity.current 4")
        self.wait(lambda: self.condition("shop", "CapacityApplied").get("status") == "True", "CapacityApplied")
        self.db.source("INSERT INTO shop.orders (note) VALUES ('after scaling')")
        self.wait(lambda: self.db.target_count() == 201, "replay after scaling", timeout=120)
        out = self.c.kubectl("describe", "mj", "shop").stdout
        self.assertIn("Scaling", out)
        self.assertIn("Scaled", out)
        self.assertEqual(self.job()["status"].get("restarts", 0), 0, "scaling is not a failure restart")

    def test_two_sources_merge_into_one_table_with_status_per_source(self):
        # Two sandboxes: the first's source and target, and the second's source (its target idles).
        self.start_databases()
        second = Databases()
        try:
            self.c.apply("""
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata:
  name: merge
spec:
  sources:
    - {{id: east, flavor: {flavor}, host: 127.0.0.1, port: {east}, credentialsSecret: {{name: source-credentials}}}}
    - {{id: west, flavor: {flavor}, host: 127.0.0.1, port: {west}, credentialsSecret: {{name: source-credentials}}}}
  target: {{host: 127.0.0.1, port: {target}, credentialsSecret: {{name: target-credentials}}}}
  objects: {{include: [{{database: shop}}]}}
  routes:
    - {{database: shop, table: orders, targetDatabase: merged, targetTable: orders,
       extraColumns: [{{column: src, value: source}}]}}
  precheck: {{ignoreWarnings: true}}
""".format(flavor="MySQL" if MYSQL else "MariaDB", east=self.db.source_port, west=second.source_port,
           target=self.db.target_port))
            count = lambda where="": self.db.target("SELECT COUNT(*) FROM merged.orders" + where)
            self.wait(lambda: self._try(count) == "400", "both sources' rows in the merged table", timeout=120)
            second.source("INSERT INTO shop.orders (note) VALUES ('west after the copy')")
            self.wait(lambda: self._try(lambda: count(" WHERE src = 'west'")) == "201", "replay of the second source",
                      timeout=120)
            self.wait(lambda: set(self.job("merge").get("status", {}).get("sources", {})) == {"east", "west"},
                      "status per source")
            self.wait(lambda: self.phase("merge") == "Replicating", "phase Replicating")
            # Steady progress reaches the API server at most every 10 s.
            incremental = lambda: self.job("merge")["status"].get("incremental", {})
            self.wait(lambda: "merged.orders" in incremental().get("tables", {}), "progress per routed table")
            self.wait(lambda: "east " in incremental().get("appliedPosition", "") and
                      "west " in incremental().get("appliedPosition", ""), "each source's position")
            pod = self.running_pod("merge")
            self.assertEqual(len(self.pods("merge", "run")), 1)  # one runner reads both sources
            self.assertIsNotNone(pod)
        finally:
            second.stop()

    def _try(self, query):
        try:
            return query()
        except AssertionError:
            return None

    def test_replicating_job_reports_progress_and_synced(self):
        self.to_running()
        self.wait_replicating()
        self.wait(lambda: self.condition("shop", "Synced").get("status") == "True", "Synced", timeout=60)
        out = self.c.kubectl("get", "mj", "shop").stdout
        self.assertRegex(out, r"shop\s+Replicating\s+\S+\s+True\s+lag")
        self.assertIsNotNone(self.job()["status"]["incremental"].get("lagSeconds"))

    def test_runner_killed_mid_copy_is_replaced_and_the_copy_completes_exactly(self):
        self.start_databases(rows=400000)
        self.apply_job()
        pod = self.wait(lambda: self.running_pod(), "the runner to start copying", timeout=60)
        time.sleep(0.3)
        copied = self.db.target_count()
        self.c.kubectl("delete", "pod", pod["metadata"]["name"], "--grace-period=0", "--wait=false")
        self.wait(lambda: (self.running_pod() or {}).get("metadata", {}).get("name") not in (None, pod["metadata"]["name"]),
                  "a replacement runner pod")
        self.wait(lambda: self.db.target_count() == 400000, "every row in the target", timeout=240)
        digest = "SELECT COUNT(DISTINCT id), SUM(id), SUM(CRC32(note)) FROM shop.orders"
        self.assertEqual(self.db.target(digest), self.db.source(digest), "the target holds the source's rows, once")
        print("rows in the target when the runner was killed: %d" % copied)

    def test_delete_during_the_copy_cleans_up(self):
        self.start_databases(rows=400000)
        self.apply_job()
        self.wait(lambda: self.running_pod(), "the runner to start copying", timeout=60)
        self.c.kubectl("delete", "mj", "shop", "--timeout=60s", timeout=90)
        self.assertEqual(self.c.get_json("mj")["items"], [])
        self.assertEqual(self.pods(), [])
        n = self.db.target_count()
        time.sleep(1)
        self.assertEqual(self.db.target_count(), n, "nothing writes after the job is gone")

    def test_scale_during_the_snapshot_export_is_refused(self):
        self.start_databases(rows=400000)
        self.apply_job()
        pod = self.wait(lambda: self.running_pod(), "the runner to start copying", timeout=60)
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"capacity":8}}')
        cond = self.wait(lambda: (lambda c: c if c.get("reason") == "ScaleRefused" else None)(
            self.condition("shop", "CapacityApplied")), "the scale to be refused", timeout=30)
        self.assertEqual(cond["status"], "False")
        self.assertIn("snapshot export", cond["message"])
        # The export may end (and the scale then apply) at any moment: read the pods first, then
        # the status; if the status still shows the export running, the pods were read during it.
        running = self.running_pod()
        status = self.job()["status"]
        if status.get("fullCopy", {}).get("percent", 0) < 100:
            self.assertEqual(status["capacity"]["current"], 2, "the old capacity is kept")
            self.assertIsNotNone(running, "the runner keeps running")
            self.assertEqual(running["metadata"]["name"], pod["metadata"]["name"], "the runner was not restarted")
        self.assertIn("ScaleRefused", self.c.kubectl("describe", "mj", "shop").stdout)
        self.wait_replicating()
        # Once the export is done the new capacity applies.
        self.wait(lambda: self.job()["status"]["capacity"]["current"] == 8, "capacity 8 after the export", timeout=60)


class OperatorLimitsE2E(OperatorE2E):
    operator_args = ("--max-jobs-per-namespace", "1")

    def test_the_job_over_the_namespace_limit_gets_a_condition_and_does_nothing(self):
        self.apply_job("first")
        self.wait(lambda: self.pods("first"), "the first job's precheck pod")
        time.sleep(0.5)
        self.apply_job("second")
        self.wait(lambda: self.condition("second", "Validated").get("reason") == "TooManyJobs", "TooManyJobs")
        self.assertIn("limit", self.condition("second", "Validated")["message"])
        self.assertEqual(self.pods("second"), [])
        self.assertEqual(self.phase("second"), "Pending")
        # The older job goes: the next one starts.
        self.c.kubectl("delete", "mj", "first", "--timeout=60s", timeout=90)
        self.wait(lambda: self.pods("second"), "the second job's precheck pod")

    # The inherited tests run with the default limit only.
    test_apply_prechecks_then_copies_and_replicates = None
    test_invalid_manifest_is_refused_naming_the_field = None
    test_failed_precheck_shows_its_items_in_describe = None
    test_recheck_token_reruns_the_precheck = None
    test_pause_and_resume = None
    test_delete_cleans_up_the_runner_through_the_finalizer = None
    test_delete_during_the_precheck = None
    test_killed_runner_pod_is_replaced_and_nothing_is_lost = None
    test_restart_after_an_error_replaces_conflicting_rows = None
    test_no_second_job_on_a_target_while_a_physical_copy_holds_it = None
    test_examples_are_accepted_by_the_api_server = None
    test_leader_election_hands_over_to_a_standby = None
    test_scale_while_replicating_restarts_the_runner_with_the_new_size = None
    test_replicating_job_reports_progress_and_synced = None
    test_runner_killed_mid_copy_is_replaced_and_the_copy_completes_exactly = None
    test_delete_during_the_copy_cleans_up = None
    test_scale_during_the_snapshot_export_is_refused = None


class OperatorPodTroubleE2E(unittest.TestCase):
    """Runner pods that cannot be created or cannot start: each case reaches the job (a Ready
    condition with the reason, an Event, status.lastError) while the dev cluster's API server and
    kubelet behave as real ones do. No database is needed: the runner never gets that far, or a
    stand-in runner script plays the part."""

    def start(self, operator_args=(), bin_dir=True, service_account=True):
        self.c = Cluster(extra_args=("--bin-dir", BUILD) if bin_dir else ())
        self.addCleanup(self.c.stop)
        if service_account:
            self.c.kubectl("create", "serviceaccount", "tidemark-runner")
        self.op_log = open(os.path.join(self.c.dir, "operator.log"), "w+")
        self.op = subprocess.Popen([OPERATOR, "--kubeconfig", self.c.kubeconfig, "--metrics-addr", "127.0.0.1:0",
                                    "--runner-image", "tidemark:dev", "--retry-base", "1", "--no-leader-elect",
                                    "--log-format", "text", *operator_args],
                                   stdout=self.op_log, stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(self.op_log.close)
        self.addCleanup(stop_process, self.op, 15)

    def apply_job(self, namespace="default", target_secret="target-credentials"):
        self.c.kubectl("apply", "-n", namespace, "-f", "-", stdin=JOB.format(
            name="shop", type="FullAndIncremental", flavor="MariaDB", source_port=3306, target_port=4000,
            target_secret=target_secret))

    def create_secrets(self, namespace="default"):
        for name in ("source-credentials", "target-credentials"):
            self.c.kubectl("create", "secret", "generic", name, "-n", namespace,
                           "--from-literal=username=u", "--from-literal=password=p")

    def ready(self, namespace="default"):
        p = self.c.kubectl("get", "mj", "shop", "-n", namespace, "-o", "json", check=False)
        if p.returncode != 0:
            return {}
        for c in json.loads(p.stdout).get("status", {}).get("conditions", []):
            if c["type"] == "Ready":
                return c
        return {}

    def wait_reason(self, reason, namespace="default", timeout=30):
        def details():
            self.op_log.flush()
            return "--- operator log:\n%s\n--- describe:\n%s" % (
                read(self.op_log.name)[-4000:],
                self.c.kubectl("describe", "mj", "shop", "-n", namespace, check=False).stdout[-4000:])
        return self.c.wait_for(lambda: (lambda c: c if c.get("reason") == reason else None)(self.ready(namespace)),
                               "Ready=False reason " + reason, timeout, interval=0.25, details=details)

    def status(self, namespace="default"):
        return self.c.get_json("mj", "shop", "-n", namespace).get("status", {})

    def described(self, namespace="default"):
        return self.c.kubectl("describe", "mj", "shop", "-n", namespace).stdout

    def test_missing_secret_names_the_secret_and_the_spec_field(self):
        self.start()
        self.create_secrets()
        self.apply_job(target_secret="tidb-credentials")  # misnamed: no such Secret
        cond = self.wait_reason("SecretMissing")
        self.assertEqual(cond["status"], "False")
        self.assertIn("Secret tidb-credentials not found in namespace default", cond["message"])
        self.assertIn("spec.target.credentialsSecret", cond["message"])
        error = self.status()["lastError"]
        self.assertEqual((error["reason"], error["retryable"]), ("SecretMissing", True))
        out = self.described()
        self.assertIn("SecretMissing", out)   # the Event
        self.assertNotIn("password=p", out)
        self.assertEqual(self.status()["phase"], "Prechecking")
        # Fixed by creating the Secret: the kubelet mounts it and the runner starts.
        self.c.kubectl("create", "secret", "generic", "tidb-credentials",
                       "--from-literal=username=u", "--from-literal=password=p")
        self.c.wait_for(lambda: self.ready().get("reason") != "SecretMissing", "the job to move on", 30,
                        interval=0.25)

    def test_missing_secret_key_names_the_key(self):
        self.start()
        self.create_secrets()
        self.c.kubectl("create", "secret", "generic", "no-password", "--from-literal=username=u")
        self.apply_job(target_secret="no-password")
        cond = self.wait_reason("SecretMissing")
        self.assertIn("lacks key password", cond["message"])
        self.assertIn("no-password (spec.target.credentialsSecret", cond["message"])

    def test_missing_service_account_is_retried_and_reported(self):
        self.start(service_account=False)
        self.create_secrets()
        self.apply_job()
        cond = self.wait_reason("ServiceAccountMissing")
        self.assertIn('serviceaccount "tidemark-runner" not found', cond["message"])
        self.assertIn("create ServiceAccount tidemark-runner in namespace default", cond["message"])
        self.assertIn("ServiceAccountMissing", self.described())
        self.assertGreaterEqual(self.status()["lastError"]["attempts"], 1)
        self.assertEqual(self.c.get_json("pods")["items"], [])
        # Created: a later retry (with backoff) gets the pod in.
        self.c.kubectl("create", "serviceaccount", "tidemark-runner")
        self.c.wait_for(lambda: self.c.get_json("pods", "-l", "tidemark.dev/job=shop")["items"],
                        "the runner pod after the ServiceAccount appears", 30, interval=0.25)

    def test_image_that_cannot_be_pulled_is_named(self):
        self.start(operator_args=("--runner-image", "registry.invalid/tidemrak:1"))  # a typo
        self.create_secrets()
        self.apply_job()
        cond = self.wait_reason("ImagePullFailed")
        self.assertIn("cannot pull image registry.invalid/tidemrak:1", cond["message"])
        self.assertIn("--runner-image", cond["message"])
        self.assertEqual(self.status()["lastError"]["reason"], "ImagePullFailed")

    def test_missing_runner_binary_fails_the_job_with_the_reason(self):
        self.start(bin_dir=False)  # the dev cluster finds no tidemark-runner
        self.create_secrets()
        self.apply_job()
        cond = self.wait_reason("RunnerNotStarted")
        self.assertIn('exec: "tidemark-runner": executable file not found in $PATH', cond["message"])
        self.c.wait_for(lambda: self.status().get("phase") == "Failed", "phase Failed", 10)
        self.assertFalse(self.status()["lastError"]["retryable"])
        self.assertIn("RunnerNotStarted", self.described())

    def test_oom_killed_runner_names_the_limit_and_is_retried(self):
        self.start()
        # A stand-in runner that writes 1.2 GiB (resident) against capacity 2's limit of 1024Mi.
        self.c.add_binary("tidemark-runner", "#!/usr/bin/python3\nimport time\nb = b'x' * (1228 << 20)\n"
                                             "time.sleep(60)\n")
        self.create_secrets()
        self.apply_job()
        cond = self.wait_reason("OOMKilled")
        self.assertIn("memory limit 1024Mi", cond["message"])
        self.assertIn("raise spec.capacity", cond["message"])
        self.assertTrue(self.status()["lastError"]["retryable"])
        self.assertIn("OOMKilled", self.described())
        # Retried: a second precheck pod follows the first.
        self.c.wait_for(lambda: self.status().get("lastError", {}).get("attempts", 0) >= 2,
                        "a retry that is OOM-killed again", 60, interval=0.5)

    def test_evicted_runner_is_retried(self):
        self.start()
        self.c.add_binary("tidemark-runner", "#!/bin/sh\nexec sleep 120\n")
        self.create_secrets()
        self.apply_job()
        pod = self.c.wait_for(lambda: [p for p in self.c.get_json("pods", "-l", "tidemark.dev/job=shop")["items"]
                                       if p["status"].get("phase") == "Running"], "a running runner pod", 30,
                              interval=0.25)[0]
        name = pod["metadata"]["name"]
        self.c.kubectl("annotate", "pod", name, "devcluster.tidemark.dev/evict=The node was low on resource: memory.")
        # The retry may come before a look at the Ready condition: lastError and the Events keep it.
        error = self.c.wait_for(lambda: (lambda e: e if e.get("reason") == "Evicted" else None)(
            self.status().get("lastError", {})), "lastError Evicted", 30, interval=0.25)
        self.assertIn("evicted by its node: The node was low on resource: memory.", error["message"])
        self.assertTrue(error["retryable"])
        self.assertIn("was evicted by its node", self.described())
        self.assertNotEqual(self.status().get("phase"), "Failed")
        self.c.wait_for(lambda: [p for p in self.c.get_json("pods", "-l", "tidemark.dev/job=shop")["items"]
                                 if p["metadata"]["name"] != name and p["status"].get("phase") == "Running"],
                        "a new runner pod after the eviction", 30, interval=0.25)

    def test_runner_pods_pass_pod_security_restricted(self):
        self.start()
        self.c.add_binary("tidemark-runner", "#!/bin/sh\nexec sleep 120\n")
        self.c.kubectl("create", "namespace", "hardened")
        self.c.kubectl("label", "namespace", "hardened", "pod-security.kubernetes.io/enforce=restricted")
        self.c.kubectl("create", "serviceaccount", "tidemark-runner", "-n", "hardened")
        self.create_secrets("hardened")
        self.apply_job("hardened")
        self.c.wait_for(lambda: [p for p in self.c.get_json("pods", "-n", "hardened")["items"]
                                 if p["status"].get("phase") == "Running"], "the runner pod admitted and running",
                        30, interval=0.25)
        self.assertNotIn("PodRejected", self.described("hardened"))


class OperatorNamespacesE2E(unittest.TestCase):
    def test_watches_only_the_namespaces_it_is_told(self):
        c = Cluster(extra_args=("--bin-dir", BUILD))
        log = open(os.path.join(c.dir, "operator.log"), "w+")
        op = subprocess.Popen([OPERATOR, "--kubeconfig", c.kubeconfig, "--metrics-addr", "0", "--no-leader-elect",
                               "--runner-image", "tidemark:dev", "--namespace", "team-a,team-b"],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for ns in ("team-a", "team-c"):
                c.kubectl("create", "namespace", ns)
                c.kubectl("apply", "-n", ns, "-f", "-", stdin=JOB.format(
                    name="shop", type="FullAndIncremental", flavor="MariaDB", source_port=3306, target_port=4000,
                    target_secret="t"))
            c.wait_for(lambda: c.get_json("mj", "shop", "-n", "team-a").get("status", {}).get("phase"),
                       "team-a's job to be picked up", timeout=30)
            time.sleep(2)
            self.assertNotIn("status", c.get_json("mj", "shop", "-n", "team-c"), "team-c is not watched")
        finally:
            stop_process(op, 15)
            log.close()
            c.stop()


if __name__ == "__main__":
    missing = prerequisites_missing()
    for path in (OPERATOR, RUNNER, SANDBOX, MARIADB):
        if not missing and not os.access(path, os.X_OK):
            missing = "%s is not built (set TIDEMARK_BUILD_DIR)" % path
    if missing:
        print("SKIPPED: " + missing)
        sys.exit(SKIP)
    unittest.main(verbosity=2)

