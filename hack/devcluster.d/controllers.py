"""A minimal Deployment controller, so a Helm-rendered operator Deployment runs its pod (and,
with a tidemark image, the kubelet runs that pod as a process).

No ReplicaSets: the controller owns pods directly (controller ownerReference to the
Deployment), labels them with `pod-template-hash`, replaces pods whose template changed
(Recreate), keeps `spec.replicas` non-terminating pods, and writes the Deployment's status
(replicas, updatedReplicas, readyReplicas, availableReplicas, observedGeneration, Available)."""
import copy
import hashlib
import json
import threading
import uuid

import printing
from apiserver import ApiError, Options


def template_hash(template):
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


class DeploymentController:
    def __init__(self, api):
        self.api, self.store = api, api.store
        self.deployments = api.registry.get("apps", "v1", "deployments")
        self.pods = api.registry.get("", "v1", "pods")
        self.thread = threading.Thread(target=self._loop, name="deployments", daemon=True)

    def start(self):
        self.thread.start()

    def _loop(self):
        last = self.store.rv
        self._resync()
        while not self.store.closing:
            events = self.store.events_after(last)
            dirty = set()
            for ev in events:
                last = ev.rv
                if ev.key == self.deployments.store_key:
                    dirty.add((ev.obj["metadata"]["namespace"], ev.obj["metadata"]["name"]))
                elif ev.key == self.pods.store_key:
                    for ref in ev.obj["metadata"].get("ownerReferences") or []:
                        if ref.get("kind") == "Deployment" and ref.get("controller"):
                            dirty.add((ev.obj["metadata"]["namespace"], ref["name"]))
            for ns, name in dirty:
                self._sync(ns, name)
            if not events:
                self.store.wait(0.5)

    def _resync(self):
        for d in self.store.items(self.deployments.store_key):
            self._sync(d["metadata"]["namespace"], d["metadata"]["name"])

    def _sync(self, ns, name):
        try:
            self._reconcile(ns, name)
        except ApiError as e:
            print("devcluster: deployment %s/%s: %s" % (ns, name, e.message), flush=True)

    def _reconcile(self, ns, name):
        d = self.store.get(self.deployments.store_key, ns, name)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return                      # garbage collection removes the pods
        spec = d.get("spec", {})
        replicas = spec.get("replicas", 1)
        template = spec.get("template", {})
        h = template_hash(template)
        uid = d["metadata"]["uid"]
        owned = [p for p in self.store.items(self.pods.store_key, ns)
                 if any(r.get("uid") == uid and r.get("controller") for r in p["metadata"].get("ownerReferences") or [])]
        live = [p for p in owned if not p["metadata"].get("deletionTimestamp")]
        current = [p for p in live if (p["metadata"].get("labels") or {}).get("pod-template-hash") == h]
        for p in live:
            if p not in current:
                self.api.delete(self.pods, ns, p["metadata"]["name"], {}, Options())
        terminating_old = [p for p in owned if p not in current]
        if not terminating_old:         # Recreate: new pods once the old ones are gone
            for _ in range(replicas - len(current)):
                self._create_pod(d, template, h)
        for p in current[replicas:]:
            self.api.delete(self.pods, ns, p["metadata"]["name"], {}, Options())
        ready = sum(1 for p in current[:replicas]
                    if any(c.get("type") == "Ready" and c.get("status") == "True"
                           for c in p.get("status", {}).get("conditions") or []))
        status = {"observedGeneration": d["metadata"].get("generation", 1), "replicas": len(owned),
                  "updatedReplicas": len(current), "readyReplicas": ready, "availableReplicas": ready,
                  "unavailableReplicas": max(0, replicas - ready),
                  "conditions": [{"type": "Available", "status": "True" if ready >= replicas else "False",
                                  "reason": "MinimumReplicasAvailable" if ready >= replicas else "MinimumReplicasUnavailable",
                                  "message": "%d of %d replicas ready" % (ready, replicas)}]}
        old = (d.get("status") or {})
        if {k: v for k, v in old.items() if k != "conditions"} != {k: v for k, v in status.items() if k != "conditions"} \
                or [c.get("status") for c in old.get("conditions") or []] != [status["conditions"][0]["status"]]:
            now = printing.now_rfc3339()
            for c in status["conditions"]:
                c["lastUpdateTime"] = c["lastTransitionTime"] = now
            d["status"] = status
            try:
                self.api.update(self.deployments, ns, name, d, Options(), "status")
            except ApiError as e:
                if e.code != 409:       # a newer version is queued; the next event syncs again
                    raise

    def _create_pod(self, d, template, h):
        meta = copy.deepcopy(template.get("metadata") or {})
        meta["name"] = "%s-%s-%s" % (d["metadata"]["name"], h[:8], uuid.uuid4().hex[:5])
        meta.setdefault("labels", {})["pod-template-hash"] = h
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": d["metadata"]["name"],
                                    "uid": d["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}
        self.api.create(self.pods, d["metadata"]["namespace"], pod, Options())
