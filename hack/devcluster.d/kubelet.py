"""A process kubelet: pods whose containers use a tidemark image run as local processes.

The image's binaries are the locally built ones: `command[0]` (e.g. `tidemark-runner` or
`/usr/local/bin/tidemark-runner`) maps to `<bin-dir>/tidemark-runner`, searched a few levels
deep so a CMake build tree works. Secret, ConfigMap, emptyDir and hostPath volumes are
materialised under the pod's directory, and every mountPath prefix in command, args and env
values is rewritten to that directory. Pod status follows the process (Pending, Running,
Succeeded, Failed; container running/terminated states), restartPolicy is honoured, deleting
the pod stops the process group (SIGTERM, then SIGKILL after the grace period), and output
goes to a log file per container run that the API serves at .../pods/NAME/log."""
import base64
import copy
import os
import re
import signal
import subprocess
import threading
import time

import printing

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class ConfigError(Exception):
    def __init__(self, reason, message):
        super().__init__(message)
        self.reason, self.message = reason, message


class MountError(Exception):
    """A volume that cannot be set up: the pod stays ContainerCreating and only a FailedMount
    Event says why, as with a real kubelet."""
    def __init__(self, volume, message):
        super().__init__(message)
        self.message = 'MountVolume.SetUp failed for volume "%s" : %s' % (volume, message)


EVICT_ANNOTATION = "devcluster.tidemark.dev/evict"
_UNITS = {"": 1, "k": 1000, "M": 1000 ** 2, "G": 1000 ** 3, "T": 1000 ** 4,
          "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4}


def quantity_bytes(q):
    """A resource.Quantity such as 512Mi, 1G or 1e9, in bytes; None when absent or unreadable."""
    m = re.fullmatch(r"([0-9.]+)(e[0-9]+|[kMGT]i?|Ki)?", str(q or "").strip())
    if not m:
        return None
    value, suffix = float(m.group(1)), m.group(2) or ""
    if suffix.startswith("e"):
        return int(value * 10 ** int(suffix[1:]))
    return int(value * _UNITS[suffix])


def tree_rss(pid):
    """Resident bytes of a process and its descendants (what a memory cgroup would charge)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * page
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def is_tidemark_image(image):
    repo = (image or "").split("@")[0].rsplit("/", 1)[-1]
    return repo.startswith("tidemark")


class Kubelet:
    def __init__(self, api, bin_dirs, state_dir, env_extra):
        self.api, self.store = api, api.store
        self.bin_dirs, self.state_dir, self.env_extra = bin_dirs, state_dir, env_extra
        self.workers = {}               # pod uid -> PodWorker
        self.stopping = []              # workers of deleted pods, still stopping their processes
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name="kubelet", daemon=True)
        self.pods_key = ("", "pods")
        api.kubelet = self

    def start(self):
        self.thread.start()

    # ---- the watch loop ---------------------------------------------------------------------

    def _loop(self):
        last = self.store.rv
        for pod in self.store.items(self.pods_key):
            self._handle("ADDED", pod)
        while not self.store.closing:
            events = self.store.events_after(last)
            for ev in events:
                last = ev.rv
                if ev.key == self.pods_key:
                    try:
                        self._handle(ev.type, ev.obj)
                    except Exception:
                        import traceback
                        traceback.print_exc()
            if not events:
                self.store.wait(0.5)

    def _handle(self, kind, pod):
        uid = pod["metadata"]["uid"]
        with self.lock:
            worker = self.workers.get(uid)
        if kind == "DELETED":
            if worker:
                worker.stop(grace=min(2, self._grace(pod)), then_remove=False)
                with self.lock:
                    self.workers.pop(uid, None)
                    self.stopping = [w for w in self.stopping if not w.finished.is_set()] + [worker]
            return
        if pod["metadata"].get("deletionTimestamp"):
            if worker:
                worker.stop(grace=self._grace(pod), then_remove=True)
            return
        if worker is not None:
            return
        images = [c.get("image", "") for c in pod.get("spec", {}).get("containers", [])]
        if not all(is_tidemark_image(i) for i in images):
            # The only images this node has are tidemark's: any other cannot be pulled, and the
            # pod shows what a real kubelet shows then (ErrImagePull, then ImagePullBackOff).
            if pod.get("status", {}).get("containerStatuses") is None:
                bad = next(i for i in images if not is_tidemark_image(i))
                self._image_pull_failed(pod, bad)
            return
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return                      # finished before the dev cluster restarted
        worker = PodWorker(self, pod)
        with self.lock:
            self.workers[uid] = worker
        worker.start()

    def _image_pull_failed(self, pod, image):
        detail = ("Failed to pull image \"%s\": the dev cluster has only tidemark images (repository name "
                  "starting with 'tidemark'), which run as local processes" % image)
        self.api.record_event(pod, "Normal", "Pulling", 'Pulling image "%s"' % image)
        self.api.record_event(pod, "Warning", "Failed", detail)
        self.api.record_event(pod, "Warning", "Failed", "Error: ErrImagePull")
        self._set_status(pod, self._pending_status(pod, "ErrImagePull", detail))

        def back_off():
            current = self.store.get(self.pods_key, pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
            if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"] \
                    or current["metadata"].get("deletionTimestamp"):
                return
            message = 'Back-off pulling image "%s"' % image
            self.api.record_event(current, "Normal", "BackOff", message)
            self.api.record_event(current, "Warning", "Failed", "Error: ImagePullBackOff")
            self._set_status(current, self._pending_status(current, "ImagePullBackOff", message))
        timer = threading.Timer(1.0, back_off)
        timer.daemon = True
        timer.start()

    @staticmethod
    def _grace(pod):
        g = pod["metadata"].get("deletionGracePeriodSeconds")
        if g is None:
            g = pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)
        return max(0, int(g))

    def _set_status(self, pod, status):
        m = pod["metadata"]
        self.api.set_pod_status(m.get("namespace", ""), m["name"], m["uid"], status)

    @staticmethod
    def _pending_status(pod, reason, message):
        waiting = {"reason": reason, "message": message} if message else {"reason": reason}
        statuses = [{"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": False,
                     "started": False, "restartCount": 0, "state": {"waiting": dict(waiting)}}
                    for c in pod.get("spec", {}).get("containers", [])]
        unready = ",".join(c["name"] for c in pod.get("spec", {}).get("containers", []))
        st = copy.deepcopy(pod.get("status") or {})
        st.update({"phase": "Pending", "qosClass": "BestEffort", "containerStatuses": statuses,
                   "conditions": [{"type": "PodScheduled", "status": "True",
                                   "lastTransitionTime": pod["metadata"].get("creationTimestamp")},
                                  {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                                   "message": "containers with unready status: [%s]" % unready,
                                   "lastTransitionTime": pod["metadata"].get("creationTimestamp")}]})
        return st

    # ---- queries from the API layer ---------------------------------------------------------

    def _worker(self, pod):
        with self.lock:
            return self.workers.get(pod["metadata"]["uid"])

    def is_running(self, pod):
        w = self._worker(pod)
        return w is not None and not w.finished.is_set()

    def log_path(self, pod, container, previous=False):
        w = self._worker(pod)
        return w.log_path(container, previous) if w else None

    def container_running(self, pod, container):
        w = self._worker(pod)
        return w is not None and w.container_running(container)

    def waiting_reason(self, pod):
        for cs in pod.get("status", {}).get("containerStatuses") or []:
            waiting = cs.get("state", {}).get("waiting")
            if waiting:
                return waiting.get("reason", "ContainerCreating")
        return "ContainerCreating"

    def find_binary(self, name):
        base = os.path.basename(name)
        for d in self.bin_dirs:
            p = os.path.join(d, base)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
        for d in self.bin_dirs:
            root_depth = d.rstrip("/").count("/")
            for root, dirs, files in os.walk(d):
                if root.count("/") - root_depth >= 3:
                    dirs[:] = []
                dirs[:] = [x for x in dirs if x not in ("CMakeFiles", ".git", "_deps", "Testing")]
                if base in files:
                    p = os.path.join(root, base)
                    if os.access(p, os.X_OK):
                        return p
        return None

    def shutdown(self):
        with self.lock:
            workers = list(self.workers.values()) + self.stopping
        for w in workers:
            w.stop(grace=3, then_remove=False)
        for w in workers:
            w.finished.wait(6)


class Container:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.argv = None
        self.env = None
        self.proc = None
        self.restarts = 0
        self.runs = 0
        self.started_at = None
        self.state = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state = {}
        self.next_start = 0.0
        self.done = False               # terminated and not to be restarted
        self.start_error = None         # the runtime cannot start the command (StartError)
        self.memory_limit = quantity_bytes((spec.get("resources") or {}).get("limits", {}).get("memory"))
        self.oom_killed = False


class PodWorker:
    def __init__(self, kubelet, pod):
        self.kubelet, self.api = kubelet, kubelet.api
        self.pod = pod
        meta = pod["metadata"]
        self.ns, self.name, self.uid = meta.get("namespace", "default"), meta["name"], meta["uid"]
        self.dir = os.path.join(kubelet.state_dir, "pods", "%s_%s_%s" % (self.ns, self.name, self.uid[:8]))
        self.containers = [Container(c) for c in pod["spec"]["containers"]]
        self.restart_policy = pod["spec"].get("restartPolicy", "Always")
        self.lock = threading.Lock()
        self.stop_requested = threading.Event()
        self.finished = threading.Event()
        self.grace = 30
        self.remove_after = False
        self.start_time = None
        self.thread = threading.Thread(target=self._run, name="pod-%s" % self.name, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self, grace, then_remove):
        with self.lock:
            self.grace = min(self.grace, grace) if self.stop_requested.is_set() else grace
            self.remove_after = self.remove_after or then_remove
        self.stop_requested.set()
        if self.finished.is_set() and then_remove:
            self.api.finish_pod_termination(self.ns, self.name, self.uid)

    # ---- preparation ------------------------------------------------------------------------

    def _secret(self, name, optional=False):
        obj = self.api.store.get(("", "secrets"), self.ns, name)
        if obj is None:
            if optional:
                return None
            raise ConfigError("CreateContainerConfigError", 'secret "%s" not found' % name)
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}

    def _configmap(self, name, optional=False):
        obj = self.api.store.get(("", "configmaps"), self.ns, name)
        if obj is None:
            if optional:
                return None
            raise ConfigError("CreateContainerConfigError", 'configmap "%s" not found' % name)
        out = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        out.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return out

    @staticmethod
    def _write_files(target, data, items, mode, optional=False, kind="secret"):
        """Writes `data` (or its `items`); a missing key is an error unless the source is optional,
        as the kubelet does."""
        os.makedirs(target, exist_ok=True)
        pairs = [(i["key"], i.get("path", i["key"]), i.get("mode", mode)) for i in items] if items \
            else [(k, k, mode) for k in data]
        for key, path, m in pairs:
            if key not in data:
                if optional:
                    continue
                raise ConfigError("CreateContainerConfigError", "%sreferences non-existent %s key: %s"
                                  % ("configmap " if kind == "config" else "", kind, key))
            p = os.path.join(target, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data[key])
            os.chmod(p, m if m is not None else 0o644)

    def _prepare_volumes(self):
        vols = {}
        for v in self.pod["spec"].get("volumes") or []:
            try:
                vols[v["name"]] = self._prepare_volume(v)
            except ConfigError as e:
                raise MountError(v["name"], e.message)
        sa = os.path.join(self.dir, "serviceaccount")
        os.makedirs(sa, exist_ok=True)
        for fname, content in (("token", "devcluster"), ("namespace", self.ns),
                               ("ca.crt", self.kubelet.env_extra.get("_CA_PEM", ""))):
            with open(os.path.join(sa, fname), "w") as f:
                f.write(content)
        return vols, sa

    def _prepare_volume(self, v):
        target = os.path.join(self.dir, "volumes", v["name"])
        if "secret" in v:
            src = v["secret"]
            data = self._secret(src.get("secretName"), src.get("optional", False)) or {}
            self._write_files(target, data, src.get("items"), src.get("defaultMode", 0o644), src.get("optional", False))
        elif "configMap" in v:
            src = v["configMap"]
            data = self._configmap(src.get("name"), src.get("optional", False)) or {}
            self._write_files(target, data, src.get("items"), src.get("defaultMode", 0o644), src.get("optional", False),
                              "config")
        elif "projected" in v:
            for s in v["projected"].get("sources") or []:
                if "secret" in s:
                    data = self._secret(s["secret"].get("name"), s["secret"].get("optional", False)) or {}
                    self._write_files(target, data, s["secret"].get("items"), 0o644, s["secret"].get("optional", False))
                elif "configMap" in s:
                    data = self._configmap(s["configMap"].get("name"), s["configMap"].get("optional", False)) or {}
                    self._write_files(target, data, s["configMap"].get("items"), 0o644, s["configMap"].get("optional", False),
                                      "config")
                elif "serviceAccountToken" in s:
                    self._write_files(target, {"t": b"devcluster"},
                                      [{"key": "t", "path": s["serviceAccountToken"].get("path", "token")}], 0o644)
            os.makedirs(target, exist_ok=True)
        elif "hostPath" in v:
            target = v["hostPath"]["path"]
        else:                         # emptyDir and anything else: an empty directory
            os.makedirs(target, exist_ok=True)
        return target

    def _field(self, path):
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        meta = self.pod["metadata"]
        if m:
            return (meta.get(m.group(1)) or {}).get(m.group(2), "")
        simple = {"metadata.name": meta["name"], "metadata.namespace": self.ns, "metadata.uid": self.uid,
                  "spec.nodeName": "devcluster", "spec.serviceAccountName": self.pod["spec"].get("serviceAccountName", "default"),
                  "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1", "status.podIPs": "127.0.0.1"}
        if path not in simple:
            raise ConfigError("CreateContainerConfigError", "unsupported fieldRef %s" % path)
        return simple[path]

    def _prepare_container(self, c, vols, sa_dir):
        spec = c.spec
        mounts = []
        for m in spec.get("volumeMounts") or []:
            if m["name"] not in vols:
                raise ConfigError("CreateContainerConfigError", "volume %s not found" % m["name"])
            host = vols[m["name"]]
            if m.get("subPath"):
                host = os.path.join(host, m["subPath"])
            mounts.append((m["mountPath"].rstrip("/") or "/", host))
        if self.pod["spec"].get("automountServiceAccountToken", True) and not any(mp == SA_DIR for mp, _ in mounts):
            mounts.append((SA_DIR, sa_dir))
        mounts.sort(key=lambda x: -len(x[0]))
        pattern = re.compile(r"(?<![\w.-])(%s)(?=/|$|[^\w.-])" % "|".join(re.escape(mp) for mp, _ in mounts)) \
            if mounts else None
        table = dict(mounts)

        def rewrite(s):
            return pattern.sub(lambda mm: table[mm.group(1)], s) if pattern else s

        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir, "HOSTNAME": self.name,
               "LANG": "C.UTF-8", "TIDEMARK_POD_DIR": self.dir}
        env.update({k: v for k, v in self.kubelet.env_extra.items() if not k.startswith("_")})

        def expand(s):
            return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                          lambda mm: "$" if mm.group(0) == "$$" else env.get(mm.group(1), mm.group(0)), s)

        for src in spec.get("envFrom") or []:
            prefix = src.get("prefix", "")
            if "secretRef" in src:
                data = self._secret(src["secretRef"]["name"], src["secretRef"].get("optional", False)) or {}
            else:
                data = self._configmap(src["configMapRef"]["name"], src["configMapRef"].get("optional", False)) or {}
            for k, v in data.items():
                env[prefix + k] = v.decode(errors="replace")
        for e in spec.get("env") or []:
            if "valueFrom" in e:
                vf = e["valueFrom"]
                if "secretKeyRef" in vf:
                    ref = vf["secretKeyRef"]
                    data = self._secret(ref["name"], ref.get("optional", False))
                    if data is None:
                        continue
                    if ref["key"] not in data:
                        if ref.get("optional"):
                            continue
                        raise ConfigError("CreateContainerConfigError",
                                          "couldn't find key %s in Secret %s/%s" % (ref["key"], self.ns, ref["name"]))
                    env[e["name"]] = data[ref["key"]].decode(errors="replace")
                elif "configMapKeyRef" in vf:
                    ref = vf["configMapKeyRef"]
                    data = self._configmap(ref["name"], ref.get("optional", False))
                    if data is None or ref["key"] not in data:
                        if ref.get("optional"):
                            continue
                        raise ConfigError("CreateContainerConfigError",
                                          "couldn't find key %s in ConfigMap %s/%s" % (ref["key"], self.ns, ref["name"]))
                    env[e["name"]] = data[ref["key"]].decode(errors="replace")
                elif "fieldRef" in vf:
                    env[e["name"]] = self._field(vf["fieldRef"]["fieldPath"])
                else:
                    env[e["name"]] = ""
            else:
                env[e["name"]] = rewrite(expand(e.get("value", "")))
        command = [rewrite(expand(x)) for x in spec.get("command") or []]
        args = [rewrite(expand(x)) for x in spec.get("args") or []]
        if not command:
            repo = spec["image"].split("@")[0].rsplit("/", 1)[-1].split(":")[0]
            if repo == "tidemark":
                raise ConfigError("CreateContainerConfigError",
                                  "container %s has no command; image %s holds several binaries "
                                  "(tidemark-runner, tidemark-operator): set command" % (c.name, spec["image"]))
            command = [repo]
        binary = self.kubelet.find_binary(command[0])
        c.start_error = None
        if binary is None:
            # The container exists but its command does not: the runtime fails the start, as
            # containerd does for an executable missing from the image.
            c.start_error = ('failed to create containerd task: exec: "%s": executable file not found in $PATH '
                             '(devcluster: no %s in %s; build it, or pass --bin-dir / TIDEMARK_BIN_DIR)'
                             % (command[0], os.path.basename(command[0]), ", ".join(self.kubelet.bin_dirs)))
            binary = command[0]
        c.argv = [binary] + command[1:] + args
        c.env = env

    # ---- running ----------------------------------------------------------------------------

    def log_path(self, container, previous=False):
        with self.lock:
            c = next((x for x in self.containers if x.name == container), None)
            if c is None or c.runs == 0:
                return None
            # In back-off the latest run is both the current and the previous instance.
            waiting = c.proc is None and not c.done
            run = c.runs - 1 - (1 if previous and not waiting else 0)
            if run < 0:
                return None
            return os.path.join(self.dir, "logs", "%s.%d.log" % (container, run))

    def container_running(self, container):
        with self.lock:
            c = next((x for x in self.containers if x.name == container), None)
            return c is not None and c.proc is not None and c.proc.poll() is None

    def _publish(self, phase=None, reason=None, message=None):
        now_ready = all(c.proc is not None and c.proc.poll() is None for c in self.containers)
        statuses = []
        for c in self.containers:
            running = c.proc is not None and c.proc.poll() is None
            statuses.append({"name": c.name, "image": c.spec.get("image", ""),
                             "imageID": "devcluster://%s" % (c.argv[0] if c.argv else ""),
                             "containerID": "process://%d" % c.proc.pid if c.proc else "",
                             "ready": running, "started": running, "restartCount": c.restarts,
                             "state": copy.deepcopy(c.state), "lastState": copy.deepcopy(c.last_state)})
        if phase is None:
            if all(c.done for c in self.containers):
                codes = [c.state.get("terminated", {}).get("exitCode", 1) for c in self.containers]
                phase = "Succeeded" if all(x == 0 for x in codes) else "Failed"
            elif any(c.runs > 0 for c in self.containers):
                phase = "Running"
            else:
                phase = "Pending"
        ts = self.start_time or printing.now_rfc3339()
        ready = "True" if now_ready and phase == "Running" else "False"
        status = {"phase": phase, "qosClass": "BestEffort", "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
                  "podIPs": [{"ip": "127.0.0.1"}], "startTime": ts, "containerStatuses": statuses,
                  "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": ts},
                                 {"type": "Initialized", "status": "True", "lastTransitionTime": ts},
                                 {"type": "ContainersReady", "status": ready, "lastTransitionTime": ts},
                                 {"type": "Ready", "status": ready, "lastTransitionTime": ts}]}
        if reason:
            status.update({"reason": reason, "message": message or ""})
        self.api.set_pod_status(self.ns, self.name, self.uid, status)

    def _launch(self, c):
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        path = os.path.join(self.dir, "logs", "%s.%d.log" % (c.name, c.runs))
        if c.start_error:
            with open(path, "w") as log:
                log.write(c.start_error + "\n")
            self.api.record_event(self.pod, "Warning", "Failed", "Error: " + c.start_error)
            now = printing.now_rfc3339()
            with self.lock:
                c.runs += 1
                self._terminated(c, {"exitCode": 128, "reason": "StartError", "message": c.start_error,
                                     "startedAt": "1970-01-01T00:00:00Z", "finishedAt": now})
            return
        with open(path, "wb") as log:
            try:
                proc = subprocess.Popen(c.argv, env=c.env, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                log.write(("devcluster: can't start %s: %s\n" % (c.argv[0], e)).encode())
                proc = subprocess.Popen(["/bin/sh", "-c", "exit 128"], stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        # Only the binary: arguments may carry values that must not reach an Event.
        self.api.record_event(self.pod, "Normal", "Started", "Started container %s (%s, pid %d)"
                              % (c.name, c.argv[0], proc.pid))
        with self.lock:
            c.proc = proc
            c.runs += 1
            c.started_at = printing.now_rfc3339()
            c.state = {"running": {"startedAt": c.started_at}}

    def _reap(self, c):
        code = c.proc.returncode
        term = {"exitCode": code if code >= 0 else 128 - code, "reason": "Completed" if code == 0 else "Error",
                "startedAt": c.started_at, "finishedAt": printing.now_rfc3339(),
                "containerID": "process://%d" % c.proc.pid}
        if code < 0:
            term["signal"] = -code
        if c.oom_killed:
            term["reason"] = "OOMKilled"
            c.oom_killed = False
        self._terminated(c, term)

    def _terminated(self, c, term):
        code = term["exitCode"]
        restart = self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and code != 0)
        if restart and not self.stop_requested.is_set():
            delay = min(10.0, 1.0 * (2 ** min(c.restarts, 4)))
            c.last_state = {"terminated": term}
            c.state = {"waiting": {"reason": "CrashLoopBackOff" if code != 0 else "Completed",
                                   "message": "back-off %ds restarting container %s" % (delay, c.name)}}
            c.restarts += 1
            c.next_start = time.monotonic() + delay
        else:
            c.state = {"terminated": term}
            c.done = True
        if not c.done:
            c.proc = None               # relaunched by the monitor loop after the back-off

    def _run(self):
        try:
            self._run_inner()
        except Exception:
            import traceback
            traceback.print_exc()
        finally:
            self.finished.set()
            if self.remove_after:
                self.api.finish_pod_termination(self.ns, self.name, self.uid)

    def _run_inner(self):
        # Preparation repeats until it works: a missing Secret or binary may appear later.
        while not self.stop_requested.is_set():
            try:
                vols, sa = self._prepare_volumes()
                for c in self.containers:
                    self._prepare_container(c, vols, sa)
                break
            except MountError as e:
                if getattr(self, "_last_config_error", None) != e.message:
                    self._last_config_error = e.message
                    self.api.record_event(self.pod, "Warning", "FailedMount", e.message)
                self.kubelet._set_status(self.pod, self.kubelet._pending_status(self.pod, "ContainerCreating", None))
                self.stop_requested.wait(1.0)
            except ConfigError as e:
                if getattr(self, "_last_config_error", None) != e.message:
                    self._last_config_error = e.message
                    self.api.record_event(self.pod, "Warning", "Failed", "Error: %s" % e.message)
                self.kubelet._set_status(self.pod, self.kubelet._pending_status(self.pod, e.reason, e.message))
                self.stop_requested.wait(1.0)
        if self.stop_requested.is_set():
            return
        self.start_time = printing.now_rfc3339()
        for c in self.containers:
            self._launch(c)
        self._publish()
        next_check = 0.0
        while True:
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + 0.2
                self._enforce_memory_limits()
                if self._evict_if_asked():
                    return
            changed = False
            for c in self.containers:
                if c.proc is not None and not c.done and c.proc.poll() is not None:
                    with self.lock:
                        self._reap(c)
                    changed = True
                elif c.proc is None and not c.done and time.monotonic() >= c.next_start \
                        and not self.stop_requested.is_set():
                    self._launch(c)
                    changed = True
            if changed:
                self._publish()
            if all(c.done for c in self.containers):
                return
            if self.stop_requested.is_set():
                self._terminate()
                return
            self.stop_requested.wait(0.1)

    def _enforce_memory_limits(self):
        """A container over its memory limit is killed (SIGKILL) and reported OOMKilled with exit
        code 137, as the kernel's cgroup OOM killer and a real kubelet do."""
        for c in self.containers:
            if c.memory_limit and c.proc is not None and c.proc.poll() is None \
                    and tree_rss(c.proc.pid) > c.memory_limit:
                c.oom_killed = True
                _signal_group(c.proc, signal.SIGKILL)

    def _evict_if_asked(self):
        """Node-pressure eviction, which this node never feels by itself: the annotation
        devcluster.tidemark.dev/evict=MESSAGE makes the kubelet evict the pod as under pressure
        (containers killed, phase Failed, reason Evicted, the message). Returns True when evicted."""
        current = self.api.store.get(self.kubelet.pods_key, self.ns, self.name)
        if current is None or current["metadata"]["uid"] != self.uid:
            return False
        message = (current["metadata"].get("annotations") or {}).get(EVICT_ANNOTATION)
        if not message:
            return False
        self.api.record_event(self.pod, "Warning", "Evicted", message)
        for c in self.containers:
            if c.proc is not None and c.proc.poll() is None:
                _signal_group(c.proc, signal.SIGKILL)
                c.proc.wait()
        with self.lock:
            for c in self.containers:
                if c.proc is not None and not c.done:
                    self.stop_requested.set()
                    self._reap(c)
                c.done = True
        self._publish(phase="Failed", reason="Evicted", message=message)
        return True

    def _terminate(self):
        live = [c for c in self.containers if c.proc is not None and c.proc.poll() is None]
        for c in live:
            self.api.record_event(self.pod, "Normal", "Killing", "Stopping container %s" % c.name)
        for c in live:
            _signal_group(c.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(c.proc.poll() is None for c in live):
            time.sleep(0.05)
        for c in live:
            if c.proc.poll() is None:
                _signal_group(c.proc, signal.SIGKILL)
                c.proc.wait()
        for c in self.containers:
            if c.proc is not None and not c.done:
                with self.lock:
                    self.stop_requested.set()
                    self._reap(c)
            elif c.proc is None and not c.done:
                c.done = True           # was waiting to restart
                c.state = c.last_state or {"terminated": {"exitCode": 0, "reason": "Completed"}}
        self._publish()


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
