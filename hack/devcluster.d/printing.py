"""Server-side printing: the JSONPath subset printer columns use, Kubernetes' human durations,
and meta.k8s.io/v1 Table construction (CRD printer columns, or a builtin type's columns)."""
import datetime
import json
import re

# ---- JSONPath -----------------------------------------------------------------------------

_STEP = re.compile(r"""
    \.(?P<field>[A-Za-z0-9_\-]+)
  | \[(?P<index>-?\d+)\]
  | \[\*\]|\.\*
  | \[\?\(@\.(?P<fpath>[A-Za-z0-9_.\-]+)\s*(?P<fop>==|!=)\s*(?P<fval>'[^']*'|"[^"]*"|-?\d+|true|false)\)\]
  | \['(?P<qfield>[^']+)'\]
""", re.VERBOSE)


def compile_jsonpath(expr):
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    if expr.startswith("$"):
        expr = expr[1:]
    steps, pos = [], 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if not m:
            raise ValueError("unsupported JSONPath %r at %d" % (expr, pos))
        pos = m.end()
        if m.group("field") is not None or m.group("qfield") is not None:
            steps.append(("field", m.group("field") or m.group("qfield")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("fpath") is not None:
            raw = m.group("fval")
            val = raw[1:-1] if raw[0] in "'\"" else json.loads(raw)
            steps.append(("filter", m.group("fpath").split("."), m.group("fop"), val))
        else:
            steps.append(("all",))
    return steps


def _lookup(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None, False
        obj = obj[key]
    return obj, True


def eval_jsonpath(steps, obj):
    """All values the path selects (missing keys select nothing)."""
    cur = [obj]
    for step in steps:
        nxt = []
        for v in cur:
            if step[0] == "field":
                if isinstance(v, dict) and step[1] in v:
                    nxt.append(v[step[1]])
            elif step[0] == "index":
                if isinstance(v, list) and -len(v) <= step[1] < len(v):
                    nxt.append(v[step[1]])
            elif step[0] == "all":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            else:
                _, path, op, want = step
                for item in v if isinstance(v, list) else []:
                    got, ok = _lookup(item, path)
                    if ok and ((got == want) == (op == "==")):
                        nxt.append(item)
        cur = nxt
    return cur


def jsonpath_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


# ---- time ---------------------------------------------------------------------------------

def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    try:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        y = h // (24 * 365)
        return "%dy%dd" % (y, (h // 24) % 365) if (h // 24) % 365 else "%dy" % y
    return "%dy" % (h // (24 * 365))


def age(ts):
    t = parse_time(ts) if ts else None
    if t is None:
        return "<unknown>"
    return human_duration((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())


# ---- tables -------------------------------------------------------------------------------

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
               "description": "Name must be unique within a namespace."}
AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "priority": 0,
              "description": "CreationTimestamp is when the object was created."}


def crd_columns(printer_columns):
    """Column definitions plus cell functions for a CRD version's additionalPrinterColumns."""
    if not printer_columns:
        printer_columns = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    defs, fns = [NAME_COLUMN], [lambda o: o["metadata"].get("name", "")]
    for col in printer_columns:
        defs.append({"name": col["name"], "type": col.get("type", "string"), "format": col.get("format", ""),
                     "description": col.get("description", ""), "priority": col.get("priority", 0)})
        fns.append(_column_fn(col))
    return defs, lambda o: [fn(o) for fn in fns]


def _column_fn(col):
    steps = compile_jsonpath(col["jsonPath"])
    kind = col.get("type", "string")

    def cell(obj):
        # Like apiextensions' tableconvertor: the first result only, converted per column type.
        vals = eval_jsonpath(steps, obj)
        if not vals:
            return None
        v = vals[0]
        if kind == "string":
            return jsonpath_text(v)
        if kind == "date":
            return age(v) if isinstance(v, str) else None
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        if kind == "integer":
            return int(v) if numeric else None
        if kind == "number":
            return v if numeric else None
        if kind == "boolean":
            return v if isinstance(v, bool) else None
        return v
    return cell


def _col(name, kind="string", priority=0, description=""):
    return {"name": name, "type": kind, "format": "", "priority": priority, "description": description}


def _pod_cells(o):
    spec, status = o.get("spec", {}), o.get("status", {})
    cs = status.get("containerStatuses") or []
    ready = sum(1 for c in cs if c.get("ready"))
    total = len(spec.get("containers") or [])
    reason = status.get("reason") or status.get("phase", "Pending")
    for c in cs:
        st = c.get("state", {})
        if "waiting" in st and st["waiting"].get("reason"):
            reason = st["waiting"]["reason"]
        elif "terminated" in st:
            reason = st["terminated"].get("reason") or ("Signal:%s" % st["terminated"].get("signal")
                                                       if st["terminated"].get("signal") else
                                                       "ExitCode:%s" % st["terminated"].get("exitCode"))
    if o["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    restarts = sum(c.get("restartCount", 0) for c in cs)
    return [o["metadata"]["name"], "%d/%d" % (ready, total), reason, restarts,
            age(o["metadata"].get("creationTimestamp")), status.get("podIP") or "<none>"]


def _event_cells(o):
    inv = o.get("involvedObject", {})
    last = o.get("lastTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp")
    obj = "%s/%s" % ((inv.get("kind") or "").lower(), inv.get("name", ""))
    return [age(last), o.get("type", ""), o.get("reason", ""), obj, o.get("message", "")]


def _lease_cells(o):
    return [o["metadata"]["name"], o.get("spec", {}).get("holderIdentity") or "",
            age(o["metadata"].get("creationTimestamp"))]


BUILTIN_TABLES = {
    "pods": ([NAME_COLUMN, _col("Ready"), _col("Status"), _col("Restarts", "integer"), AGE_COLUMN,
              _col("IP", priority=1)], _pod_cells),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event_cells),
    "namespaces": ([NAME_COLUMN, _col("Status"), AGE_COLUMN],
                   lambda o: [o["metadata"]["name"], o.get("status", {}).get("phase", "Active"),
                              age(o["metadata"].get("creationTimestamp"))]),
    "secrets": ([NAME_COLUMN, _col("Type"), _col("Data", "integer"), AGE_COLUMN],
                lambda o: [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}),
                           age(o["metadata"].get("creationTimestamp"))]),
    "configmaps": ([NAME_COLUMN, _col("Data", "integer"), AGE_COLUMN],
                   lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                              age(o["metadata"].get("creationTimestamp"))]),
    "serviceaccounts": ([NAME_COLUMN, _col("Secrets", "integer"), AGE_COLUMN],
                        lambda o: [o["metadata"]["name"], len(o.get("secrets") or []),
                                   age(o["metadata"].get("creationTimestamp"))]),
    "leases": ([NAME_COLUMN, _col("Holder"), AGE_COLUMN], _lease_cells),
    "deployments": ([NAME_COLUMN, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"), AGE_COLUMN],
                    lambda o: [o["metadata"]["name"],
                               "%d/%d" % (o.get("status", {}).get("readyReplicas", 0), o.get("spec", {}).get("replicas", 1)),
                               o.get("status", {}).get("updatedReplicas", 0), o.get("status", {}).get("availableReplicas", 0),
                               age(o["metadata"].get("creationTimestamp"))]),
    "customresourcedefinitions": ([NAME_COLUMN, _col("Created At", "date")],
                                  lambda o: [o["metadata"]["name"], o["metadata"].get("creationTimestamp")]),
}


def default_table():
    return [NAME_COLUMN, AGE_COLUMN], lambda o: [o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))]


def partial_metadata(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def make_table(columns, cells_fn, objects, include_object, resource_version, headers=True, cont=None):
    rows = []
    for o in objects:
        if include_object == "None":
            embedded = None
        elif include_object == "Object":
            embedded = o
        else:
            embedded = partial_metadata(o)
        rows.append({"cells": cells_fn(o), "object": embedded})
    meta = {"resourceVersion": str(resource_version)}
    if cont:
        meta["continue"] = cont
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": columns if headers else [], "rows": rows}
