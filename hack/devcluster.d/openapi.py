"""OpenAPI v3 documents: the index at /openapi/v3 and one document per group-version.

kubectl needs a PATCH operation per kind that lists the fieldValidation parameter (else
`apply`/`create` fail with "failed to download openapi" under default validation), and the
component schemas with x-kubernetes-group-version-kind for `kubectl explain`. Custom resources
get their CRD schema; builtins get a minimal object schema."""
import copy
import hashlib
import json

OBJECT_META = {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name must be unique within a namespace."},
        "generateName": {"type": "string", "description": "Prefix for a server-generated name."},
        "namespace": {"type": "string", "description": "Namespace the object lives in."},
        "uid": {"type": "string", "description": "Unique identifier set by the server."},
        "resourceVersion": {"type": "string", "description": "Opaque version for optimistic concurrency and watches."},
        "generation": {"type": "integer", "format": "int64", "description": "Sequence number of the desired state."},
        "creationTimestamp": {"type": "string", "format": "date-time", "description": "When the object was created."},
        "deletionTimestamp": {"type": "string", "format": "date-time", "description": "When deletion was requested."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Labels for selectors."},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Non-identifying metadata."},
        "finalizers": {"type": "array", "items": {"type": "string"}, "description": "Must be empty before the object is deleted."},
        "ownerReferences": {"type": "array", "items": {"type": "object"}, "description": "Objects this object depends on."},
    },
}
META_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def gv_path(group, version):
    return "api/%s" % version if not group else "apis/%s/%s" % (group, version)


def schema_name(rt):
    group = ".".join(reversed(rt.group.split("."))) if rt.group else "io.k8s.api.core"
    return "%s.%s.%s" % (group, rt.version, rt.kind)


def _kind_schema(rt):
    gvk = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
    if rt.schema is not None:
        s = copy.deepcopy(rt.schema)
    else:
        s = {"type": "object", "description": "%s (the dev cluster serves it without a detailed schema)." % rt.kind,
             "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
             "x-kubernetes-preserve-unknown-fields": True}
    props = s.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string", "description": "APIVersion defines the versioned schema of this object."})
    props.setdefault("kind", {"type": "string", "description": "Kind is the REST resource this object represents."})
    props["metadata"] = {"allOf": [{"$ref": "#/components/schemas/%s" % META_REF}],
                         "description": "Standard object's metadata."}
    s["x-kubernetes-group-version-kind"] = gvk
    return s


def gv_document(registry, group, version):
    types = [t for t in registry.all() if t.group == group and t.version == version]
    paths, schemas = {}, {META_REF: OBJECT_META}
    prefix = "/" + gv_path(group, version)
    for t in types:
        gvk = {"group": t.group, "version": t.version, "kind": t.kind}
        item = "%s/namespaces/{namespace}/%s/{name}" % (prefix, t.plural) if t.namespaced \
            else "%s/%s/{name}" % (prefix, t.plural)
        # Strategic merge is not advertised even for builtins: kubectl would then compute the
        # patch from these minimal schemas and warn; unadvertised, it uses its compiled-in types.
        content = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        ref = {"$ref": "#/components/schemas/%s" % schema_name(t)}
        params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                  {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                  {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}]
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        paths[item] = {
            "get": {"operationId": "read%s" % t.kind, "x-kubernetes-action": "get",
                    "x-kubernetes-group-version-kind": gvk, "responses": ok},
            "put": {"operationId": "replace%s" % t.kind, "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk, "parameters": params,
                    "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": ok},
            "patch": {"operationId": "patch%s" % t.kind, "x-kubernetes-action": "patch",
                      "x-kubernetes-group-version-kind": gvk, "parameters": params + [
                          {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}}],
                      "requestBody": {"content": {c: {"schema": {"type": "object"}} for c in content}},
                      "responses": ok},
            "delete": {"operationId": "delete%s" % t.kind, "x-kubernetes-action": "delete",
                       "x-kubernetes-group-version-kind": gvk, "responses": ok},
        }
        coll = "%s/namespaces/{namespace}/%s" % (prefix, t.plural) if t.namespaced else "%s/%s" % (prefix, t.plural)
        paths[coll] = {"post": {"operationId": "create%s" % t.kind, "x-kubernetes-action": "post",
                                "x-kubernetes-group-version-kind": gvk, "parameters": params,
                                "requestBody": {"content": {"application/json": {"schema": ref}}},
                                "responses": {"201": ok["200"]}}}
        schemas[schema_name(t)] = _kind_schema(t)
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (tidemark devcluster)", "version": "v1.32.4"},
            "paths": paths, "components": {"schemas": schemas}}


def index(registry):
    out = {}
    for group, versions in registry.group_versions().items():
        for v in versions:
            doc = json.dumps(gv_document(registry, group, v), sort_keys=True).encode()
            digest = hashlib.sha512(doc).hexdigest()[:64].upper()
            out[gv_path(group, v)] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (gv_path(group, v), digest)}
    return {"paths": out}
