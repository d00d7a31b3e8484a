"""Structural-schema handling for custom resources, as the real apiserver does it:
defaults, pruning of unknown fields (or rejecting them under fieldValidation=Strict), then
validation (types, required, enum, pattern, bounds, lengths, CEL rules).

Everything here is driven by the CRD's openAPIV3Schema; nothing knows any particular kind.
Errors are FieldError(path, reason, message) in the shape of metav1.StatusCause.
"""
import copy
import json
import re

import cel


class FieldError:
    def __init__(self, field, reason, message):
        self.field, self.reason, self.message = field, reason, message

    def cause(self):
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __str__(self):
        return "%s: %s" % (self.field, self.message) if self.field else self.message


def _fmt(v):
    """Go's %v-ish rendering of a value inside error messages."""
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return '"object"' if isinstance(v, dict) else '"array"'
    return str(v)


def _join(path, key):
    return "%s.%s" % (path, key) if path else key


# ---- defaults ---------------------------------------------------------------------------

def apply_defaults(schema, value):
    """Fills `default`s in place, recursively, for objects present in value."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and schema.get("type") in ("object", None):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and value[key] is None and not sub.get("nullable"):
                del value[key]          # nulls of non-nullable fields are pruned, then defaulted
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                apply_defaults(sub, value[key])
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for key in value:
                apply_defaults(addl, value[key])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(schema["items"], item)
    return value


# ---- pruning ----------------------------------------------------------------------------

def prune(schema, value, path="", unknown=None, root=True):
    """Drops fields the schema doesn't know, in place; records their paths in `unknown`."""
    if unknown is None:
        unknown = []
    if not isinstance(schema, dict):
        return unknown
    if isinstance(value, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields")
        for key in list(value.keys()):
            if root and key in ("apiVersion", "kind", "metadata"):
                continue
            sub = (props or {}).get(key)
            if sub is None and isinstance(addl, dict):
                sub = addl
            if sub is None:
                if preserve or addl is True:
                    continue
                unknown.append(_join(path, key))
                del value[key]
                continue
            prune(sub, value[key], _join(path, key), unknown, False)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            prune(schema["items"], item, "%s[%d]" % (path, i), unknown, False)
    return unknown


# ---- validation -------------------------------------------------------------------------

_TYPE_NAMES = {"object": dict, "array": list, "string": str, "boolean": bool}
_rule_cache = {}


def _type_ok(t, v):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, _TYPE_NAMES.get(t, object))


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def validate(schema, value, path="", old=None, errors=None):
    """Returns a list of FieldError; `old` is the previous value for transition rules."""
    if errors is None:
        errors = []
    if not isinstance(schema, dict):
        return errors
    before = len(errors)
    if value is None:
        if not schema.get("nullable"):
            t = schema.get("type")
            if t:
                errors.append(FieldError(path, "FieldValueTypeInvalid",
                                         "Invalid value: \"null\": %s in body must be of type %s: \"null\"" % (path, t)))
        return errors
    t = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not (_type_ok("integer", value) or isinstance(value, str)):
            errors.append(FieldError(path, "FieldValueTypeInvalid",
                                     "Invalid value: %s: %s in body must be of type int-or-string" % (_fmt(value), path)))
            return errors
    elif t and not _type_ok(t, value):
        actual = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
                  float: "number"}.get(type(value), "unknown")
        errors.append(FieldError(path, "FieldValueTypeInvalid",
                                 "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"" % (actual, path, t, actual)))
        return errors

    if "enum" in schema and not any(e == value and isinstance(e, bool) == isinstance(value, bool)
                                    for e in schema["enum"]):
        supported = ", ".join(json.dumps(str(e) if not isinstance(e, str) else e) for e in schema["enum"])
        errors.append(FieldError(path, "FieldValueNotSupported",
                                 "Unsupported value: %s: supported values: %s" % (_fmt(value), supported)))

    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(FieldError(path, "FieldValueTooLong",
                                     "Too long: may not be more than %d bytes" % schema["maxLength"]))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(FieldError(path, "FieldValueInvalid",
                                     "Invalid value: %s: %s in body should be at least %d chars long"
                                     % (_fmt(value), path, schema["minLength"])))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(FieldError(path, "FieldValueInvalid",
                                     "Invalid value: %s: %s in body should match '%s'" % (_fmt(value), path, schema["pattern"])))
        if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
            errors.append(FieldError(path, "FieldValueInvalid",
                                     "Invalid value: %s: %s in body must be of type date-time: %s" % (_fmt(value), path, _fmt(value))))
    if _type_ok("number", value):
        if "maximum" in schema:
            mx = schema["maximum"]
            if value > mx or (schema.get("exclusiveMaximum") and value == mx):
                errors.append(FieldError(path, "FieldValueInvalid",
                                         "Invalid value: %s: %s in body should be less than %s%s"
                                         % (_fmt(value), path, "" if schema.get("exclusiveMaximum") else "or equal to ", mx)))
        if "minimum" in schema:
            mn = schema["minimum"]
            if value < mn or (schema.get("exclusiveMinimum") and value == mn):
                errors.append(FieldError(path, "FieldValueInvalid",
                                         "Invalid value: %s: %s in body should be greater than %s%s"
                                         % (_fmt(value), path, "" if schema.get("exclusiveMinimum") else "or equal to ", mn)))
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(FieldError(path, "FieldValueTooMany",
                                     "Too many: %d: must have at most %d items" % (len(value), schema["maxItems"])))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(FieldError(path, "FieldValueInvalid",
                                     "Invalid value: %d: %s in body should have at least %d items" % (len(value), path, schema["minItems"])))
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                validate(items, item, "%s[%d]" % (path, i), None, errors)
        keys = schema.get("x-kubernetes-list-map-keys")
        if schema.get("x-kubernetes-list-type") == "map" and keys:
            seen = set()
            for i, item in enumerate(value):
                k = tuple(json.dumps(item.get(x)) if isinstance(item, dict) else None for x in keys)
                if k in seen:
                    errors.append(FieldError("%s[%d]" % (path, i), "FieldValueDuplicate",
                                             "Duplicate value: %s" % json.dumps({x: item.get(x) for x in keys})))
                seen.add(k)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for req in schema.get("required") or []:
            if req not in value:
                errors.append(FieldError(_join(path, req), "FieldValueRequired", "Required value"))
        for key, sub in props.items():
            if key in value and not (path == "" and key == "metadata"):
                validate(sub, value[key], _join(path, key),
                         old.get(key) if isinstance(old, dict) else None, errors)
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for key, v in value.items():
                if key not in props:
                    validate(addl, v, _join(path, key), None, errors)
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append(FieldError(path, "FieldValueTooMany",
                                     "Too many: %d: must have at most %d items" % (len(value), schema["maxProperties"])))

    # CEL rules see typed values: skip them only where the subtree has type errors.
    if not any(e.reason == "FieldValueTypeInvalid" for e in errors[before:]):
        _check_rules(schema, value, path, old, errors)
    return errors


def _check_rules(schema, value, path, old, errors):
    for rule in schema.get("x-kubernetes-validations") or []:
        src = rule.get("rule", "")
        uses_old = "oldSelf" in src
        if uses_old and old is None and not rule.get("optionalOldSelf"):
            continue  # transition rules only run on updates
        field = path
        if rule.get("fieldPath"):
            field = (path + rule["fieldPath"]) if path else rule["fieldPath"].lstrip(".")
        try:
            ast = _rule_cache.get(src)
            if ast is None:
                ast = _rule_cache[src] = cel.compile_rule(src)
            ok = cel.evaluate(ast, {"self": value, "oldSelf": old})
        except cel.CelError as e:
            errors.append(FieldError(field, "FieldValueInvalid",
                                     "Invalid value: %s: rule evaluation error: %s (rule: %s)" % (_fmt(value), e, src)))
            continue
        if ok is not True:
            msg = rule.get("message") or "failed rule: %s" % src
            reason = rule.get("reason") or "FieldValueInvalid"
            if reason == "FieldValueInvalid":
                text = "Invalid value: %s: %s" % (_fmt(value), msg)
            elif reason == "FieldValueForbidden":
                text = "Forbidden: %s" % msg
            elif reason == "FieldValueRequired":
                text = "Required value: %s" % msg
            else:
                text = msg
            errors.append(FieldError(field, reason, text))


def field_path_exists(schema, field_path):
    """Whether a rule's fieldPath (`.a.b`, `.a['x-y']`) names a declared property."""
    import re as _re
    parts = _re.findall(r"\.([A-Za-z0-9_$-]+)|\['([^']+)'\]", field_path)
    if not parts or "".join("." + a if a else "['%s']" % b for a, b in parts) != field_path:
        return False
    for a, b in parts:
        key = a or b
        if not isinstance(schema, dict):
            return False
        if schema.get("type") == "array":
            schema = schema.get("items") or {}
        props = schema.get("properties") or {}
        if key in props:
            schema = props[key]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        else:
            return False
    return True


def schema_at(schema, path):
    """Sub-schema for a list of property names, or None."""
    for key in path:
        if not isinstance(schema, dict):
            return None
        schema = (schema.get("properties") or {}).get(key)
    return schema
