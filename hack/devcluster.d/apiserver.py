"""API semantics, independent of HTTP: create/get/list/update/patch/delete with
resourceVersion checks, generation, status subresource rules, CRD defaulting, pruning and
validation, finalizers, deletionTimestamp, and cascading deletion through ownerReferences."""
import base64
import copy
import json
import re
import uuid

import yaml

import admission
import patch as patchlib
import printing
import schema as schemalib
from registry import CRDError
from store import SelectorError, fields_match, labels_match, parse_field_selector, parse_label_selector


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            out["details"] = self.details
        return out


def not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (rt.qualified, name),
                    {"name": name, "group": rt.group, "kind": rt.plural})


def conflict(rt, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again' % (rt.qualified, name),
                    {"name": name, "group": rt.group, "kind": rt.plural})


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def invalid(rt, name, errors):
    """422 Invalid from FieldErrors, worded like the real apiserver."""
    group_kind = "%s.%s" % (rt.kind, rt.group) if rt.group else rt.kind
    texts = [str(e) for e in errors]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (group_kind, name, body),
                    {"name": name, "group": rt.group, "kind": rt.kind,
                     "causes": [e.cause() for e in errors]})


_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SYSTEM_META = ("uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp",
               "deletionGracePeriodSeconds", "namespace", "name", "managedFields", "selfLink")


def _name_errors(rt, name):
    if rt.plural == "namespaces":
        ok, what, limit = _LABEL.match(name) and len(name) <= 63, "RFC 1123 label", 63
        detail = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                  "and must start and end with an alphanumeric character")
    else:
        ok, what, limit = _SUBDOMAIN.match(name) and len(name) <= 253, "RFC 1123 subdomain", 253
        detail = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character")
    if ok:
        return []
    return [schemalib.FieldError("metadata.name", "FieldValueInvalid",
                                 "Invalid value: %s: %s (e.g. 'example.com', regex used for validation is '%s'; max %d characters)"
                                 % (json.dumps(name), detail, "[a-z0-9]([-a-z0-9]*[a-z0-9])?" if what.endswith("label")
                                    else "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", limit))]


def _strip_volatile(obj):
    o = copy.deepcopy(obj)
    meta = o.get("metadata", {})
    for k in ("resourceVersion", "managedFields", "generation"):
        meta.pop(k, None)
    return o


class Options:
    """Per-request options the HTTP layer parsed."""

    def __init__(self, query=None):
        q = query or {}
        self.field_validation = q.get("fieldValidation", "Warn")
        self.field_manager = q.get("fieldManager")
        self.dry_run = q.get("dryRun") == "All"
        self.force = q.get("force") in ("true", "1")
        self.warnings = []


class Api:
    def __init__(self, registry, store):
        self.registry, self.store = registry, store
        self.on_crd_change = []         # callbacks after a CRD is (un)registered
        self.kubelet = None             # set by the kubelet: decides graceful pod deletion

    # ---- reads ------------------------------------------------------------------------------

    def get(self, rt, ns, name):
        obj = self.store.get(rt.store_key, ns, name)
        if obj is None:
            raise not_found(rt, name)
        return self._present(rt, obj)

    def _present(self, rt, obj):
        obj = dict(obj)                 # shallow: stored and history objects stay untouched
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        return obj

    def list(self, rt, ns, query):
        try:
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"))
        except SelectorError as e:
            raise bad_request(str(e))
        with self.store.lock:
            rv = self.store.rv
            items = [o for o in self.store.items(rt.store_key, ns)
                     if labels_match(labels, o["metadata"].get("labels")) and fields_match(fields, o)]
        start = 0
        if query.get("continue"):
            try:
                token = json.loads(base64.b64decode(query["continue"]).decode())
                rv = token["rv"]
                after = tuple(token["after"])
            except (ValueError, KeyError, TypeError):
                raise bad_request("continue key is not valid")
            if rv < self.store.compacted_rv:
                raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                               "list result. You can start a new list without the continue parameter.")
            start = next((i for i, o in enumerate(items)
                          if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after), len(items))
        items = items[start:]
        cont = None
        limit = int(query.get("limit") or 0)
        if limit > 0 and len(items) > limit:
            items = items[:limit]
            last = items[-1]["metadata"]
            cont = base64.b64encode(json.dumps({"rv": rv, "after": [last.get("namespace", ""), last["name"]]})
                                    .encode()).decode()
        items = [self._present(rt, o) for o in items]
        meta = {"resourceVersion": str(rv)}
        if cont:
            meta["continue"] = cont
            meta["remainingItemCount"] = max(0, len(self.store.items(rt.store_key, ns)) - start - len(items))
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": items}

    # ---- create -----------------------------------------------------------------------------

    def _check_body(self, rt, ns, body, name=None):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        if body.get("kind") and body["kind"] != rt.kind:
            raise bad_request("the kind of the provided object %r does not match the resource %s (kind %s)"
                              % (body["kind"], rt.plural, rt.kind))
        if body.get("apiVersion") and body["apiVersion"] != rt.api_version:
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (body["apiVersion"], rt.api_version))
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if name is not None and meta.get("name") and meta["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)" % (meta["name"], name))
        if name is not None:
            meta["name"] = name
        return body

    def _require_namespace(self, rt, ns):
        if rt.namespaced and self.store.get(("", "namespaces"), "", ns) is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                           {"name": ns, "kind": "namespaces"})

    def create(self, rt, ns, body, opts):
        body = self._check_body(rt, ns, copy.deepcopy(body))
        meta = body["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            else:
                raise invalid(rt, "", [schemalib.FieldError("metadata.name", "FieldValueRequired",
                                                            "Required value: name or generateName is required")])
        name = meta["name"]
        self._require_namespace(rt, ns)
        for k in SYSTEM_META:
            if k not in ("name", "namespace"):
                meta.pop(k, None)
        if "status" in rt.subresources and rt.is_custom:
            body.pop("status", None)
        self._prepare_builtin(rt, body, None)
        self._admit(rt, body, None, opts, status_only=False)
        if rt.plural == "pods" and not rt.is_custom:
            for check in (admission.service_account_error, admission.pod_security_error):
                why = check(self.store, ns, body)
                if why:
                    raise ApiError(403, "Forbidden", 'pods "%s" is forbidden: %s' % (name, why),
                                   {"name": name, "kind": "pods"})
        with self.store.lock:
            if self.store.get(rt.store_key, ns, name) is not None:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (rt.qualified, name),
                               {"name": name, "group": rt.group, "kind": rt.plural})
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = printing.now_rfc3339()
            meta["generation"] = 1
            body["apiVersion"], body["kind"] = rt.api_version, rt.kind
            if opts.dry_run:
                meta["resourceVersion"] = str(self.store.rv)
                return self._present(rt, body)
            meta["resourceVersion"] = str(self.store.next_rv())
            self.store.put(rt.store_key, body, "ADDED")
        self._after_write(rt, None, body)
        return self._present(rt, copy.deepcopy(body))

    # ---- update / patch ---------------------------------------------------------------------

    def update(self, rt, ns, name, body, opts, subresource=None):
        body = self._check_body(rt, ns, copy.deepcopy(body), name)
        with self.store.lock:
            old = self.store.get(rt.store_key, ns, name)
            if old is None:
                raise not_found(rt, name)
            rv = body["metadata"].get("resourceVersion")
            if rv:
                if rv != old["metadata"]["resourceVersion"]:
                    raise conflict(rt, name)
            elif rt.is_custom:
                raise invalid(rt, name, [schemalib.FieldError(
                    "metadata.resourceVersion", "FieldValueInvalid",
                    "Invalid value: 0x0: must be specified for an update")])
            return self._commit_update(rt, old, body, opts, subresource)

    def patch(self, rt, ns, name, content_type, raw, opts, subresource=None):
        ctype = (content_type or "").split(";")[0].strip()
        if ctype == "application/strategic-merge-patch+json" and rt.is_custom:
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types include: "
                           "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        if ctype not in ("application/merge-patch+json", "application/json-patch+json",
                         "application/strategic-merge-patch+json", "application/apply-patch+yaml"):
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types include: "
                           "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                           + ("" if rt.is_custom else ", application/strategic-merge-patch+json"))
        try:
            doc = yaml.safe_load(raw) if ctype == "application/apply-patch+yaml" else json.loads(raw or b"null")
        except (ValueError, yaml.YAMLError) as e:
            raise bad_request("error decoding patch: %s" % e)
        if ctype == "application/apply-patch+yaml":
            if not opts.field_manager:
                raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                               'is required for apply patch',
                               {"causes": [{"reason": "FieldValueRequired", "message": "Required value: is required for apply patch",
                                            "field": "fieldManager"}]})
            if not isinstance(doc, dict):
                raise bad_request("apply patch must be an object")
        with self.store.lock:
            old = self.store.get(rt.store_key, ns, name)
            if old is None:
                if ctype == "application/apply-patch+yaml" and subresource is None:
                    return self.create(rt, ns, doc, opts), True
                raise not_found(rt, name)
            try:
                if ctype == "application/merge-patch+json":
                    new = patchlib.merge_patch(old, doc)
                elif ctype == "application/json-patch+json":
                    new = patchlib.json_patch(old, doc)
                elif ctype == "application/strategic-merge-patch+json":
                    new = patchlib.strategic_merge(old, doc)
                else:
                    self._check_body(rt, ns, copy.deepcopy(doc), name)
                    new = patchlib.apply_merge(old, doc, rt.schema)
            except patchlib.PatchError as e:
                if e.code == 400:
                    raise bad_request(str(e))
                raise ApiError(422, "Invalid", str(e))
            if not isinstance(new, dict):
                raise bad_request("the patch did not produce an object")
            new = self._check_body(rt, ns, new, name)
            if new["metadata"].get("resourceVersion") != old["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            return self._commit_update(rt, old, new, opts, subresource), False

    def _commit_update(self, rt, old, new, opts, subresource):
        if subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        else:
            meta = new["metadata"]
            for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if k in old["metadata"]:
                    meta[k] = old["metadata"][k]
                else:
                    meta.pop(k, None)
            if "status" in rt.subresources:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            if old["metadata"].get("deletionTimestamp"):
                added = set(meta.get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
                if added:
                    raise invalid(rt, old["metadata"]["name"], [schemalib.FieldError(
                        "metadata.finalizers", "FieldValueForbidden",
                        "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers %s"
                        % json.dumps(sorted(added)))])
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        self._prepare_builtin(rt, new, old)
        self._admit(rt, new, old, opts, status_only=(subresource == "status"))
        if _strip_volatile(new) == _strip_volatile(old):
            return self._present(rt, old)
        if self._spec_changed(rt, old, new):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if opts.dry_run:
            return self._present(rt, new)
        new["metadata"]["resourceVersion"] = str(self.store.next_rv())
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers") \
                and not self._kubelet_holds(rt, new):
            self._remove(rt, new, old)
        else:
            self.store.put(rt.store_key, new, "MODIFIED", old)
            self._after_write(rt, old, new)
        return self._present(rt, copy.deepcopy(new))

    @staticmethod
    def _spec_changed(rt, old, new):
        a, b = copy.deepcopy(old), copy.deepcopy(new)
        for o in (a, b):
            o.pop("metadata", None)
            if "status" in rt.subresources:
                o.pop("status", None)
        return a != b

    # ---- admission: builtin preparation, CR schema -----------------------------------------

    def _prepare_builtin(self, rt, obj, old):
        if rt.is_custom:
            return
        if rt.plural == "secrets":
            data = obj.setdefault("data", {}) or {}
            for k, v in (obj.pop("stringData", None) or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
            if not obj.get("type"):
                obj["type"] = "Opaque"
        elif rt.plural == "namespaces" and old is None:
            obj["status"] = {"phase": "Active"}
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        elif rt.plural == "pods":
            spec = obj.setdefault("spec", {})
            spec.setdefault("restartPolicy", "Always")
            spec.setdefault("terminationGracePeriodSeconds", 30)
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("nodeName", "devcluster")
            if old is None:
                obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        elif rt.plural == "deployments":
            spec = obj.setdefault("spec", {})
            spec.setdefault("replicas", 1)
            spec.setdefault("strategy", {"type": "Recreate"})
        elif rt.plural == "events" and old is None:
            now = printing.now_rfc3339()
            obj.setdefault("count", 1)
            if not obj.get("eventTime"):
                obj.setdefault("firstTimestamp", now)
                obj.setdefault("lastTimestamp", now)
            obj.setdefault("type", "Normal")
        elif rt.plural == "customresourcedefinitions":
            spec = obj.get("spec") or {}
            if old is not None and old.get("spec") == spec and old.get("status"):
                obj["status"] = copy.deepcopy(old["status"])
                return
            obj["status"] = {
                "acceptedNames": spec.get("names", {}),
                "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")],
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": printing.now_rfc3339()},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted", "lastTransitionTime": printing.now_rfc3339()}]}

    def _admit(self, rt, obj, old, opts, status_only):
        name = obj["metadata"].get("name", "")
        errors = [] if old is not None else _name_errors(rt, name)
        if rt.plural == "customresourcedefinitions":
            try:
                self.registry.check_crd(obj)
            except CRDError as e:
                errors += [schemalib.FieldError(f, "FieldValueInvalid", m) for f, m in e.causes]
        elif rt.plural == "pods" and not status_only:
            containers = obj.get("spec", {}).get("containers")
            if not containers:
                errors.append(schemalib.FieldError("spec.containers", "FieldValueRequired", "Required value"))
            for i, c in enumerate(containers or []):
                for key in ("name", "image"):
                    if not c.get(key):
                        errors.append(schemalib.FieldError("spec.containers[%d].%s" % (i, key),
                                                           "FieldValueRequired", "Required value"))
        if rt.schema is not None:
            schema = rt.schema
            if status_only:
                sub = schemalib.schema_at(schema, ["status"]) or {}
                status = obj.get("status")
                if status is not None:
                    schemalib.apply_defaults(sub, status)
                    self._prune(sub, status, "status", opts)
                    errors += schemalib.validate(sub, status, "status",
                                                 (old or {}).get("status"))
            else:
                schemalib.apply_defaults(schema, obj)
                self._prune(schema, obj, "", opts)
                errors += schemalib.validate(schema, obj, "", old)
        if errors:
            raise invalid(rt, name, errors)

    def _prune(self, schema, value, path, opts):
        unknown = schemalib.prune(schema, value, path, root=(path == ""))
        if not unknown:
            return
        if opts.field_validation == "Strict":
            texts = ['unknown field "%s"' % u for u in unknown]
            raise bad_request("strict decoding error: " + ", ".join(texts))
        if opts.field_validation == "Warn":
            opts.warnings += ['unknown field "%s"' % u for u in unknown]

    # ---- delete -----------------------------------------------------------------------------

    def delete(self, rt, ns, name, options, opts):
        options = options or {}
        with self.store.lock:
            obj = self.store.get(rt.store_key, ns, name)
            if obj is None:
                raise not_found(rt, name)
            pre = options.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                               'UID in precondition: %s, UID in object meta: %s'
                               % (rt.qualified, name, pre["uid"], obj["metadata"]["uid"]),
                               {"name": name, "group": rt.group, "kind": rt.plural})
            if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                               'ResourceVersion in precondition: %s, ResourceVersion in object meta: %s'
                               % (rt.qualified, name, pre["resourceVersion"], obj["metadata"]["resourceVersion"]),
                               {"name": name, "group": rt.group, "kind": rt.plural})
            if opts.dry_run:
                return self._present(rt, obj)
            policy = options.get("propagationPolicy") or ("Orphan" if options.get("orphanDependents") else "Background")
            grace = options.get("gracePeriodSeconds")
            return self._delete_obj(rt, obj, policy, grace)

    def _delete_obj(self, rt, obj, policy="Background", grace=None):
        meta = obj["metadata"]
        if policy == "Orphan":
            self._orphan(obj)
        elif policy == "Foreground":
            self._cascade(obj)
        holds = self._kubelet_holds(rt, obj, grace)
        if meta.get("finalizers") or holds:
            if not meta.get("deletionTimestamp"):
                old = copy.deepcopy(obj)
                meta["deletionTimestamp"] = printing.now_rfc3339()
                meta["deletionGracePeriodSeconds"] = int(grace) if grace is not None else (
                    obj.get("spec", {}).get("terminationGracePeriodSeconds", 30) if rt.plural == "pods" else 0)
                meta["generation"] = meta.get("generation", 1) + 1
                meta["resourceVersion"] = str(self.store.next_rv())
                self.store.put(rt.store_key, obj, "MODIFIED", old)
                self._after_write(rt, old, obj)
            return self._present(rt, copy.deepcopy(obj))
        meta["resourceVersion"] = str(self.store.next_rv())
        self._remove(rt, obj, None)
        return self._present(rt, copy.deepcopy(obj))

    def _kubelet_holds(self, rt, obj, grace=None):
        """Whether a pod must wait for its processes to stop before it can go away."""
        if rt.plural != "pods" or self.kubelet is None or grace == 0 or grace == "0":
            return False
        return self.kubelet.is_running(obj)

    def finish_pod_termination(self, ns, name, uid):
        """Called by the kubelet once a terminating pod's processes are gone."""
        rt = self.registry.get("", "v1", "pods")
        with self.store.lock:
            obj = self.store.get(rt.store_key, ns, name)
            if obj is None or obj["metadata"]["uid"] != uid or not obj["metadata"].get("deletionTimestamp"):
                return
            if obj["metadata"].get("finalizers"):
                return
            obj["metadata"]["resourceVersion"] = str(self.store.next_rv())
            self._remove(rt, obj, None)

    def _remove(self, rt, obj, old):
        self.store.remove(rt.store_key, obj, old)
        self._after_delete(rt, obj)
        self._cascade(obj)

    def _dependents(self, owner):
        uid = owner["metadata"]["uid"]
        ns = owner["metadata"].get("namespace")   # None for a cluster-scoped owner: look everywhere
        for t in self.registry.all():
            if t.version != t.storage_version:
                continue
            for o in self.store.items(t.store_key, ns if ns else None):
                if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or []):
                    yield t, o

    def _orphan(self, owner):
        uid = owner["metadata"]["uid"]
        for t, o in list(self._dependents(owner)):
            old = copy.deepcopy(o)
            o["metadata"]["ownerReferences"] = [r for r in o["metadata"]["ownerReferences"] if r.get("uid") != uid]
            if not o["metadata"]["ownerReferences"]:
                del o["metadata"]["ownerReferences"]
            o["metadata"]["resourceVersion"] = str(self.store.next_rv())
            self.store.put(t.store_key, o, "MODIFIED", old)

    def _cascade(self, owner):
        """Background garbage collection: dependents whose owners are all gone are deleted."""
        uid = owner["metadata"]["uid"]
        for t, o in list(self._dependents(owner)):
            others = [r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if any(self._exists_uid(r, o["metadata"].get("namespace")) for r in others):
                continue
            current = self.store.get(t.store_key, o["metadata"].get("namespace", ""), o["metadata"]["name"])
            if current is not None and not current["metadata"].get("deletionTimestamp"):
                self._delete_obj(t, current)
        if owner.get("kind") == "Namespace":
            ns = owner["metadata"]["name"]
            for t in self.registry.all():
                if t.namespaced and t.version == t.storage_version:
                    for o in self.store.items(t.store_key, ns):
                        if not o["metadata"].get("deletionTimestamp"):
                            self._delete_obj(t, o)

    def _exists_uid(self, ref, ns):
        for t in self.registry.all():
            if t.kind == ref.get("kind") and t.api_version == ref.get("apiVersion"):
                o = self.store.get(t.store_key, ns if t.namespaced else "", ref.get("name"))
                return o is not None and o["metadata"]["uid"] == ref.get("uid")
        return False

    # ---- the scale subresource (autoscaling/v1 Scale) --------------------------------------

    def get_scale(self, rt, ns, name):
        return self._scale_of(rt, self.get(rt, ns, name))

    def _scale_of(self, rt, obj):
        def at(path):
            cur = obj
            for key in (path or "").lstrip(".").split("."):
                cur = cur.get(key) if isinstance(cur, dict) else None
            return cur
        selector = at(rt.scale.get("labelSelectorPath"))
        if isinstance(selector, dict):  # a LabelSelector object: render it as a string
            selector = ",".join("%s=%s" % kv for kv in sorted((selector.get("matchLabels") or {}).items()))
        meta = obj["metadata"]
        status = {"replicas": at(rt.scale["statusReplicasPath"]) or 0}
        if selector:
            status["selector"] = selector
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                             if k in meta},
                "spec": {"replicas": at(rt.scale["specReplicasPath"]) or 0}, "status": status}

    def update_scale(self, rt, ns, name, content_type, raw, opts, method):
        """PUT or PATCH of a Scale: only spec.replicas reaches the object."""
        with self.store.lock:
            obj = self.get(rt, ns, name)
            scale = self._scale_of(rt, obj)
            try:
                doc = json.loads(raw or b"null")
                ctype = (content_type or "").split(";")[0].strip()
                if method == "PUT":
                    new = doc
                elif ctype == "application/json-patch+json":
                    new = patchlib.json_patch(scale, doc)
                else:
                    new = patchlib.merge_patch(scale, doc)
            except (ValueError, patchlib.PatchError) as e:
                raise bad_request("invalid scale: %s" % e)
            replicas = (new.get("spec") or {}).get("replicas") if isinstance(new, dict) else None
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise invalid(rt, name, [schemalib.FieldError("spec.replicas", "FieldValueInvalid",
                                                              "Invalid value: %s: must be greater than or equal to 0"
                                                              % json.dumps(replicas))])
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != obj["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            keys = rt.scale["specReplicasPath"].lstrip(".").split(".")
            target = obj
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = replicas
            self._commit_update(rt, self.store.get(rt.store_key, ns, name), obj, opts, None)
            return self.get_scale(rt, ns, name)

    # ---- hooks for CRDs ---------------------------------------------------------------------

    def _after_write(self, rt, old, new):
        if rt.plural == "namespaces" and not rt.is_custom and old is None:
            # As the service account controller does: every namespace has a "default" one.
            sa = self.registry.get("", "v1", "serviceaccounts")
            if self.store.get(sa.store_key, new["metadata"]["name"], "default") is None:
                try:
                    self.create(sa, new["metadata"]["name"], {"metadata": {"name": "default"}}, Options())
                except ApiError:
                    pass
        if rt.plural == "customresourcedefinitions" and rt.group == "apiextensions.k8s.io" \
                and not new["metadata"].get("deletionTimestamp"):
            self.registry.register_crd(new)
            for cb in self.on_crd_change:
                cb()

    def _after_delete(self, rt, obj):
        if rt.plural == "customresourcedefinitions" and rt.group == "apiextensions.k8s.io":
            types = [t for t in self.registry.all() if t.crd == obj["metadata"]["name"]]
            for t in types:
                if t.version == t.storage_version:
                    for o in self.store.items(t.store_key):
                        o["metadata"]["resourceVersion"] = str(self.store.next_rv())
                        self.store.remove(t.store_key, o)
            self.registry.unregister_crd(obj["metadata"]["name"])
            for cb in self.on_crd_change:
                cb()

    # ---- internal helpers for the kubelet ---------------------------------------------------

    def set_pod_status(self, ns, name, uid, status):
        """Replaces a pod's status unless the pod is gone or was replaced."""
        rt = self.registry.get("", "v1", "pods")
        with self.store.lock:
            old = self.store.get(rt.store_key, ns, name)
            if old is None or old["metadata"]["uid"] != uid or old.get("status") == status:
                return
            new = copy.deepcopy(old)
            new["status"] = status
            new["metadata"]["resourceVersion"] = str(self.store.next_rv())
            self.store.put(rt.store_key, new, "MODIFIED", old)

    def record_event(self, obj, type_, reason, message, component="kubelet"):
        """Writes a core/v1 Event about obj, as kubelet and controllers do."""
        import time as _time
        rt = self.registry.get("", "v1", "events")
        meta = obj["metadata"]
        ns = meta.get("namespace") or "default"
        event = {"metadata": {"name": "%s.%x" % (meta["name"], _time.time_ns()), "namespace": ns},
                 "involvedObject": {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "Pod"),
                                    "name": meta["name"], "namespace": ns, "uid": meta["uid"],
                                    "resourceVersion": meta.get("resourceVersion", "")},
                 "type": type_, "reason": reason, "message": message,
                 "source": {"component": component, "host": "devcluster"},
                 "reportingComponent": component, "reportingInstance": "devcluster"}
        try:
            self.create(rt, ns, event, Options())
        except ApiError:
            pass

    def ensure_namespace(self, name):
        rt = self.registry.get("", "v1", "namespaces")
        if self.store.get(rt.store_key, "", name) is None:
            self.create(rt, "", {"metadata": {"name": name}}, Options())
