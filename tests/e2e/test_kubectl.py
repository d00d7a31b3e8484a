"""End-to-end: the real kubectl (v1.32) against hack/devcluster serving crds/migrationjob.yaml.

Run one test:  /usr/bin/python3 tests/e2e/test_kubectl.py KubectlTest.test_get_watch
Run all:       /usr/bin/python3 tests/e2e/test_kubectl.py
Each test starts its own dev cluster on a free port and stops it (and its processes) after."""
import base64
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devcluster_harness import SKIP, Cluster, prerequisites_missing, read  # noqa: E402

JOB = """
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata:
  name: {name}
spec:
  source:
    host: mysql.example
    credentialsSecret: {{name: source-credentials}}
  target:
    host: tidb.example
    port: {port}
    credentialsSecret: {{name: tidb-credentials}}
"""


def job(name="shop", port=4000):
    return JOB.format(name=name, port=port)


class KubectlTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster()

    def tearDown(self):
        self.c.stop()

    def status_patch(self, name, status):
        self.c.kubectl("patch", "mj", name, "--subresource=status", "--type=merge",
                       "-p", json.dumps({"status": status}))

    # ---- apply ----------------------------------------------------------------------------

    def test_apply_client_side(self):
        out = self.c.apply(job()).stdout
        self.assertIn("migrationjob.tidemark.dev/shop created", out)
        self.assertIn("unchanged", self.c.apply(job()).stdout)
        self.assertIn("configured", self.c.apply(job(port=4001)).stdout)
        obj = self.c.get_json("mj", "shop")
        self.assertEqual(obj["spec"]["target"]["port"], 4001)
        self.assertEqual(obj["metadata"]["generation"], 2, "a spec change bumps generation once")
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", obj["metadata"]["annotations"])

    def test_apply_server_side(self):
        self.assertIn("serverside-applied", self.c.apply(job(), "--server-side").stdout)
        self.assertIn("serverside-applied", self.c.apply(job(port=4002), "--server-side").stdout)
        obj = self.c.get_json("mj", "shop")
        self.assertEqual(obj["spec"]["target"]["port"], 4002)
        self.assertNotIn("kubectl.kubernetes.io/last-applied-configuration",
                         obj["metadata"].get("annotations") or {})
        self.assertEqual(obj["metadata"]["generation"], 2)

    def test_apply_crd_through_kubectl(self):
        crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.dev}
        spec:
          group: example.dev
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
          versions:
          - name: v1
            served: true
            storage: true
            additionalPrinterColumns:
            - {name: Size, type: integer, jsonPath: .spec.size}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer, maximum: 10, default: 1}
        """
        self.c.apply(crd)
        self.c.apply("apiVersion: example.dev/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {}\n")
        out = self.c.kubectl("get", "wd").stdout
        self.assertRegex(out, r"NAME\s+SIZE\n", "declared printer columns replace the default Age")
        self.assertRegex(out, r"w1\s+1\s+")
        bad = self.c.kubectl("apply", "-f", "-", check=False,
                             stdin="apiVersion: example.dev/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 11}\n")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("spec.size", bad.stderr)

    # ---- get ------------------------------------------------------------------------------

    def test_get_table_columns(self):
        self.c.apply(job())
        now = "2026-01-02T03:04:05Z"
        conditions = [{"type": t, "status": v, "lastTransitionTime": now, "reason": "Test", "message": ""}
                      for t, v in (("Ready", "True"), ("Synced", "False"))]
        self.status_patch("shop", {"phase": "Replicating", "stage": "replay", "progress": "caught up",
                                   "incremental": {"lagSeconds": 7.5}, "capacity": {"current": 4},
                                   "conditions": conditions})
        out = self.c.kubectl("get", "mj").stdout.splitlines()
        self.assertRegex(out[0], r"^NAME\s+PHASE\s+STAGE\s+READY\s+PROGRESS\s+LAG\s+AGE$")
        self.assertRegex(out[1], r"^shop\s+Replicating\s+replay\s+True\s+caught up\s+7.5\s+\d+s$")
        wide = self.c.kubectl("get", "migrationjobs", "-o", "wide").stdout.splitlines()
        self.assertRegex(wide[0], r"\sSYNCED\s+CAPACITY\s")
        self.assertRegex(wide[1], r"\sFalse\s+4\s")
        every = self.c.kubectl("get", "mj", "-A").stdout.splitlines()
        self.assertRegex(every[0], r"^NAMESPACE\s+NAME\s+PHASE")
        self.assertTrue(every[1].startswith("default"), every)

    def test_get_output_yaml_has_defaults(self):
        self.c.apply(job())
        out = self.c.kubectl("get", "mj", "shop", "-o", "yaml").stdout
        for line in ("capacity: 2", "fullMode: Logical", "type: FullAndIncremental", "flavor: MySQL",
                     "port: 3306", "paused: false", "generation: 1", "resourceVersion:", "uid:"):
            self.assertIn(line, out)

    def test_get_watch(self):
        self.c.apply(job())
        p, path = self.c.kubectl_bg("get", "mj", "shop", "-w", "--request-timeout=20s")
        self.c.wait_for(lambda: "shop" in read(path), "the first line of get -w")
        self.status_patch("shop", {"phase": "Copying", "progress": "10%"})
        self.c.wait_for(lambda: "Copying" in read(path), "get -w to print the status change")
        self.status_patch("shop", {"phase": "Replicating", "progress": "done"})
        out = self.c.wait_for(lambda: "Replicating" in read(path) and read(path),
                              "get -w to print the second change")
        p.kill()
        lines = [x for x in out.splitlines() if x.startswith("shop")]
        self.assertGreaterEqual(len(lines), 3, out)
        self.assertIn("10%", lines[1])

    # ---- describe -------------------------------------------------------------------------

    def test_describe_with_events(self):
        self.c.apply(job())
        uid = self.c.get_json("mj", "shop")["metadata"]["uid"]
        for name, obj_name, obj_uid, reason in (("shop.1", "shop", uid, "PrecheckFailed"),
                                                ("other.1", "other", "x", "Unrelated")):
            self.c.apply("""
            apiVersion: v1
            kind: Event
            metadata: {name: %s}
            type: Warning
            reason: %s
            message: binlog_format is STATEMENT; set binlog_format=ROW
            source: {component: tidemark-operator}
            involvedObject: {apiVersion: tidemark.dev/v1alpha1, kind: MigrationJob, name: %s, namespace: default, uid: %s}
            """ % (name, reason, obj_name, obj_uid))
        out = self.c.kubectl("describe", "mj", "shop").stdout
        self.assertIn("Name:         shop", out)
        self.assertRegex(out, r"Warning\s+PrecheckFailed\s+\S+\s+tidemark-operator\s+binlog_format is STATEMENT")
        self.assertNotIn("Unrelated", out)

    # ---- patch ----------------------------------------------------------------------------

    def test_patch_merge(self):
        self.c.apply(job())
        self.c.kubectl("patch", "mj", "shop", "--type", "merge",
                       "-p", '{"spec":{"capacity":8},"status":{"phase":"Failed"}}')
        obj = self.c.get_json("mj", "shop")
        self.assertEqual(obj["spec"]["capacity"], 8)
        self.assertNotIn("status", obj, "the main resource ignores status")
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.c.kubectl("patch", "mj", "shop", "--type", "json",
                       "-p", '[{"op":"replace","path":"/spec/paused","value":true}]')
        self.assertTrue(self.c.get_json("mj", "shop")["spec"]["paused"])

    def test_patch_status_subresource(self):
        self.c.apply(job())
        self.c.kubectl("patch", "mj", "shop", "--subresource=status", "--type=merge",
                       "-p", '{"status":{"phase":"Copying","observedGeneration":1},"spec":{"capacity":16}}')
        obj = self.c.get_json("mj", "shop")
        self.assertEqual(obj["status"]["phase"], "Copying")
        self.assertEqual(obj["spec"]["capacity"], 2, "/status ignores spec")
        self.assertEqual(obj["metadata"]["generation"], 1, "status writes don't bump generation")
        bad = self.c.kubectl("patch", "mj", "shop", "--subresource=status", "--type=merge",
                             "-p", '{"status":{"phase":"Dancing"}}', check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("status.phase: Unsupported value", bad.stderr)

    # ---- delete / wait --------------------------------------------------------------------

    def test_delete_waits_for_finalizer(self):
        self.c.apply(job())
        self.c.kubectl("patch", "mj", "shop", "--type=merge",
                       "-p", '{"metadata":{"finalizers":["tidemark.dev/cleanup"]}}')
        p, path = self.c.kubectl_bg("delete", "mj", "shop", "--timeout=20s")
        self.c.wait_for(lambda: self.c.get_json("mj", "shop")["metadata"].get("deletionTimestamp"),
                        "deletionTimestamp to be set")
        time.sleep(0.3)
        self.assertIsNone(p.poll(), "kubectl delete must wait while a finalizer is pending")
        self.c.kubectl("patch", "mj", "shop", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.assertEqual(p.wait(20), 0, read(path))
        self.assertIn('migrationjob.tidemark.dev "shop" deleted', read(path))
        gone = self.c.kubectl("get", "mj", "shop", check=False)
        self.assertIn("NotFound", gone.stderr)

    def test_wait_for_condition(self):
        self.c.apply(job())
        p, path = self.c.kubectl_bg("wait", "--for=condition=Ready", "mj/shop", "--timeout=20s")
        time.sleep(0.5)
        self.assertIsNone(p.poll(), "wait must not finish before the condition holds: " + read(path))
        self.status_patch("shop", {"conditions": [{"type": "Ready", "status": "True", "reason": "Replicating",
                                                   "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]})
        self.assertEqual(p.wait(20), 0, read(path))
        self.assertIn("condition met", read(path))

    # ---- pods run as processes ------------------------------------------------------------

    def test_logs_of_a_process_pod(self):
        self.c.add_binary("tidemark-echo", """
            #!/bin/sh
            echo "pod=$POD_NAME ns=$POD_NS user=$DB_USER"
            echo "args: $*"
            cat "$2"; echo
            exit 0
            """)
        self.c.apply("""
        apiVersion: v1
        kind: Secret
        metadata: {name: creds}
        stringData: {username: alice, password: s3cret}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: echo}
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: tidemark:dev
            command: [/usr/local/bin/tidemark-echo]
            args: [--password-file, /etc/creds/password]
            env:
            - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
            - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            - {name: DB_USER, valueFrom: {secretKeyRef: {name: creds, key: username}}}
            volumeMounts: [{name: creds, mountPath: /etc/creds, readOnly: true}]
          volumes: [{name: creds, secret: {secretName: creds, items: [{key: password, path: password}]}}]
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "echo").get("status", {}).get("phase") == "Succeeded",
                        "the pod to succeed")
        logs = self.c.kubectl("logs", "echo").stdout
        self.assertIn("pod=echo ns=default user=alice", logs)
        self.assertIn("s3cret", logs, "the secret volume is materialised and its mountPath rewritten")
        state = self.c.get_json("pod", "echo")["status"]["containerStatuses"][0]["state"]
        self.assertEqual(state["terminated"]["exitCode"], 0)
        self.assertEqual(self.c.kubectl("logs", "echo", "--tail=1").stdout, "s3cret\n")

    def test_logs_follow_and_container(self):
        self.c.add_binary("tidemark-count", """
            #!/bin/sh
            for i in 1 2 3 4 5; do echo "$PREFIX $i"; sleep 0.1; done
            """)
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: counter}
        spec:
          restartPolicy: Never
          containers:
          - {name: first, image: tidemark:dev, command: [tidemark-count], env: [{name: PREFIX, value: one}]}
          - {name: second, image: tidemark:dev, command: [tidemark-count], env: [{name: PREFIX, value: two}]}
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "counter").get("status", {}).get("phase") == "Running",
                        "the pod to run")
        out = self.c.kubectl("logs", "-f", "counter", "-c", "second", timeout=20).stdout
        self.assertEqual(out, "".join("two %d\n" % i for i in range(1, 6)), "follow ends when the container exits")
        self.c.wait_for(lambda: self.c.get_json("pod", "counter")["status"]["phase"] == "Succeeded", "success")
        self.assertEqual(self.c.kubectl("logs", "counter", "-c", "first", "--tail=2").stdout, "one 4\none 5\n")
        r = self.c.kubectl("logs", "counter")
        self.assertIn('Defaulted container "first"', r.stderr)
        self.assertTrue(r.stdout.startswith("one 1\n"), r.stdout)
        code, status = self.c.request("GET", "/api/v1/namespaces/default/pods/counter/log")
        self.assertEqual(code, 400)
        self.assertIn("a container name must be specified for pod counter, choose one of: [first second]",
                      status["message"])

    def test_deleting_a_pod_stops_its_process(self):
        self.c.add_binary("tidemark-sleeper", """
            #!/bin/sh
            trap 'echo stopping on TERM; exit 0' TERM
            echo started
            while true; do sleep 0.1; done
            """)
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: sleeper}
        spec:
          containers: [{name: main, image: tidemark-runner:latest, command: [tidemark-sleeper]}]
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "sleeper").get("status", {}).get("phase") == "Running",
                        "the pod to run")
        pid = int(self.c.get_json("pod", "sleeper")["status"]["containerStatuses"][0]["containerID"].split("//")[1])
        self.assertIn("Running", self.c.kubectl("get", "pods").stdout)
        self.c.kubectl("delete", "pod", "sleeper", "--timeout=20s")
        self.c.wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                        open("/proc/%d/stat" % pid).read().split()[2] == "Z", "the process to exit")
        self.assertIn("NotFound", self.c.kubectl("get", "pod", "sleeper", check=False).stderr)

    def test_deployment_runs_its_pod_as_a_process(self):
        self.c.add_binary("tidemark-operator", """
            #!/bin/sh
            echo "operator up in $POD_NAMESPACE as $POD_NAME"
            trap 'exit 0' TERM
            while true; do sleep 0.1; done
            """)
        self.c.apply("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: tidemark-operator}
        spec:
          selector: {matchLabels: {app: tidemark-operator}}
          template:
            metadata: {labels: {app: tidemark-operator}}
            spec:
              containers:
              - name: operator
                image: tidemark:dev
                command: [/usr/local/bin/tidemark-operator]
                env:
                - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        """)
        self.assertIn("successfully rolled out",
                      self.c.kubectl("rollout", "status", "deploy/tidemark-operator", "--timeout=20s").stdout)
        self.assertRegex(self.c.kubectl("get", "deploy").stdout, r"tidemark-operator\s+1/1\s+1\s+1\s")
        self.c.wait_for(lambda: "operator up in default as tidemark-operator-" in
                        self.c.kubectl("logs", "deploy/tidemark-operator").stdout, "the operator's log line")
        # A template change replaces the pod.
        first = self.c.get_json("pods", "-l", "app=tidemark-operator")["items"][0]["metadata"]["name"]
        self.c.kubectl("set", "env", "deploy/tidemark-operator", "LOG_LEVEL=debug")
        self.c.wait_for(lambda: [p["metadata"]["name"] for p in
                                 self.c.get_json("pods", "-l", "app=tidemark-operator")["items"]
                                 if p.get("status", {}).get("phase") == "Running" and p["metadata"]["name"] != first],
                        "a replacement pod")
        self.c.kubectl("scale", "deploy/tidemark-operator", "--replicas=2")
        self.c.wait_for(lambda: len([p for p in self.c.get_json("pods", "-l", "app=tidemark-operator")["items"]
                                     if p.get("status", {}).get("phase") == "Running"
                                     and not p["metadata"].get("deletionTimestamp")]) == 2, "two replicas")
        self.c.kubectl("delete", "deploy", "tidemark-operator")
        self.c.wait_for(lambda: not self.c.get_json("pods")["items"], "the pods to be garbage-collected")

    def test_non_tidemark_image_cannot_be_pulled(self):
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers: [{name: web, image: nginx:1.27}]
        """)
        # As a real kubelet shows an image it cannot pull: ErrImagePull, then ImagePullBackOff.
        self.c.wait_for(lambda: "ImagePullBackOff" in self.c.kubectl("get", "pod", "web").stdout,
                        "the pod to show why it can't run")
        pod = self.c.get_json("pod", "web")
        self.assertEqual(pod["status"]["phase"], "Pending")
        self.assertIn('"nginx:1.27"', pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"])
        self.assertIn("Error: ErrImagePull", self.c.kubectl("describe", "pod", "web").stdout)

    def test_a_missing_secret_volume_leaves_the_pod_in_container_creating(self):
        self.c.add_binary("tidemark-sleep", "#!/bin/sh\nexec sleep 30\n")
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: needs-secret}
        spec:
          restartPolicy: Never
          containers: [{name: main, image: tidemark:dev, command: [tidemark-sleep],
                        volumeMounts: [{name: creds, mountPath: /etc/creds}]}]
          volumes: [{name: creds, secret: {secretName: creds, items: [{key: password, path: password}]}}]
        """)
        self.c.wait_for(lambda: "FailedMount" in self.c.kubectl("describe", "pod", "needs-secret").stdout,
                        "a FailedMount event")
        out = self.c.kubectl("describe", "pod", "needs-secret").stdout
        self.assertIn('MountVolume.SetUp failed for volume "creds" : secret "creds" not found', out)
        waiting = self.c.get_json("pod", "needs-secret")["status"]["containerStatuses"][0]["state"]["waiting"]
        self.assertEqual(waiting["reason"], "ContainerCreating")
        # The Secret without the key: the message changes to the key; with it, the pod runs.
        self.c.kubectl("create", "secret", "generic", "creds", "--from-literal=username=alice")
        self.c.wait_for(lambda: "references non-existent secret key: password"
                        in self.c.kubectl("describe", "pod", "needs-secret").stdout, "the missing key named")
        self.c.kubectl("delete", "secret", "creds")
        self.c.kubectl("create", "secret", "generic", "creds", "--from-literal=password=pw")
        self.c.wait_for(lambda: self.c.get_json("pod", "needs-secret")["status"]["phase"] == "Running", "Running")

    def test_a_missing_command_is_a_start_error(self):
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: nothing}
        spec:
          restartPolicy: Never
          containers: [{name: main, image: tidemark:dev, command: [tidemark-not-built]}]
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "nothing")["status"]["phase"] == "Failed", "phase Failed")
        term = self.c.get_json("pod", "nothing")["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["reason"], term["exitCode"]), ("StartError", 128))
        self.assertIn('exec: "tidemark-not-built": executable file not found in $PATH', term["message"])

    def test_memory_over_the_limit_is_oom_killed(self):
        # 96 MiB written (so resident) against a 64Mi limit.
        self.c.add_binary("tidemark-hog", "#!/usr/bin/python3\nimport time\nb = b'x' * (96 << 20)\ntime.sleep(30)\n")
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: hog}
        spec:
          restartPolicy: Never
          containers: [{name: main, image: tidemark:dev, command: [tidemark-hog],
                        resources: {limits: {memory: 64Mi}}}]
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "hog")["status"]["phase"] == "Failed", "phase Failed",
                        timeout=20)
        term = self.c.get_json("pod", "hog")["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["reason"], term["exitCode"]), ("OOMKilled", 137))

    def test_eviction_fails_the_pod_with_reason_evicted(self):
        self.c.add_binary("tidemark-sleep", "#!/bin/sh\nexec sleep 30\n")
        self.c.apply("""
        apiVersion: v1
        kind: Pod
        metadata: {name: victim}
        spec:
          restartPolicy: Never
          containers: [{name: main, image: tidemark:dev, command: [tidemark-sleep]}]
        """)
        self.c.wait_for(lambda: self.c.get_json("pod", "victim")["status"]["phase"] == "Running", "Running")
        self.c.kubectl("annotate", "pod", "victim", "devcluster.tidemark.dev/evict=The node was low on resource: memory.")
        self.c.wait_for(lambda: self.c.get_json("pod", "victim")["status"]["phase"] == "Failed", "phase Failed")
        status = self.c.get_json("pod", "victim")["status"]
        self.assertEqual(status["reason"], "Evicted")
        self.assertEqual(status["message"], "The node was low on resource: memory.")

    def test_admission_service_account_and_pod_security(self):
        pod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, namespace: locked}
        spec:
          serviceAccountName: %s
          containers: [{name: main, image: tidemark:dev, command: [tidemark-sleep]%s}]
        """
        self.c.kubectl("create", "namespace", "locked")
        self.c.kubectl("label", "namespace", "locked", "pod-security.kubernetes.io/enforce=restricted")
        p = self.c.kubectl("apply", "-f", "-", stdin=pod % ("a", "runner", ""), check=False)
        self.assertIn('error looking up service account locked/runner: serviceaccount "runner" not found', p.stderr)
        self.c.kubectl("create", "serviceaccount", "runner", "-n", "locked")
        p = self.c.kubectl("apply", "-f", "-", stdin=pod % ("a", "runner", ""), check=False)
        self.assertIn('violates PodSecurity "restricted:latest"', p.stderr)
        self.assertIn("allowPrivilegeEscalation != false", p.stderr)
        hardened = (", securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, "
                    "capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}")
        self.c.kubectl("apply", "-f", "-", stdin=pod % ("b", "runner", hardened))
        # Every namespace has its "default" ServiceAccount.
        self.c.kubectl("get", "serviceaccount", "default", "-n", "locked")

    def test_create_builtins_with_protobuf_bodies(self):
        # kubectl's typed `create` commands send protobuf, not JSON.
        self.c.kubectl("create", "namespace", "team-a")
        self.c.kubectl("create", "secret", "generic", "creds", "-n", "team-a",
                       "--from-literal=username=alice", "--from-literal=password=pw")
        self.c.kubectl("create", "configmap", "settings", "-n", "team-a", "--from-literal=mode=fast")
        self.c.kubectl("create", "serviceaccount", "runner", "-n", "team-a")
        secret = self.c.get_json("secret", "creds", "-n", "team-a")
        self.assertEqual(base64.b64decode(secret["data"]["username"]), b"alice")
        self.assertEqual(self.c.get_json("cm", "settings", "-n", "team-a")["data"], {"mode": "fast"})
        out = self.c.kubectl("get", "secrets,configmaps,serviceaccounts", "-n", "team-a").stdout
        self.assertRegex(out, r"secret/creds\s+Opaque\s+2")
        self.assertIn("serviceaccount/runner", out)
        self.assertRegex(self.c.kubectl("get", "ns", "team-a").stdout, r"team-a\s+Active")

    def test_over_tls(self):
        tls = Cluster(["--tls"])
        try:
            self.assertTrue(tls.url.startswith("https://127.0.0.1:"))
            tls.apply(job())
            self.assertRegex(tls.kubectl("get", "mj").stdout, r"\nshop\s")
            self.assertIn("Server Version: v1.32", tls.kubectl("version").stdout)
        finally:
            tls.stop()

    # ---- explain --------------------------------------------------------------------------

    def test_explain(self):
        out = self.c.kubectl("explain", "mj.spec.capacity").stdout
        self.assertIn("capacity <integer>", out)
        self.assertIn("Capacity units", out)
        self.assertIn("16", out)
        out = self.c.kubectl("explain", "mj.spec.restartToken").stdout
        self.assertIn("safe mode", out)
        # The runner's status blocks are typed, so kubectl explain documents them field by field.
        out = self.c.kubectl("explain", "mj.status.fullCopy.done").stdout
        self.assertIn("done <boolean>", out)
        self.assertIn("Succeeded or Replicating", out)
        out = self.c.kubectl("explain", "mj.status.incremental.stalled.reason").stdout
        self.assertIn("TargetUnavailable", out)
        out = self.c.kubectl("explain", "mj.status.precheck.items.state").stdout
        self.assertIn("Warning", out)
        out = self.c.kubectl("explain", "mj.spec.runnerPod.resourcesPerCapacityUnit").stdout
        self.assertIn("memoryLimit", out)

    # ---- errors ---------------------------------------------------------------------------

    def test_invalid_job_is_refused_with_422(self):
        bad_capacity = job().replace("spec:\n", "spec:\n  capacity: 3\n")
        r = self.c.kubectl("apply", "-f", "-", stdin=bad_capacity, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('spec.capacity: Unsupported value: 3: supported values: "2", "4", "8", "16"', r.stderr)
        physical = job().replace("spec:\n", "spec:\n  type: Incremental\n  fullMode: Physical\n")
        r = self.c.kubectl("apply", "-f", "-", stdin=physical, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.fullMode: Invalid value", r.stderr)
        self.assertIn("fullMode Physical needs a full copy", r.stderr)
        full_physical = job(name="fullonly").replace("spec:\n", "spec:\n  type: Full\n  fullMode: Physical\n")
        r = self.c.kubectl("apply", "-f", "-", stdin=full_physical, check=False)
        self.assertIn("fullMode Physical needs a full copy followed by replication", r.stderr)
        self.c.apply(job(name="bulk").replace("spec:\n", "spec:\n  type: FullAndIncremental\n  fullMode: Physical\n"))
        start = job(name="tail").replace("spec:\n", "spec:\n  incremental: {start: {gtidSet: 'a:1-5'}}\n")
        r = self.c.kubectl("apply", "-f", "-", stdin=start, check=False)
        self.assertIn("spec.incremental.start: Invalid value", r.stderr, "a start position needs type Incremental")
        self.c.apply(start.replace("spec:\n", "spec:\n  type: Incremental\n"))
        for name in ("9lives", "a" * 60):   # valid Kubernetes names that break the product's name rule
            r = self.c.kubectl("apply", "-f", "-", stdin=job(name=name), check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("metadata.name: Invalid value", r.stderr)
            self.assertIn("the job name must start with a letter, be shorter than 60 characters", r.stderr)
        self.c.apply(job(name="a" * 59))
        unknown = job().replace("spec:\n", "spec:\n  threads: 9\n")
        r = self.c.kubectl("apply", "-f", "-", stdin=unknown, check=False)
        self.assertIn('unknown field "spec.threads"', r.stderr)
        self.assertEqual(self.c.kubectl("get", "mj", "-o", "name").stdout.split(),
                         ["migrationjob.tidemark.dev/%s" % n for n in ("a" * 59, "bulk", "tail")])
        # The 422 body names the field in details.causes.
        body = json.loads(json.dumps({"apiVersion": "tidemark.dev/v1alpha1", "kind": "MigrationJob",
                                      "metadata": {"name": "x"},
                                      "spec": {"capacity": 3, "source": {"host": "a", "credentialsSecret": {"name": "s"}},
                                               "target": {"host": "b", "credentialsSecret": {"name": "t"}}}}))
        code, status = self.c.request("POST", "/apis/tidemark.dev/v1alpha1/namespaces/default/migrationjobs", body)
        self.assertEqual(code, 422)
        self.assertEqual(status["reason"], "Invalid")
        self.assertEqual([c["field"] for c in status["details"]["causes"]], ["spec.capacity"])

    def test_not_found_404(self):
        r = self.c.kubectl("get", "mj", "nope", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Error from server (NotFound): migrationjobs.tidemark.dev "nope" not found', r.stderr)
        code, status = self.c.request("GET", "/apis/tidemark.dev/v1alpha1/namespaces/default/migrationjobs/nope")
        self.assertEqual((code, status["code"], status["reason"]), (404, 404, "NotFound"))

    def test_conflict_409_on_stale_resource_version(self):
        self.c.apply(job())
        stale = self.c.get_json("mj", "shop")
        self.c.kubectl("patch", "mj", "shop", "--type=merge", "-p", '{"spec":{"capacity":4}}')
        stale["spec"]["capacity"] = 8
        r = self.c.kubectl("replace", "-f", "-", stdin=json.dumps(stale), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Conflict", r.stderr)
        self.assertIn("the object has been modified", r.stderr)
        self.assertEqual(self.c.get_json("mj", "shop")["spec"]["capacity"], 4)

    def test_strategic_merge_on_custom_resource_is_415(self):
        self.c.apply(job())
        r = self.c.kubectl("patch", "mj", "shop", "--type=strategic", "-p", '{"spec":{"capacity":4}}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("strategic-merge-patch+json is not supported", r.stderr)
        code, status = self.c.request("PATCH", "/apis/tidemark.dev/v1alpha1/namespaces/default/migrationjobs/shop",
                                      {"spec": {"capacity": 4}}, "application/strategic-merge-patch+json")
        self.assertEqual((code, status["reason"]), (415, "UnsupportedMediaType"))


if __name__ == "__main__":
    missing = prerequisites_missing()
    if missing:
        print("SKIPPED: " + missing)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
