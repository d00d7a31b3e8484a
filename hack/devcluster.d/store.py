"""In-memory object storage with one increasing resourceVersion, a bounded history of change
events for watches (older resourceVersions expire with 410), and label/field selectors."""
import copy
import json
import re
import threading


class Expired(Exception):
    pass


class Event:
    __slots__ = ("rv", "key", "type", "obj", "old")

    def __init__(self, rv, key, type_, obj, old):
        self.rv, self.key, self.type, self.obj, self.old = rv, key, type_, obj, old


class Store:
    def __init__(self, history_limit=2000):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = 1
        self.objects = {}               # store_key -> {(namespace, name): object}
        self.history = []               # Events, oldest first
        self.history_limit = history_limit
        self.compacted_rv = 0           # events with rv <= this are gone
        self.closing = False

    def next_rv(self):
        self.rv += 1
        return self.rv

    def get(self, key, ns, name):
        with self.lock:
            obj = self.objects.get(key, {}).get((ns or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def items(self, key, ns=None):
        """Objects of a type (in one namespace, or all when ns is None), sorted by ns/name."""
        with self.lock:
            bucket = self.objects.get(key, {})
            keys = sorted(k for k in bucket if ns is None or k[0] == (ns or ""))
            return [copy.deepcopy(bucket[k]) for k in keys]

    def all_keys(self):
        with self.lock:
            return list(self.objects.keys())

    def put(self, key, obj, event_type, old=None):
        """Stores obj (its metadata.resourceVersion already set by the caller) and records an event."""
        with self.lock:
            meta = obj["metadata"]
            self.objects.setdefault(key, {})[(meta.get("namespace", ""), meta["name"])] = copy.deepcopy(obj)
            self._record(key, event_type, obj, old)

    def remove(self, key, obj, old=None):
        with self.lock:
            meta = obj["metadata"]
            self.objects.get(key, {}).pop((meta.get("namespace", ""), meta["name"]), None)
            self._record(key, "DELETED", obj, old)

    def _record(self, key, event_type, obj, old):
        self.history.append(Event(int(obj["metadata"]["resourceVersion"]), key, event_type,
                                  copy.deepcopy(obj), copy.deepcopy(old)))
        if len(self.history) > self.history_limit:
            drop = len(self.history) - self.history_limit
            self.compacted_rv = self.history[drop - 1].rv
            del self.history[:drop]
        self.changed.notify_all()

    def events_after(self, rv):
        """Events with resourceVersion > rv; raises Expired if some were already dropped."""
        with self.lock:
            if rv < self.compacted_rv:
                raise Expired("too old resource version: %d (%d)" % (rv, self.compacted_rv + 1))
            lo, hi = 0, len(self.history)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.history[mid].rv <= rv:
                    lo = mid + 1
                else:
                    hi = mid
            return self.history[lo:]

    def wait(self, timeout):
        with self.lock:
            if not self.closing:
                self.changed.wait(timeout)

    def close(self):
        with self.lock:
            self.closing = True
            self.changed.notify_all()


# ---- selectors ----------------------------------------------------------------------------

class SelectorError(Exception):
    pass


def _split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"


def parse_label_selector(s):
    reqs = []
    for part in _split_top(s or ""):
        m = re.fullmatch(r"(%s)\s+(in|notin)\s+\(([^)]*)\)" % _KEY, part)
        if m:
            reqs.append((m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}))
            continue
        m = re.fullmatch(r"(%s)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)" % _KEY, part)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
            continue
        m = re.fullmatch(r"(!?)\s*(%s)" % _KEY, part)
        if m:
            reqs.append((m.group(2), "!exists" if m.group(1) else "exists", None))
            continue
        raise SelectorError("unable to parse requirement: %r" % part)
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, val in reqs:
        have = labels.get(key)
        if op == "=" and have != val:
            return False
        if op == "!=" and have == val:
            return False
        if op == "in" and have not in val:
            return False
        if op == "notin" and have in val:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!exists" and key in labels:
            return False
    return True


def parse_field_selector(s):
    reqs = []
    for part in _split_top(s or ""):
        m = re.fullmatch(r"([A-Za-z0-9_.\[\]-]+)\s*(==|=|!=)\s*(.*)", part)
        if not m:
            raise SelectorError("invalid field selector: %r" % part)
        reqs.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return reqs


def field_value(obj, path):
    cur = obj
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return ""
        cur = cur[key]
    if isinstance(cur, bool):
        return "true" if cur else "false"
    if isinstance(cur, (dict, list)):
        return json.dumps(cur)
    return "" if cur is None else str(cur)


def fields_match(reqs, obj):
    for path, equal, want in reqs:
        if (field_value(obj, path) == want) != equal:
            return False
    return True
