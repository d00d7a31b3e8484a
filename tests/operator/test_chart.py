"""Static checks of charts/tidemark (no helm on the build machines): the chart is well formed,
every value a template reads exists, the operator's flags exist, and RBAC is least-privilege
(the runner may only get and patch migrationjobs/status; nobody reads Secrets)."""
import os
import re
import subprocess
import sys
import unittest

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(REPO, "charts", "tidemark")
BUILD = os.path.abspath(os.environ.get("TIDEMARK_BUILD_DIR", os.path.join(REPO, "build")))


def read(*parts):
    with open(os.path.join(CHART, *parts)) as f:
        return f.read()


def templates():
    d = os.path.join(CHART, "templates")
    return {n: read("templates", n) for n in sorted(os.listdir(d))}


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
        values = yaml.safe_load(read("values.yaml"))
        for name, text in templates().items():
            for path in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text):
                node = values
                for part in path.split("."):
                    self.assertIsInstance(node, dict, "%s: .Values.%s" % (name, path))
                    self.assertIn(part, node, "%s reads .Values.%s, which values.yaml lacks" % (name, path))
                    node = node[part]

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
        for flag in set(re.findall(r"- (--[a-z-]+)", templates()["deployment.yaml"])):
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
