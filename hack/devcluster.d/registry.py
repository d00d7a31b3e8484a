"""Resource types the dev cluster serves: a fixed set of builtins and whatever the loaded
CustomResourceDefinitions declare. Discovery, OpenAPI, tables and validation all read these."""
import threading

import cel
import printing
import schema as schemalib

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class ResourceType:
    def __init__(self, group, version, plural, singular, kind, namespaced, short_names=(),
                 categories=(), subresources=(), schema=None, printer_columns=None, crd=None,
                 list_kind=None, storage_version=None):
        self.group, self.version, self.plural, self.singular = group, version, plural, singular
        self.kind, self.namespaced = kind, namespaced
        self.list_kind = list_kind or kind + "List"
        self.short_names, self.categories = list(short_names), list(categories)
        self.subresources = set(subresources)
        self.schema = schema                    # openAPIV3Schema for custom resources, else None
        self.crd = crd                          # name of the defining CRD, or None for builtins
        self.storage_version = storage_version or version
        self.scale = None               # {specReplicasPath, statusReplicasPath, labelSelectorPath}
        if crd is not None:
            self.columns = printing.crd_columns(printer_columns)
        else:
            self.columns = printing.BUILTIN_TABLES.get(plural) or printing.default_table()

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def store_key(self):
        return (self.group, self.plural)

    @property
    def is_custom(self):
        return self.crd is not None

    @property
    def qualified(self):
        """`plural.group` as in error messages (`migrationjobs.tidemark.dev "x" not found`)."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    def discovery(self):
        out = [{"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                "kind": self.kind, "verbs": ALL_VERBS}]
        if self.short_names:
            out[0]["shortNames"] = self.short_names
        if self.categories:
            out[0]["categories"] = self.categories
        for sub in sorted(self.subresources):
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            entry = {"name": "%s/%s" % (self.plural, sub), "singularName": "", "namespaced": self.namespaced,
                     "kind": {"log": "Pod", "scale": "Scale"}.get(sub, self.kind), "verbs": verbs}
            if sub == "scale":
                entry.update(group="autoscaling", version="v1")
            out.append(entry)
        return out


def _builtin_types():
    types = _builtin_list()
    for t in types:
        if t.plural == "deployments":
            t.scale = {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                       "labelSelectorPath": ".spec.selector"}
    return types


def _builtin_list():
    B = ResourceType
    return [
        B("", "v1", "namespaces", "namespace", "Namespace", False, ["ns"], subresources=["status"]),
        B("", "v1", "pods", "pod", "Pod", True, ["po"], ["all"], subresources=["status", "log"]),
        B("", "v1", "secrets", "secret", "Secret", True),
        B("", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"]),
        B("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ["sa"]),
        B("", "v1", "events", "event", "Event", True, ["ev"]),
        B("", "v1", "services", "service", "Service", True, ["svc"], ["all"], subresources=["status"]),
        B("apps", "v1", "deployments", "deployment", "Deployment", True, ["deploy"], ["all"],
          subresources=["status", "scale"]),
        B("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
        # Stored so RBAC manifests (the Helm chart's) apply; nothing enforces them.
        B("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True),
        B("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", True),
        B("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", False),
        B("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False),
        B("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
          "CustomResourceDefinition", False, ["crd", "crds"], subresources=["status"]),
    ]


class CRDError(Exception):
    """A CRD the dev cluster can't serve; `causes` are (field, message) pairs."""

    def __init__(self, causes):
        super().__init__("; ".join("%s: %s" % c for c in causes))
        self.causes = causes


class Registry:
    def __init__(self):
        self.lock = threading.RLock()
        self.types = {}                 # (group, version, plural) -> ResourceType
        for t in _builtin_types():
            self.types[(t.group, t.version, t.plural)] = t

    def get(self, group, version, plural):
        with self.lock:
            return self.types.get((group, version, plural))

    def all(self):
        with self.lock:
            return list(self.types.values())

    def group_versions(self):
        """{group: [versions]} in a stable order, core ("") first."""
        out = {}
        for t in sorted(self.all(), key=lambda t: (t.group != "", t.group, t.version)):
            out.setdefault(t.group, [])
            if t.version not in out[t.group]:
                out[t.group].append(t.version)
        return out

    def by_kind(self, api_version, kind):
        for t in self.all():
            if t.api_version == api_version and t.kind == kind:
                return t
        return None

    # ---- CRDs -------------------------------------------------------------------------------

    @staticmethod
    def check_crd(crd):
        causes = []
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        group = spec.get("group")
        if not group:
            causes.append(("spec.group", "Required value"))
        for key in ("plural", "kind"):
            if not names.get(key):
                causes.append(("spec.names.%s" % key, "Required value"))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(("spec.scope", "Unsupported value: %r: supported values: \"Cluster\", \"Namespaced\"" % spec.get("scope")))
        versions = spec.get("versions") or []
        if not versions:
            causes.append(("spec.versions", "Required value: must have exactly one version marked as storage version"))
        if versions and sum(1 for v in versions if v.get("storage")) != 1:
            causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
        expected = "%s.%s" % (names.get("plural"), group)
        if crd.get("metadata", {}).get("name") != expected:
            causes.append(("metadata.name", "Invalid value: %r: must be spec.names.plural+\".\"+spec.group" % crd.get("metadata", {}).get("name")))
        for i, v in enumerate(versions):
            schema = (v.get("schema") or {}).get("openAPIV3Schema")
            if not schema:
                causes.append(("spec.versions[%d].schema.openAPIV3Schema" % i, "Required value: schemas are required"))
                continue
            for path, rule, node in _rules(schema, "spec.versions[%d].schema.openAPIV3Schema" % i):
                try:
                    cel.compile_rule(rule.get("rule", ""))
                except cel.CelError as e:
                    causes.append((path + ".rule", "Invalid value: %r: the dev cluster's CEL subset can't compile it: %s"
                                   % (rule.get("rule"), e)))
                fp = rule.get("fieldPath")
                if fp and not schemalib.field_path_exists(node, fp):
                    causes.append((path + ".fieldPath", "Invalid value: %r: fieldPath must refer to a field declared "
                                   "in the schema under this rule" % fp))
        if causes:
            raise CRDError(causes)

    def register_crd(self, crd):
        """Adds (or replaces) the types a CRD declares; returns them."""
        self.check_crd(crd)
        spec, name = crd["spec"], crd["metadata"]["name"]
        names = spec["names"]
        storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
        added = []
        with self.lock:
            self.unregister_crd(name)
            for v in spec["versions"]:
                if not v.get("served", True):
                    continue
                declared = v.get("subresources") or {}
                subs = [x for x in ("status", "scale") if x in declared]
                t = ResourceType(spec["group"], v["name"], names["plural"], names.get("singular") or names["kind"].lower(),
                                 names["kind"], spec["scope"] == "Namespaced", names.get("shortNames") or [],
                                 names.get("categories") or [], subs, v["schema"]["openAPIV3Schema"],
                                 v.get("additionalPrinterColumns"), crd=name, list_kind=names.get("listKind"),
                                 storage_version=storage)
                t.scale = declared.get("scale")
                self.types[(t.group, t.version, t.plural)] = t
                added.append(t)
        return added

    def unregister_crd(self, name):
        with self.lock:
            for key in [k for k, t in self.types.items() if t.crd == name]:
                del self.types[key]


def _rules(schema, path):
    if not isinstance(schema, dict):
        return
    for i, r in enumerate(schema.get("x-kubernetes-validations") or []):
        yield "%s.x-kubernetes-validations[%d]" % (path, i), r, schema
    for key, sub in (schema.get("properties") or {}).items():
        yield from _rules(sub, "%s.properties[%s]" % (path, key))
    if isinstance(schema.get("items"), dict):
        yield from _rules(schema["items"], path + ".items")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _rules(schema["additionalProperties"], path + ".additionalProperties")
