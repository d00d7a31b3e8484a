"""PATCH bodies: RFC 7386 merge patch, RFC 6902 JSON patch, an approximation of strategic
merge patch (for core types only), and server-side apply treated as "merge the applied object"
with list-map awareness from the schema."""
import copy


class PatchError(Exception):
    def __init__(self, message, code=422):
        super().__init__(message)
        self.code = code


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, val in patch.items():
        if val is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), val)
    return result


# ---- JSON patch ---------------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % path, 400)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError("path segment %r does not exist" % p)
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise PatchError("doc is missing path: %s" % "/" + "/".join(parts))
    return cur


def _get(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError("doc is missing path: /%s" % "/".join(parts))
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise PatchError("doc is missing path: /%s" % "/".join(parts))
    return cur


def _add(doc, parts, value):
    if not parts:
        return value
    parent, last = _parent(doc, parts), parts[-1]
    if isinstance(parent, list):
        idx = len(parent) if last == "-" else int(last)
        if idx > len(parent):
            raise PatchError("index out of range: /%s" % "/".join(parts))
        parent.insert(idx, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError("cannot add to a scalar at /%s" % "/".join(parts))
    return doc


def _remove(doc, parts):
    parent, last = _parent(doc, parts), parts[-1]
    try:
        if isinstance(parent, list):
            return parent.pop(int(last))
        return parent.pop(last)
    except (KeyError, IndexError, ValueError):
        raise PatchError("unable to remove nonexistent key: %s" % last)


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations", 400)
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("invalid JSON patch operation %r" % (op,), 400)
        parts, kind = _pointer(op["path"]), op["op"]
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, parts)
        elif kind == "replace":
            _get(doc, parts)
            if not parts:
                doc = copy.deepcopy(op.get("value"))
            else:
                _remove(doc, parts)
                doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            val = copy.deepcopy(_get(doc, src))
            if kind == "move":
                _remove(doc, src)
            doc = _add(doc, parts, val)
        elif kind == "test":
            if _get(doc, parts) != op.get("value"):
                raise PatchError("testing value /%s failed" % "/".join(parts))
        else:
            raise PatchError("unknown JSON patch op %r" % kind, 400)
    return doc


# ---- strategic merge (approximation for core types) ---------------------------------------

_MERGE_KEYS = ("name", "type", "containerPort", "mountPath", "devicePath", "ip", "topologyKey")


def strategic_merge(target, patch):
    """Merge patch, except lists of objects are merged by a well-known key and $-directives
    ($patch, $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...) are honoured
    roughly or dropped."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in copy.deepcopy(patch).items() if not k.startswith("$")}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, val in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in val]
            continue
        if key.startswith("$"):
            continue
        if val is None:
            result.pop(key, None)
        elif isinstance(val, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], val)
        elif isinstance(val, list):
            result[key] = [x for x in copy.deepcopy(val) if not (isinstance(x, dict) and x.get("$patch") == "delete")]
        else:
            result[key] = strategic_merge(result.get(key), val)
    return result


def _merge_list(old, new):
    if not new or not all(isinstance(x, dict) for x in new) or not all(isinstance(x, dict) for x in old):
        return copy.deepcopy(new)
    key = next((k for k in _MERGE_KEYS if all(k in x for x in new)), None)
    if key is None:
        return copy.deepcopy(new)
    out = copy.deepcopy(old)
    for item in new:
        idx = next((i for i, x in enumerate(out) if x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append(strategic_merge({}, item))
        else:
            out[idx] = strategic_merge(out[idx], item)
    return out


# ---- server-side apply (simplified) -------------------------------------------------------

def apply_merge(live, applied, schema=None):
    """Merges the applied configuration into the live object: maps merge, lists marked
    x-kubernetes-list-type=map merge by their keys, other lists are replaced. Fields the
    applier no longer sends are not removed (no managedFields bookkeeping)."""
    if not isinstance(applied, dict) or not isinstance(live, dict):
        return copy.deepcopy(applied)
    out = copy.deepcopy(live)
    props = (schema or {}).get("properties") or {}
    for key, val in applied.items():
        sub = props.get(key)
        if sub is None and isinstance((schema or {}).get("additionalProperties"), dict):
            sub = schema["additionalProperties"]
        if val is None:
            out.pop(key, None)
        elif isinstance(val, list) and isinstance(out.get(key), list) and sub and \
                sub.get("x-kubernetes-list-type") == "map" and sub.get("x-kubernetes-list-map-keys"):
            keys = sub["x-kubernetes-list-map-keys"]
            merged = copy.deepcopy(out[key])
            for item in val:
                ident = [item.get(k) for k in keys] if isinstance(item, dict) else None
                idx = next((i for i, x in enumerate(merged)
                            if isinstance(x, dict) and [x.get(k) for k in keys] == ident), None)
                if idx is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[idx] = apply_merge(merged[idx], item, sub.get("items"))
            out[key] = merged
        elif isinstance(val, dict):
            out[key] = apply_merge(out.get(key) if isinstance(out.get(key), dict) else {}, val, sub)
        else:
            out[key] = copy.deepcopy(val)
    return out
