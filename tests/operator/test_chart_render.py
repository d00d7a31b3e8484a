"""Renders charts/tidemark with the real Helm and checks every object against the Kubernetes
schemas (tests/operator/validate_manifests.mjs), so a template typo fails here rather than in
a user's install. Helm v4 and the schemas come from hack/install-chart-tools.sh (the npm
registry); without them this test exits 77 (skipped), except in CI, where it fails.

Also: values.schema.json is enforced by Helm itself, monitoring resources fail with a clear
message on a cluster without the Prometheus operator's API, and the operator accepts every
flag the chart passes it (the runner pod template included)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(REPO, "charts", "tidemark")
BUILD = os.path.abspath(os.environ.get("TIDEMARK_BUILD_DIR", os.path.join(REPO, "build")))
TOOLS = os.environ.get("TIDEMARK_CHART_TOOLS") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "tidemark", "chart-tools")
HELM = os.path.join(TOOLS, "bin", "helm")
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validate_manifests.mjs")
PROMQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_promql.mjs")
# Grafana's variables, as Grafana substitutes them before Prometheus sees a query.
GRAFANA_VARIABLES = {"$__rate_interval": "2m", "$__interval": "1m", "$__range": "6h"}
MONITORING = ["--api-versions", "monitoring.coreos.com/v1"]

# Everything switched on, with a runner pod template using every field.
EVERYTHING = {
    "imagePullSecrets": [{"name": "regcred"}],
    "watchNamespaces": ["shop", "crm"],
    "operator": {"podLabels": {"team": "dba"}, "tolerations": [{"key": "k", "operator": "Exists"}],
                 "nodeSelector": {"disktype": "ssd"}, "priorityClassName": "system-cluster-critical"},
    "metrics": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "podMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True, "binlogRetentionHours": 168},
        "dashboard": {"enabled": True, "namespace": "monitoring"},
    },
    "runner": {"pod": {
        "imagePullSecrets": [{"name": "mirror"}],
        "nodeSelector": {"pool": "migrations"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                               "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "tidemark-runner"}}}}]}},
        "priorityClassName": "batch",
        "labels": {"cost-center": "42"},
        "annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
        "resourcesPerCapacityUnit": {"cpuRequest": "250m", "cpuLimit": "", "memoryRequest": "1Gi", "memoryLimit": "1Gi"},
    }},
}


def helm(*args, values=None):
    cmd = [HELM, "template", "tm", CHART, "--namespace", "tidemark", *args]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        if values is not None:
            yaml.safe_dump(values, f)
            f.flush()
            cmd += ["-f", f.name]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def objects(text):
    return [d for d in yaml.safe_load_all(text) if d]


class ChartRenderTest(unittest.TestCase):
    def render(self, *args, values=None):
        p = helm(*args, values=values)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def assertValid(self, text):
        p = subprocess.run(["node", VALIDATOR, TOOLS], input=text, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "the rendered chart breaks the Kubernetes schemas:\n" + p.stdout + p.stderr)
        return p.stdout

    def test_lint_passes(self):
        p = subprocess.run([HELM, "lint", CHART, "--strict"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_default_render_passes_the_kubernetes_schemas(self):
        text = self.render()
        self.assertIn("objects valid", self.assertValid(text))
        kinds = {o["kind"] for o in objects(text)}
        self.assertTrue({"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service"} <= kinds)
        self.assertFalse(kinds & {"ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap"}, "off by default")

    def test_everything_on_passes_the_kubernetes_and_prometheus_operator_schemas(self):
        text = self.render(*MONITORING, values=EVERYTHING)
        self.assertValid(text)
        objs = objects(text)
        kinds = [o["kind"] for o in objs]
        for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap", "Role", "RoleBinding"):
            self.assertIn(kind, kinds)
        pm = next(o for o in objs if o["kind"] == "PodMonitor")
        self.assertEqual(pm["spec"]["namespaceSelector"], {"matchNames": ["shop", "crm"]})
        self.assertEqual(pm["spec"]["selector"]["matchLabels"]["tidemark.dev/role"], "run")
        sm = next(o for o in objs if o["kind"] == "ServiceMonitor")
        self.assertEqual(sm["metadata"]["labels"]["release"], "kube-prometheus-stack")
        self.assertTrue(sm["spec"]["endpoints"][0]["honorLabels"], "a job's namespace label must survive the scrape")
        rules = next(o for o in objs if o["kind"] == "PrometheusRule")
        alerts = {r["alert"]: r for g in rules["spec"]["groups"] for r in g["rules"]}
        self.assertIn("> 302400", alerts["TidemarkBinlogPositionNearPurge"]["expr"])  # half of 168 h
        self.assertIn("{{ $labels.migrationjob }}", alerts["TidemarkMigrationJobFailed"]["annotations"]["summary"])
        dash = next(o for o in objs if o["kind"] == "ConfigMap")
        self.assertEqual(dash["metadata"]["namespace"], "monitoring")
        self.assertEqual(dash["metadata"]["labels"]["grafana_dashboard"], "1")
        with open(os.path.join(CHART, "dashboards", "tidemark.json")) as f:
            self.assertEqual(json.loads(dash["data"]["tidemark.json"]), json.load(f))

    def test_alert_and_dashboard_queries_parse_as_promql(self):
        objs = objects(self.render(*MONITORING, values=EVERYTHING))
        rules = next(o for o in objs if o["kind"] == "PrometheusRule")
        exprs = [{"name": r["alert"], "expr": r["expr"]} for g in rules["spec"]["groups"] for r in g["rules"]]
        dash = json.loads(next(o for o in objs if o["kind"] == "ConfigMap")["data"]["tidemark.json"])
        for panel in dash["panels"]:
            for t in panel["targets"]:
                expr = t["expr"]
                for var, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(var, value)
                exprs.append({"name": "dashboard: " + panel["title"], "expr": expr})
        self.assertGreater(len(exprs), 15)
        p = subprocess.run(["node", PROMQL, TOOLS], input=json.dumps(exprs), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_binlog_purge_alert_only_with_a_retention(self):
        values = {"metrics": {"prometheusRule": {"enabled": True}}}
        self.assertNotIn("TidemarkBinlogPositionNearPurge", self.render(*MONITORING, values=values))

    def test_monitoring_without_the_prometheus_operator_fails_clearly(self):
        for key in ("serviceMonitor", "podMonitor", "prometheusRule"):
            p = helm(values={"metrics": {key: {"enabled": True}}})
            self.assertNotEqual(p.returncode, 0, key)
            self.assertIn("metrics.%s.enabled is set, but this cluster has no monitoring.coreos.com/v1 API" % key,
                          p.stderr)

    def test_helm_enforces_the_values_schema(self):
        for values, path in (({"replicas": 2}, ""), ({"runner": {"pod": {"nodeSelectr": {}}}}, "/runner/pod"),
                             ({"maxJobsPerNamespace": "many"}, "/maxJobsPerNamespace")):
            p = helm(values=values)
            self.assertNotEqual(p.returncode, 0, values)
            self.assertIn("values don't meet the specifications of the schema", p.stderr)
            self.assertIn("'%s'" % path if path else "additional properties 'replicas'", p.stderr)

    def test_aggregated_roles_render(self):
        roles = {o["metadata"]["name"]: o for o in objects(self.render()) if o["kind"] == "ClusterRole"}
        view, edit = roles["tm-tidemark-view"], roles["tm-tidemark-edit"]
        self.assertEqual(view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"], "true")
        self.assertEqual(edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"], "true")
        off = self.render("--set", "rbac.aggregateToDefaultRoles=false")
        self.assertNotIn("aggregate-to-view", off)

    def test_the_operator_accepts_every_flag_the_chart_passes(self):
        binary = os.path.join(BUILD, "operator", "tidemark-operator")
        if not os.access(binary, os.X_OK):
            self.skipTest("tidemark-operator is not built")
        for values in (None, EVERYTHING):
            deploy = next(o for o in objects(self.render(*MONITORING, values=values)) if o["kind"] == "Deployment")
            args = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
            template = json.loads(next(a for a in args if a.startswith("--runner-pod-template="))
                                  .split("=", 1)[1])
            if values is EVERYTHING:
                # Chart-wide pull secrets come first, then the runner's own.
                self.assertEqual(template["imagePullSecrets"], [{"name": "regcred"}, {"name": "mirror"}])
                self.assertEqual(template["resourcesPerCapacityUnit"]["cpuLimit"], "")
            p = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, "tidemark-operator refuses the chart's flags: " + p.stderr)


if __name__ == "__main__":
    if not os.access(HELM, os.X_OK):
        msg = "test_chart_render: no Helm in %s (run hack/install-chart-tools.sh)" % TOOLS
        if os.environ.get("CI") == "true":
            sys.exit(msg)
        print(msg + "; skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
