"""The dev cluster's API semantics over raw HTTP, where kubectl doesn't reach: paging,
selectors, watch history and 410, bookmarks, generation and status rules, preconditions,
finalizers, garbage collection, leases, namespaces, and the CEL subset.

Run: /usr/bin/python3 tests/e2e/test_devcluster_api.py [ApiTest.test_name]"""
import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devcluster_harness import REPO, SKIP, Cluster, prerequisites_missing  # noqa: E402

MJ = "/apis/tidemark.dev/v1alpha1/namespaces/default/migrationjobs"
CM = "/api/v1/namespaces/default/configmaps"


def job(name, **spec):
    body = {"apiVersion": "tidemark.dev/v1alpha1", "kind": "MigrationJob", "metadata": {"name": name},
            "spec": {"source": {"host": "mysql", "credentialsSecret": {"name": "s"}},
                     "target": {"host": "tidb", "credentialsSecret": {"name": "t"}}}}
    body["spec"].update(spec)
    return body


class ApiTest(unittest.TestCase):
    extra_args = ()

    def start(self, *args):
        self.c = Cluster(args)
        self.addCleanup(self.c.stop)

    def call(self, method, path, body=None, ctype="application/json", expect=None):
        code, obj = self.c.request(method, path, body, ctype)
        if expect is not None:
            self.assertEqual(code, expect, "FAILED: %s %s -> %d %s" % (method, path, code, obj))
        return code, obj

    def watch(self, path, max_events=50):
        """Reads a watch stream to its end (the caller passes timeoutSeconds); returns events."""
        u = urllib.parse.urlsplit(self.c.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
        conn.request("GET", path, headers={"Accept": "application/json"})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        events = []
        while len(events) < max_events:
            line = r.readline()
            if not line:
                break
            if line.strip():
                events.append(json.loads(line))
        conn.close()
        return events

    # ---- lists ----------------------------------------------------------------------------

    def test_list_limit_continue_and_selectors(self):
        self.start()
        for i, tier in enumerate(["a", "b", "c", "a", "b"]):
            self.call("POST", CM, {"metadata": {"name": "cm%d" % i, "labels": {"tier": tier}}, "data": {"i": str(i)}},
                      expect=201)
        self.call("POST", CM, {"metadata": {"name": "plain"}}, expect=201)
        names, cont, pages = [], "", 0
        while True:
            _, lst = self.call("GET", CM + "?limit=2" + ("&continue=" + urllib.parse.quote(cont) if cont else ""),
                               expect=200)
            names += [o["metadata"]["name"] for o in lst["items"]]
            pages += 1
            cont = lst["metadata"].get("continue")
            if not cont:
                break
        self.assertEqual(names, ["cm0", "cm1", "cm2", "cm3", "cm4", "plain"])
        self.assertEqual(pages, 3)

        def names_for(query):
            _, lst = self.call("GET", CM + "?" + urllib.parse.urlencode(query), expect=200)
            return [o["metadata"]["name"] for o in lst["items"]]
        self.assertEqual(names_for({"labelSelector": "tier=a"}), ["cm0", "cm3"])
        self.assertEqual(names_for({"labelSelector": "tier in (a,c)"}), ["cm0", "cm2", "cm3"])
        self.assertEqual(names_for({"labelSelector": "tier notin (a),tier"}), ["cm1", "cm2", "cm4"])
        self.assertEqual(names_for({"labelSelector": "!tier"}), ["plain"])
        self.assertEqual(names_for({"fieldSelector": "metadata.name=cm2"}), ["cm2"])
        self.assertEqual(names_for({"fieldSelector": "metadata.name!=cm2,metadata.namespace=default",
                                    "labelSelector": "tier=b"}), ["cm1", "cm4"])
        code, status = self.call("GET", CM + "?labelSelector=" + urllib.parse.quote("tier in a"))
        self.assertEqual((code, status["reason"]), (400, "BadRequest"))
        _, every = self.call("GET", "/api/v1/configmaps", expect=200)
        self.assertEqual(len(every["items"]), 6)

    # ---- watch ----------------------------------------------------------------------------

    def test_watch_replays_history_and_expires(self):
        self.start("--history", "5")
        _, created = self.call("POST", CM, {"metadata": {"name": "w"}, "data": {"n": "0"}}, expect=201)
        first_rv = int(created["metadata"]["resourceVersion"])
        for n in range(1, 9):
            self.call("PATCH", CM + "/w", {"data": {"n": str(n)}}, "application/merge-patch+json", expect=200)
        events = self.watch(CM + "?watch=true&timeoutSeconds=1&resourceVersion=%d" % first_rv)
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["type"], "ERROR")
        self.assertEqual((events[0]["object"]["code"], events[0]["object"]["reason"]), (410, "Expired"))
        _, lst = self.call("GET", CM, expect=200)
        rv = int(lst["metadata"]["resourceVersion"])
        self.call("PATCH", CM + "/w", {"data": {"n": "9"}}, "application/merge-patch+json", expect=200)
        self.call("DELETE", CM + "/w", expect=200)
        events = self.watch(CM + "?watch=true&timeoutSeconds=1&resourceVersion=%d" % rv)
        self.assertEqual([e["type"] for e in events], ["MODIFIED", "DELETED"])
        self.assertEqual(events[0]["object"]["data"], {"n": "9"})
        self.call("POST", CM, {"metadata": {"name": "x", "labels": {"app": "a"}}}, expect=201)
        self.call("POST", CM, {"metadata": {"name": "y"}}, expect=201)
        events = self.watch(CM + "?watch=true&timeoutSeconds=1&resourceVersion=0&labelSelector=app%3Da")
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events], [("ADDED", "x")])
        # An object leaving the selector is DELETED for that watch.
        _, lst = self.call("GET", CM, expect=200)
        self.call("PATCH", CM + "/x", {"metadata": {"labels": {"app": "b"}}}, "application/merge-patch+json", expect=200)
        events = self.watch(CM + "?watch=true&timeoutSeconds=1&labelSelector=app%%3Da&resourceVersion=%s"
                            % lst["metadata"]["resourceVersion"])
        self.assertEqual([e["type"] for e in events], ["DELETED"])

    def test_watch_bookmarks(self):
        self.start("--bookmark-interval", "0.2")
        self.call("POST", MJ, job("a"), expect=201)
        events = self.watch(MJ + "?watch=true&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=0")
        self.assertEqual(events[0]["type"], "ADDED")
        bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
        self.assertTrue(bookmarks, events)
        self.assertEqual(bookmarks[0]["object"]["kind"], "MigrationJob")
        self.assertTrue(bookmarks[0]["object"]["metadata"]["resourceVersion"])
        events = self.watch(MJ + "?watch=true&timeoutSeconds=1&sendInitialEvents=true&allowWatchBookmarks=true"
                            "&resourceVersionMatch=NotOlderThan")
        self.assertEqual([e["type"] for e in events[:2]], ["ADDED", "BOOKMARK"])
        self.assertEqual(events[1]["object"]["metadata"]["annotations"], {"k8s.io/initial-events-end": "true"})
        events = self.watch(MJ + "?watch=true&timeoutSeconds=1&resourceVersion=0")
        self.assertNotIn("BOOKMARK", [e["type"] for e in events], "no bookmarks unless asked for")

    # ---- writes ---------------------------------------------------------------------------

    def test_generation_and_status_rules(self):
        self.start()
        _, obj = self.call("POST", MJ, dict(job("g"), status={"phase": "Succeeded"}), expect=201)
        self.assertNotIn("status", obj, "create drops status when the status subresource exists")
        self.assertEqual(obj["metadata"]["generation"], 1)
        self.assertEqual((obj["spec"]["capacity"], obj["spec"]["type"]), (2, "FullAndIncremental"), "defaults")
        # PUT to the main resource ignores status; a label change doesn't bump generation.
        obj["status"] = {"phase": "Failed"}
        obj["metadata"]["labels"] = {"team": "data"}
        _, obj = self.call("PUT", MJ + "/g", obj, expect=200)
        self.assertNotIn("status", obj)
        self.assertEqual(obj["metadata"]["generation"], 1)
        # PUT /status ignores spec and doesn't bump generation.
        obj["status"] = {"phase": "Copying", "restarts": 1}
        obj["spec"]["capacity"] = 16
        _, obj = self.call("PUT", MJ + "/g/status", obj, expect=200)
        self.assertEqual((obj["status"]["phase"], obj["spec"]["capacity"], obj["metadata"]["generation"]),
                         ("Copying", 2, 1))
        code, st = self.call("PUT", MJ + "/g/status", dict(obj, status={"restarts": -1}))
        self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "status.restarts"))
        # Stale resourceVersion: 409 for PUT and for a merge patch that carries it.
        stale = dict(obj)
        _, obj = self.call("PATCH", MJ + "/g", {"spec": {"capacity": 4}}, "application/merge-patch+json", expect=200)
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.assertEqual(self.call("PUT", MJ + "/g", stale)[0], 409)
        code, st = self.call("PATCH", MJ + "/g", {"metadata": {"resourceVersion": stale["metadata"]["resourceVersion"]},
                                                  "spec": {"capacity": 8}}, "application/merge-patch+json")
        self.assertEqual((code, st["reason"]), (409, "Conflict"))
        no_rv = dict(obj, metadata={k: v for k, v in obj["metadata"].items() if k != "resourceVersion"})
        code, st = self.call("PUT", MJ + "/g", no_rv)
        self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "metadata.resourceVersion"))
        # JSON patch test op as compare-and-swap.
        code, _ = self.call("PATCH", MJ + "/g", [{"op": "test", "path": "/spec/capacity", "value": 2},
                                                 {"op": "replace", "path": "/spec/capacity", "value": 8}],
                            "application/json-patch+json")
        self.assertEqual(code, 422)
        # Server-side apply: needs a field manager, creates (201) and then merges (200).
        self.assertEqual(self.call("PATCH", MJ + "/h", job("h"), "application/apply-patch+yaml")[0], 422)
        self.call("PATCH", MJ + "/h?fieldManager=test", job("h"), "application/apply-patch+yaml", expect=201)
        _, h = self.call("PATCH", MJ + "/h?fieldManager=test", {"apiVersion": "tidemark.dev/v1alpha1",
                                                                "kind": "MigrationJob", "metadata": {"name": "h"},
                                                                "spec": {"paused": True}},
                         "application/apply-patch+yaml", expect=200)
        self.assertEqual((h["spec"]["paused"], h["spec"]["source"]["host"]), (True, "mysql"))
        # Status conditions merge per type under apply (x-kubernetes-list-type: map).
        cond = {"status": "True", "reason": "Ok", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        for t in ("Ready", "Synced"):
            self.call("PATCH", MJ + "/h/status?fieldManager=op&force=true",
                      {"apiVersion": "tidemark.dev/v1alpha1", "kind": "MigrationJob", "metadata": {"name": "h"},
                       "status": {"conditions": [dict(cond, type=t)]}}, "application/apply-patch+yaml", expect=200)
        _, h = self.call("GET", MJ + "/h", expect=200)
        self.assertEqual([c["type"] for c in h["status"]["conditions"]], ["Ready", "Synced"])
        # Delete preconditions.
        code, st = self.call("DELETE", MJ + "/h", {"preconditions": {"uid": "not-the-uid"}})
        self.assertEqual((code, st["reason"]), (409, "Conflict"))
        self.call("DELETE", MJ + "/h", {"preconditions": {"uid": h["metadata"]["uid"]}}, expect=200)
        self.assertEqual(self.call("GET", MJ + "/h")[0], 404)

    def test_finalizers_and_cascading_deletion(self):
        self.start()
        _, owner = self.call("POST", MJ, dict(job("owner"), metadata={"name": "owner",
                                                                      "finalizers": ["tidemark.dev/cleanup"]}),
                             expect=201)
        ref = {"apiVersion": "tidemark.dev/v1alpha1", "kind": "MigrationJob", "name": "owner",
               "uid": owner["metadata"]["uid"], "controller": True}
        self.call("POST", "/api/v1/namespaces/default/pods",
                  {"metadata": {"name": "runner", "ownerReferences": [ref]},
                   "spec": {"containers": [{"name": "r", "image": "busybox"}]}}, expect=201)
        self.call("POST", CM, {"metadata": {"name": "dep", "ownerReferences": [ref]}}, expect=201)
        _, deleting = self.call("DELETE", MJ + "/owner", {"propagationPolicy": "Background"}, expect=200)
        self.assertTrue(deleting["metadata"]["deletionTimestamp"])
        self.assertEqual(deleting["metadata"]["generation"], 2, "setting deletionTimestamp bumps generation")
        self.assertEqual(self.call("GET", CM + "/dep")[0], 200, "dependents stay while the owner is pending")
        code, st = self.call("PATCH", MJ + "/owner", {"metadata": {"finalizers": ["tidemark.dev/cleanup", "x/y"]}},
                             "application/merge-patch+json")
        self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "metadata.finalizers"))
        self.call("PATCH", MJ + "/owner", {"metadata": {"finalizers": None}}, "application/merge-patch+json",
                  expect=200)
        self.assertEqual(self.call("GET", MJ + "/owner")[0], 404)
        self.assertEqual(self.call("GET", CM + "/dep")[0], 404, "background GC deletes dependents")
        self.assertEqual(self.call("GET", "/api/v1/namespaces/default/pods/runner")[0], 404)
        # Orphan keeps dependents and drops their ownerReferences.
        _, owner = self.call("POST", MJ, job("owner2"), expect=201)
        ref = dict(ref, name="owner2", uid=owner["metadata"]["uid"])
        self.call("POST", CM, {"metadata": {"name": "kept", "ownerReferences": [ref]}}, expect=201)
        self.call("DELETE", MJ + "/owner2?propagationPolicy=Orphan", expect=200)
        _, kept = self.call("GET", CM + "/kept", expect=200)
        self.assertNotIn("ownerReferences", kept["metadata"])

    def test_leases_and_namespaces(self):
        self.start()
        leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
        _, lease = self.call("POST", leases, {"metadata": {"name": "tidemark-operator"},
                                              "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}},
                             expect=201)
        lease["spec"]["holderIdentity"] = "b"
        _, newer = self.call("PUT", leases + "/tidemark-operator", lease, expect=200)
        lease["spec"]["holderIdentity"] = "c"
        self.assertEqual(self.call("PUT", leases + "/tidemark-operator", lease)[0], 409)
        self.assertEqual(newer["spec"]["holderIdentity"], "b")
        self.assertEqual(self.call("POST", leases, {"metadata": {"name": "tidemark-operator"}})[0], 409)
        code, st = self.call("POST", "/api/v1/namespaces/nowhere/configmaps", {"metadata": {"name": "x"}})
        self.assertEqual((code, st["message"]), (404, 'namespaces "nowhere" not found'))
        self.call("POST", "/api/v1/namespaces", {"metadata": {"name": "team-b"}}, expect=201)
        self.call("POST", "/api/v1/namespaces/team-b/configmaps", {"metadata": {"name": "x"}}, expect=201)
        self.call("DELETE", "/api/v1/namespaces/team-b", expect=200)
        self.assertEqual(self.call("GET", "/api/v1/namespaces/team-b/configmaps/x")[0], 404)
        code, st = self.call("POST", "/api/v1/namespaces", {"metadata": {"name": "Bad_Name"}})
        self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "metadata.name"))

    # ---- the process kubelet --------------------------------------------------------------

    def pod(self, name, policy, command, env=None):
        self.call("POST", "/api/v1/namespaces/default/pods",
                  {"metadata": {"name": name},
                   "spec": {"restartPolicy": policy, "terminationGracePeriodSeconds": 2,
                            "containers": [{"name": "main", "image": "tidemark:dev", "command": command,
                                            "env": env or []}]}}, expect=201)

    def pod_status(self, name):
        return self.call("GET", "/api/v1/namespaces/default/pods/" + name, expect=200)[1].get("status", {})

    def test_restart_policies(self):
        self.start()
        self.c.add_binary("tidemark-exit", """
            #!/bin/sh
            echo "run with CODE=$CODE"
            exit $CODE
            """)
        self.pod("never-fails", "Never", ["tidemark-exit"], [{"name": "CODE", "value": "3"}])
        self.pod("onfailure-ok", "OnFailure", ["tidemark-exit"], [{"name": "CODE", "value": "0"}])
        self.pod("onfailure-fails", "OnFailure", ["tidemark-exit"], [{"name": "CODE", "value": "4"}])
        self.pod("always", "Always", ["tidemark-exit"], [{"name": "CODE", "value": "0"}])
        st = self.c.wait_for(lambda: (lambda s: s.get("phase") == "Failed" and s)(self.pod_status("never-fails")),
                             "the Never pod to fail")
        term = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"], st["containerStatuses"][0]["restartCount"]),
                         (3, "Error", 0))
        self.c.wait_for(lambda: self.pod_status("onfailure-ok").get("phase") == "Succeeded", "OnFailure success")
        for name in ("onfailure-fails", "always"):
            st = self.c.wait_for(lambda: (lambda s: s.get("containerStatuses", [{}])[0].get("restartCount", 0) >= 1
                                          and s)(self.pod_status(name)), "%s to restart" % name)
            self.assertEqual(st["phase"], "Running")
            self.assertIn("terminated", st["containerStatuses"][0]["lastState"])
        code, text = self.call("GET", "/api/v1/namespaces/default/pods/onfailure-fails/log?previous=true")
        self.assertEqual((code, text), (200, "run with CODE=4\n"))

    def test_sigterm_stops_pod_processes(self):
        self.start()
        marker = os.path.join(self.c.dir, "stopped")
        self.c.add_binary("tidemark-wait", """
            #!/bin/sh
            trap 'echo stopped > "$MARKER"; exit 0' TERM
            while true; do sleep 0.1; done
            """)
        self.pod("waiter", "Always", ["tidemark-wait"], [{"name": "MARKER", "value": marker}])
        st = self.c.wait_for(lambda: (lambda s: s.get("phase") == "Running" and s)(self.pod_status("waiter")),
                             "the pod to run")
        pid = int(st["containerStatuses"][0]["containerID"].split("//")[1])
        self.c.proc.send_signal(15)
        self.assertEqual(self.c.proc.wait(15), 0)
        self.assertTrue(os.path.exists(marker), "the pod's process got SIGTERM")
        self.assertFalse(os.path.exists("/proc/%d" % pid) and
                         open("/proc/%d/stat" % pid).read().split()[2] != "Z", "the pod's process is gone")
        self.assertIn("devcluster: stopped", self.c.logs())

    def test_cel_subset(self):
        sys.path.insert(0, os.path.join(REPO, "hack", "devcluster.d"))
        import cel

        def ev(rule, self_value, old=None):
            return cel.evaluate(cel.compile_rule(rule), {"self": self_value, "oldSelf": old})
        self.assertTrue(ev("self.metadata.name.matches('^[A-Za-z][A-Za-z0-9_-]*$') && size(self.metadata.name) < 60",
                           {"metadata": {"name": "shop-1"}}))
        self.assertFalse(ev("self.metadata.name.matches('^[A-Za-z]')", {"metadata": {"name": "1shop"}}))
        self.assertTrue(ev("!has(self.a) || self.a != 'Physical' || self.b == 'FullAndIncremental'", {"b": "Full"}))
        self.assertFalse(ev("!has(self.a) || self.a != 'Physical' || self.b == 'FullAndIncremental'",
                            {"a": "Physical", "b": "Incremental"}))
        self.assertTrue(ev("has(self.x) != has(self.y)", {"x": 1}))
        self.assertEqual(ev("self.n > 2 ? 'big' : 'small'", {"n": 3}), "big")
        self.assertTrue(ev("self.items.all(i, i in [2, 4, 8, 16])", {"items": [2, 16]}))
        self.assertTrue(ev("self.items.exists(i, i.startsWith('a')) && self.items.size() == 2", {"items": ["b", "ab"]}))
        self.assertTrue(ev("self == oldSelf", 5, 5))
        with self.assertRaises(cel.CelError):
            ev("self.missing == 1", {})
        with self.assertRaises(cel.CelError):
            cel.compile_rule("self.a ===")


if __name__ == "__main__":
    missing = prerequisites_missing()
    if missing:
        print("SKIPPED: " + missing)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
