"""HTTP front end: routing, discovery, OpenAPI, JSON/Table encoding, chunked watch streams and
pod logs. All semantics live in apiserver.Api; this file only speaks HTTP."""
import json
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openapi
import printing
import protobuf
from apiserver import ApiError, Options
from store import Expired, SelectorError, fields_match, labels_match, parse_field_selector, parse_label_selector

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.4-tidemark-devcluster", "gitCommit": "devcluster",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0",
           "compiler": "gc", "platform": "linux/amd64"}


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, api, kubelet, bookmark_interval=5.0, verbose=False):
        super().__init__(addr, Handler)
        self.api, self.kubelet = api, kubelet
        self.bookmark_interval = bookmark_interval
        self.verbose = verbose


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tidemark-devcluster"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # ---- plumbing ---------------------------------------------------------------------------

    def _body(self):
        return self._raw

    def _read_body(self):
        """Reads the whole request body up front, so an early error never leaves unread bytes on
        a kept-alive connection."""
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, code, obj, warnings=()):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for w in warnings:
            self.send_header("Warning", '299 - %s' % json.dumps(w))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, err):
        self._send(err.code, err.status())

    def _start_stream(self, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def _accept(self):
        accept = self.headers.get("Accept") or ""
        for part in accept.split(","):
            if "as=Table" in part:
                return "Table"
            if "as=PartialObjectMetadata" in part:
                return "Partial"
            if part.strip().split(";")[0] in ("application/json", "*/*", ""):
                return "json"
        return "json"

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        self._raw = self._read_body()
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/") if p]
        try:
            self._route(method, parts, query)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # a bug here must not kill the connection silently
            import traceback
            traceback.print_exc()
            self._error(ApiError(500, "InternalError", "devcluster: %s: %s" % (type(e).__name__, e)))

    # ---- routing ----------------------------------------------------------------------------

    def _route(self, method, parts, query):
        reg = self.server.api.registry
        if method == "GET":
            if parts == ["version"]:
                return self._send(200, VERSION)
            if parts in (["healthz"], ["readyz"], ["livez"]):
                data = b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                return self.wfile.write(data)
            if parts == ["api"]:
                host = "127.0.0.1:%d" % self.server.server_address[1]
                return self._send(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
            if parts == ["apis"]:
                return self._send(200, self._group_list())
            if len(parts) == 2 and parts[0] == "apis":
                g = next((x for x in self._group_list()["groups"] if x["name"] == parts[1]), None)
                if g is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return self._send(200, dict(g, kind="APIGroup", apiVersion="v1"))
            if parts[:2] == ["openapi", "v3"]:
                return self._openapi(parts[2:])
            if parts[:1] == ["openapi"]:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            types = [t for t in reg.all() if t.group == group and t.version == version]
            if not types:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            resources = [r for t in sorted(types, key=lambda t: t.plural) for r in t.discovery()]
            return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                    "groupVersion": "%s/%s" % (group, version) if group else version,
                                    "resources": resources})
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            rt = reg.get(group, version, rest[2])
            if rt is not None and rt.namespaced:
                ns, rest = rest[1], rest[2:]
        rt = reg.get(group, version, rest[0])
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if rt.namespaced and ns is None and len(rest) > 1:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (sub is not None and sub not in rt.subresources):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self._resource(method, rt, ns, name, sub, query)

    def _group_list(self):
        groups = []
        for group, versions in self.server.api.registry.group_versions().items():
            if not group:
                continue
            vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
            groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _openapi(self, rest):
        reg = self.server.api.registry
        if not rest:
            return self._send(200, openapi.index(reg))
        if rest[0] == "api" and len(rest) == 2:
            group, version = "", rest[1]
        elif rest[0] == "apis" and len(rest) == 3:
            group, version = rest[1], rest[2]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if version not in reg.group_versions().get(group, []):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._send(200, openapi.gv_document(reg, group, version))

    # ---- resources --------------------------------------------------------------------------

    def _resource(self, method, rt, ns, name, sub, query):
        api = self.server.api
        opts = Options(query)
        if sub == "log":
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return self._logs(rt, ns, name, query)
        if name is None:
            if method == "GET":
                if query.get("watch") in ("true", "1"):
                    return self._watch(rt, ns, query)
                lst = api.list(rt, ns, query)
                return self._send(200, self._encode_list(rt, lst, query))
            if method == "POST":
                if rt.namespaced and ns is None:
                    raise ApiError(405, "MethodNotAllowed", "create needs a namespace")
                obj = api.create(rt, ns or "", self._json(), opts)
                return self._send(201, obj, opts.warnings)
            if method == "DELETE":
                return self._delete_collection(rt, ns, query, opts)
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        ns = ns or ""
        if sub == "scale":
            if method == "GET":
                return self._send(200, api.get_scale(rt, ns, name))
            if method in ("PUT", "PATCH"):
                return self._send(200, api.update_scale(rt, ns, name, self.headers.get("Content-Type"),
                                                        self._body(), opts, method))
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if method == "GET":
            obj = api.get(rt, ns, name)
            if query.get("watch") in ("true", "1"):
                query["fieldSelector"] = "metadata.name=%s" % name
                return self._watch(rt, ns, query)
            return self._send(200, self._encode_one(rt, obj, query))
        if method == "PUT":
            return self._send(200, api.update(rt, ns, name, self._json(), opts, sub), opts.warnings)
        if method == "PATCH":
            obj, created = api.patch(rt, ns, name, self.headers.get("Content-Type"), self._body(), opts, sub)
            return self._send(201 if created else 200, obj, opts.warnings)
        if method == "DELETE":
            body = self._body()
            try:
                options = json.loads(body) if body.strip() else {}
            except ValueError:
                raise ApiError(400, "BadRequest", "the body of the delete request is not valid JSON")
            for k in ("propagationPolicy", "gracePeriodSeconds"):
                if k in query:
                    options[k] = int(query[k]) if k == "gracePeriodSeconds" else query[k]
            return self._send(200, api.delete(rt, ns, name, options, opts))
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _delete_collection(self, rt, ns, query, opts):
        api = self.server.api
        lst = api.list(rt, ns, query)
        for o in lst["items"]:
            try:
                api.delete(rt, o["metadata"].get("namespace", ""), o["metadata"]["name"], {}, opts)
            except ApiError:
                pass
        return self._send(200, lst)

    def _json(self):
        raw = self._body()
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            try:
                return protobuf.decode(raw)
            except protobuf.ProtobufError as e:
                raise ApiError(415, "UnsupportedMediaType", str(e))
        if ctype not in ("application/json", "application/yaml", "*/*", ""):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "accepted media types include: application/json, application/yaml")
        try:
            if ctype == "application/yaml":
                import yaml
                return yaml.safe_load(raw)
            return json.loads(raw or b"null")
        except ValueError as e:
            raise ApiError(400, "BadRequest", "the object provided is not valid JSON: %s" % e)

    # ---- encoding ---------------------------------------------------------------------------

    def _encode_one(self, rt, obj, query):
        mode = self._accept()
        if mode == "Table":
            cols, fn = rt.columns
            return printing.make_table(cols, fn, [obj], query.get("includeObject", "Metadata"),
                                       obj["metadata"]["resourceVersion"])
        if mode == "Partial":
            return printing.partial_metadata(obj)
        return obj

    def _encode_list(self, rt, lst, query):
        mode = self._accept()
        if mode == "Table":
            cols, fn = rt.columns
            return printing.make_table(cols, fn, lst["items"], query.get("includeObject", "Metadata"),
                                       lst["metadata"]["resourceVersion"], cont=lst["metadata"].get("continue"))
        if mode == "Partial":
            return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": lst["metadata"],
                    "items": [printing.partial_metadata(o) for o in lst["items"]]}
        return lst

    # ---- watch ------------------------------------------------------------------------------

    def _watch(self, rt, ns, query):
        api, store = self.server.api, self.server.api.store
        try:
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"))
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e))
        rv_param = query.get("resourceVersion", "")
        send_initial = query.get("sendInitialEvents") == "true"
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        deadline = time.monotonic() + timeout if timeout else None
        mode = self._accept()
        include = query.get("includeObject", "Metadata")

        def matches(obj):
            if obj is None:
                return False
            if ns is not None and obj["metadata"].get("namespace", "") != ns:
                return False
            return labels_match(labels, obj["metadata"].get("labels")) and fields_match(fields, obj)

        initial = []
        with store.lock:
            if rv_param in ("", "0") or send_initial:
                start = store.rv
                initial = [o for o in store.items(rt.store_key, ns) if matches(o)]
            else:
                try:
                    start = int(rv_param)
                except ValueError:
                    raise ApiError(400, "BadRequest", "invalid resourceVersion %r" % rv_param)
            try:
                store.events_after(start)
                expired = None
            except Expired as e:
                expired = str(e)
        self._start_stream()
        headers_sent = [False]

        def emit(kind, obj):
            if kind != "BOOKMARK" and kind != "ERROR":
                obj = api._present(rt, obj)
                if mode == "Table":
                    cols, fn = rt.columns
                    obj = printing.make_table(cols, fn, [obj], include, obj["metadata"]["resourceVersion"],
                                              headers=not headers_sent[0])
                    headers_sent[0] = True
                elif mode == "Partial":
                    obj = printing.partial_metadata(obj)
            self._chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

        def bookmark(rv, initial_end=False):
            meta = {"resourceVersion": str(rv)}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            emit("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta})

        try:
            if expired:
                emit("ERROR", {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": expired, "reason": "Expired", "code": 410})
                return self._end_stream()
            for o in initial:
                emit("ADDED", o)
            if send_initial and bookmarks:
                bookmark(start, initial_end=True)
            last, last_sent = start, time.monotonic()
            while not store.closing:
                try:
                    events = store.events_after(last)
                except Expired as e:
                    emit("ERROR", {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": str(e), "reason": "Expired", "code": 410})
                    break
                for ev in events:
                    last = ev.rv
                    if ev.key != rt.store_key:
                        continue
                    was, now = matches(ev.old), matches(ev.obj)
                    if ev.type == "DELETED":
                        if now or was:
                            emit("DELETED", ev.obj)
                    elif now and was:
                        emit("MODIFIED", ev.obj)
                    elif now:
                        emit("ADDED", ev.obj)
                    elif was:
                        emit("DELETED", ev.obj)
                    else:
                        continue
                    last_sent = time.monotonic()
                if events:
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if bookmarks and mode == "json" and time.monotonic() - last_sent >= self.server.bookmark_interval:
                    bookmark(last)
                    last_sent = time.monotonic()
                wait = 0.5
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - time.monotonic()))
                store.wait(wait)
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    # ---- logs -------------------------------------------------------------------------------

    def _logs(self, rt, ns, name, query):
        api, kubelet = self.server.api, self.server.kubelet
        pod = api.get(rt, ns, name)
        containers = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                raise ApiError(400, "BadRequest", "a container name must be specified for pod %s, choose one of: [%s]"
                               % (name, " ".join(containers)))
            container = containers[0]
        if container not in containers:
            raise ApiError(400, "BadRequest", "container %s is not valid for pod %s" % (container, name))
        path = kubelet.log_path(pod, container, previous=query.get("previous") == "true") if kubelet else None
        if path is None:
            raise ApiError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: %s'
                           % (container, name, kubelet.waiting_reason(pod) if kubelet else "ContainerCreating"))
        f = open(path, "rb")
        try:
            self._send_log(f, pod, container, query)
        finally:
            f.close()

    def _send_log(self, f, pod, container, query):
        api, kubelet = self.server.api, self.server.kubelet
        data = f.read()
        tail = query.get("tailLines")
        if tail is not None:
            n = int(tail)
            lines = data.splitlines(keepends=True)
            data = b"".join(lines[-n:]) if n > 0 else b""
        limit = query.get("limitBytes")
        if limit:
            data = data[:int(limit)]
        if query.get("follow") not in ("true", "1"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        self._start_stream("text/plain")
        try:
            if data:
                self._chunk(data)
            while not api.store.closing:
                more = f.read(65536)
                if more:
                    self._chunk(more)
                    continue
                if not kubelet.container_running(pod, container):
                    more = f.read()
                    if more:
                        self._chunk(more)
                    break
                time.sleep(0.1)
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
