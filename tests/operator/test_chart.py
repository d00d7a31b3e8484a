"""Static checks of charts/tidemark, without rendering it (test_chart_render.py renders it with
Helm): the chart is well formed, every value a template reads exists, values.schema.json
rejects unknown and mistyped values, the operator's flags exist, RBAC is least-privilege (the
runner may only get and patch migrationjobs/status; nobody reads Secrets) and aggregates into
the built-in view/edit/admin roles, and the alerts and dashboard use only metric names the
binaries serve."""
import copy
import json
import os
import re
import subprocess
import sys
import unittest

import yaml

try:
    import jsonschema
except ImportError:  # hack/install-deps.sh installs python3-jsonschema
    jsonschema = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(REPO, "charts", "tidemark")
BUILD = os.path.abspath(os.environ.get("TIDEMARK_BUILD_DIR", os.path.join(REPO, "build")))


def read(*parts):
    with open(os.path.join(CHART, *parts)) as f:
        return f.read()


def templates():
    d = os.path.join(CHART, "templates")
    return {n: read("templates", n) for n in sorted(os.listdir(d))}


def metric_names():
    """Every metric family the operator and the runner serve (runner/status/prometheus.h)."""
    with open(os.path.join(REPO, "runner", "status", "prometheus.h")) as f:
        return set(re.findall(r'Family k\w+\{"(tidemark_[a-z_]+)"', f.read()))


def used_metric_names(text):
    return set(re.findall(r"\b(tidemark_[a-z_]+)\b", text))


def static_yaml(template):
    """A template as YAML without rendering: lines that are only an action dropped, the rest's
    actions replaced by "x"."""
    lines = [l for l in template.splitlines() if not re.fullmatch(r"\s*\{\{.*\}\}\s*", l)]
    return re.sub(r"\{\{.*?\}\}", "x", "\n".join(lines))


def schema():
    with open(os.path.join(CHART, "values.schema.json")) as f:
        return json.load(f)


def values():
    return yaml.safe_load(read("values.yaml"))


class ChartTest(unittest.TestCase):
    def test_chart_yaml(self):
        chart = yaml.safe_load(read("Chart.yaml"))
        self.assertEqual(chart["apiVersion"], "v2")
        self.assertEqual(chart["name"], "tidemark")
        self.assertRegex(chart["version"], r"^\d+\.\d+\.\d+")
        self.assertIn("appVersion", chart)

    def test_crd_is_the_one_in_crds(self):
        with open(os.path.join(REPO, "crds", "migrationjob.yaml")) as f:
            self.assertEqual(read("crds", "migrationjob.yaml"), f.read())

    def test_every_value_a_template_reads_exists(self):
        vals = values()
        for name, text in templates().items():
            paths = re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text)
            # Variables bound to a part of the values: {{- $m := .Values.metrics }} ... $m.port
            for var, base in re.findall(r"\$(\w+) := \.Values\.([A-Za-z0-9_.]+)\s*\}\}", text):
                paths += [base + "." + rest for rest in re.findall(r"\$%s\.([A-Za-z0-9_.]+)" % var, text)]
            for path in paths:
                node = vals
                for part in path.split("."):
                    self.assertIsInstance(node, dict, "%s: .Values.%s" % (name, path))
                    self.assertIn(part, node, "%s reads .Values.%s, which values.yaml lacks" % (name, path))
                    node = node[part]

    def test_values_yaml_passes_its_schema(self):
        self.assertIsNotNone(jsonschema, "python3-jsonschema is missing: run hack/install-deps.sh")
        jsonschema.Draft7Validator.check_schema(schema())
        jsonschema.Draft7Validator(schema()).validate(values())

    def test_schema_rejects_unknown_and_mistyped_values(self):
        self.assertIsNotNone(jsonschema, "python3-jsonschema is missing: run hack/install-deps.sh")
        validator = jsonschema.Draft7Validator(schema())
        bad = {
            "an unknown top-level key": lambda v: v.update(replicas=2),
            "a misspelt nested key": lambda v: v["metrics"]["serviceMonitor"].update(enable=True),
            "a misspelt runner pod key": lambda v: v["runner"]["pod"].update(nodeSelectr={"a": "b"}),
            "a string for an integer": lambda v: v.update(maxJobsPerNamespace="200"),
            "a string for a boolean": lambda v: v["rbac"].update(create="yes"),
            "an unknown log level": lambda v: v["operator"].update(logLevel="verbose"),
            "a bad duration": lambda v: v["metrics"]["prometheusRule"].update(lagFor="10 minutes"),
            "a bad quantity per unit": lambda v: v["runner"]["pod"]["resourcesPerCapacityUnit"].update(cpuRequest="1e3"),
            "an operator-owned runner label": lambda v: v["runner"]["pod"]["labels"].update({"tidemark.dev/job": "x"}),
            "a pull secret as a bare string": lambda v: v.update(imagePullSecrets=["regcred"]),
            "an unknown toleration key": lambda v: v["runner"]["pod"].update(tolerations=[{"keys": "a"}]),
            "an unknown security context key": lambda v: v["securityContext"].update(runAsNonroot=True),
            "a number for a label value": lambda v: v["operator"].update(podLabels={"tier": 1}),
        }
        for what, change in bad.items():
            v = copy.deepcopy(values())
            change(v)
            self.assertFalse(validator.is_valid(v), "the schema accepts %s" % what)

    def test_schema_closes_every_object(self):
        # additionalProperties at every level: false for fixed fields, a value schema for maps.
        def walk(node, path):
            if isinstance(node, dict):
                if node.get("type") == "object" or "properties" in node:
                    self.assertIn("additionalProperties", node, "%s is open to unknown keys" % path)
                for k, v in node.items():
                    walk(v, path + "/" + k)
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s[%d]" % (path, i))
        walk(schema(), "")

    def test_every_value_in_the_schema_has_a_default(self):
        def walk(node, vals, path):
            for key, sub in node.get("properties", {}).items():
                if key in ("podSecurityContext", "securityContext"):
                    continue  # Kubernetes' own fields: the chart sets the ones it needs
                self.assertIn(key, vals, "values.yaml lacks %s%s, which the schema allows" % (path, key))
                if "properties" in sub and isinstance(vals[key], dict):
                    walk(sub, vals[key], path + key + ".")
        walk(schema(), values(), "")

    def test_template_blocks_are_balanced(self):
        for name, text in templates().items():
            opens = len(re.findall(r"\{\{-?\s*(if|range|with|define)\b", text))
            ends = len(re.findall(r"\{\{-?\s*end\s*-?\}\}", text))
            self.assertEqual(opens, ends, name)

    def test_values_cover_what_the_issue_asks(self):
        values = yaml.safe_load(read("values.yaml"))
        for key in ("image", "operator", "watchNamespaces", "leaderElection", "metrics", "maxJobsPerNamespace",
                    "runner", "serviceAccount", "rbac"):
            self.assertIn(key, values)
        self.assertEqual(values["maxJobsPerNamespace"], 200)
        self.assertIn("resources", values["operator"])
        self.assertIn("NOTES.txt", templates())

    def test_operator_flags_exist(self):
        binary = os.path.join(BUILD, "operator", "tidemark-operator")
        if not os.access(binary, os.X_OK):
            self.skipTest("tidemark-operator is not built")
        usage = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        for flag in set(re.findall(r'- "?(--[a-z-]+)', templates()["deployment.yaml"]) +
                        re.findall(r'"(--[a-z-]+)=%s"', templates()["deployment.yaml"])):
            self.assertIn(flag, usage, "deployment.yaml passes %s" % flag)

    def test_rbac_is_least_privilege(self):
        rbac = templates()["rbac.yaml"]
        runner = re.search(r"\$runnerRules := list(.*?)\}\}", rbac, re.S).group(1)
        self.assertIn('"migrationjobs/status"', runner)
        self.assertIn('(list "get" "patch")', runner)
        self.assertEqual(runner.count("dict"), 1, "the runner has exactly one rule")
        operator = re.search(r"\$rules := list(.*?)\}\}", rbac, re.S).group(1)
        self.assertNotIn("secrets", operator, "the operator never reads Secrets")
        # blockOwnerDeletion on runner pods needs update on the owner's finalizers (OpenShift).
        self.assertIn('(list "migrationjobs/finalizers") "verbs" (list "update")', operator)
        self.assertNotIn('"*"', rbac)
        # Separate identities: the runner's service account is its own.
        self.assertIn("runner.serviceAccount.name", templates()["serviceaccount.yaml"])

    def test_migrationjobs_aggregate_into_view_edit_and_admin(self):
        docs = [d for d in yaml.safe_load_all(static_yaml(templates()["aggregate-roles.yaml"])) if d]
        roles = {d["metadata"]["name"][2:]: d for d in docs}  # "x-view" -> "view"
        self.assertEqual(set(roles), {"view", "edit"})
        view, edit = roles["view"], roles["edit"]
        for label in ("view", "edit", "admin"):
            self.assertEqual(view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-" + label], "true")
        for label in ("edit", "admin"):
            self.assertEqual(edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-" + label], "true")
        self.assertNotIn("rbac.authorization.k8s.io/aggregate-to-view", edit["metadata"]["labels"])
        [vr] = view["rules"]
        self.assertEqual((vr["apiGroups"], set(vr["verbs"])), (["tidemark.dev"], {"get", "list", "watch"}))
        self.assertEqual(set(vr["resources"]), {"migrationjobs", "migrationjobs/status"})
        [er] = edit["rules"]
        self.assertEqual((er["apiGroups"], er["resources"]), (["tidemark.dev"], ["migrationjobs"]))
        self.assertTrue({"create", "update", "patch", "delete"} <= set(er["verbs"]))
        # Status is the operator's and the runner's to write, never a person's.
        self.assertNotIn("migrationjobs/status", er["resources"])
        self.assertTrue(values()["rbac"]["aggregateToDefaultRoles"])

    def test_alerts_and_dashboard_use_only_metrics_the_binaries_serve(self):
        served = metric_names()
        self.assertIn("tidemark_build_info", served)
        self.assertIn("tidemark_replay_lag_seconds", served)
        rules = templates()["prometheusrule.yaml"]
        with open(os.path.join(CHART, "dashboards", "tidemark.json")) as f:
            dashboard_text = f.read()
        for what, text in (("prometheusrule.yaml", rules), ("dashboards/tidemark.json", dashboard_text)):
            used = used_metric_names(text)
            self.assertTrue(used, what)
            self.assertEqual(used - served, set(), "%s uses metrics nobody serves" % what)
        # The alerts a DBA asked for.
        for alert in ("TidemarkMigrationJobFailed", "TidemarkPrecheckFailed", "TidemarkFullCopyStalled",
                      "TidemarkReplayStalled", "TidemarkReplayLagHigh", "TidemarkBinlogPositionNearPurge",
                      "TidemarkRunnerRestarting"):
            self.assertIn("alert: " + alert, rules)

    def test_metric_names_follow_prometheus_conventions(self):
        with open(os.path.join(REPO, "runner", "status", "prometheus.h")) as f:
            families = re.findall(r'Family k\w+\{"(tidemark_[a-z_]+)",\s*"(gauge|counter)"', f.read())
        self.assertEqual(len(families), len(metric_names()))
        for name, kind in families:
            self.assertEqual(name.endswith("_total"), kind == "counter", name)
            self.assertNotRegex(name, r"_(percent|seconds_total|per_second)$", name)

    def test_dashboard_is_grafana_json_with_the_panels_asked_for(self):
        with open(os.path.join(CHART, "dashboards", "tidemark.json")) as f:
            dash = json.load(f)
        self.assertEqual(dash["uid"], "tidemark-migrationjobs")
        titles = [p["title"] for p in dash["panels"]]
        for wanted in ("Full copy progress", "Rows/s copied", "Rows/s replayed", "Replay lag",
                       "Errors and runner restarts"):
            self.assertIn(wanted, titles)
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for p in dash["panels"]:
            for t in p["targets"]:
                self.assertIn("migrationjob=~\"$migrationjob\"", t["expr"], p["title"])
        self.assertIn('grafana_dashboard: "1"', read("values.yaml"))
        self.assertIn('.Files.Get "dashboards/tidemark.json"', templates()["dashboard.yaml"])

    def test_monitoring_resources_are_off_by_default_and_fail_without_the_api(self):
        m = values()["metrics"]
        for key in ("serviceMonitor", "podMonitor", "prometheusRule", "dashboard"):
            self.assertFalse(m[key]["enabled"], key)
        for name in ("monitoring.yaml", "prometheusrule.yaml"):
            self.assertIn('include "tidemark.requireMonitoringApi"', templates()[name])
        helper = read("templates", "_helpers.tpl")
        self.assertIn('.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"', helper)
        self.assertIn("fail", helper)


if __name__ == "__main__":
    unittest.main(verbosity=2)
