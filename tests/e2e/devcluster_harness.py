"""Starts hack/devcluster on a free port for one test and runs the real kubectl against it.

Each cluster gets its own temporary directory holding the kubeconfig, kubectl's discovery
cache (kubectl caches discovery per host:port for hours) and a bin dir for fake tidemark
binaries. stop() ends the dev cluster (which stops the processes it started) and removes
the directory."""
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import textwrap
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEVCLUSTER = os.path.join(REPO, "hack", "devcluster")
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
SKIP = 77          # ctest SKIP_RETURN_CODE


def stop_process(proc, timeout):
    """SIGTERM, then SIGKILL to its process group if it has not ended within `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def read(path):
    with open(path) as f:
        return f.read()


def prerequisites_missing():
    if not os.access(KUBECTL, os.X_OK):
        return "kubectl not found at %s" % KUBECTL
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import yaml"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return "/usr/bin/python3 with python3-yaml is needed (hack/install-deps.sh installs it)"
    return None


class Cluster:
    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="tidemark-e2e-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.cache = os.path.join(self.dir, "kube-cache")
        self.bin = os.path.join(self.dir, "bin")
        os.makedirs(self.bin)
        self.log = open(os.path.join(self.dir, "devcluster.log"), "w+")
        self.proc = subprocess.Popen([DEVCLUSTER, "--port", "0", "--kubeconfig", self.kubeconfig,
                                      "--bin-dir", self.bin, "--state-dir", os.path.join(self.dir, "state"),
                                      *extra_args],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.background = []
        deadline = time.monotonic() + 15
        while not os.path.exists(self.kubeconfig):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("devcluster did not start:\n" + self.logs())
            time.sleep(0.05)
        with open(self.kubeconfig) as f:
            server = next(line.split()[-1] for line in f if "server:" in line)
        self.url = server
        while True:
            try:
                urllib.request.urlopen(self.url + "/version", timeout=2, context=self._tls()).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("devcluster does not answer:\n" + self.logs())
                time.sleep(0.05)

    def _tls(self):
        """The dev cluster's certificate is self-signed; kubectl verifies it, this helper doesn't."""
        if not self.url.startswith("https"):
            return None
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def logs(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def env(self):
        env = dict(os.environ)
        env.update({"KUBECONFIG": self.kubeconfig, "KUBECACHEDIR": self.cache})
        return env

    def kubectl(self, *args, stdin=None, check=True, timeout=30):
        """Runs kubectl; returns CompletedProcess. check=True fails with its output."""
        cmd = [KUBECTL, "--cache-dir", self.cache, *args]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=self.env(), timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("FAILED: kubectl %s exited %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def kubectl_bg(self, *args):
        """Starts kubectl in the background with output to a file; returns (Popen, path)."""
        path = os.path.join(self.dir, "bg-%d.out" % len(self.background))
        with open(path, "w") as out:
            p = subprocess.Popen([KUBECTL, "--cache-dir", self.cache, *args], stdout=out, stderr=subprocess.STDOUT,
                                 env=self.env(), start_new_session=True)
        self.background.append(p)
        return p, path

    def apply(self, manifest, *flags):
        return self.kubectl("apply", "-f", "-", *flags, stdin=textwrap.dedent(manifest))

    def get_json(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def request(self, method, path, body=None, content_type="application/json", accept="application/json"):
        """A raw API call; returns (status code, decoded JSON body or text)."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=10, context=self._tls()) as r:
                code, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, raw = e.code, e.read()
        try:
            return code, json.loads(raw)
        except ValueError:
            return code, raw.decode(errors="replace")

    def add_binary(self, name, script):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(script).lstrip())
        os.chmod(path, 0o755)
        return path

    def wait_for(self, predicate, what, timeout=10.0, interval=0.1, details=None):
        """Polls `predicate` until it returns something true; on timeout fails with `details()`
        (default: the end of the dev cluster's log)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError("FAILED: timed out waiting for %s (last value %r)\n%s"
                             % (what, last, details() if details else "devcluster log:\n" + self.logs()[-3000:]))

    def stop(self):
        for p in self.background:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.wait()
        stop_process(self.proc, 10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
