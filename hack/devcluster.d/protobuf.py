"""Decodes the Kubernetes protobuf request bodies kubectl's typed commands send
(`kubectl create secret|configmap|namespace|serviceaccount`) into JSON objects.

Only those kinds are known; field numbers are from k8s.io/api/core/v1/generated.proto and
k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto. Everything else the dev cluster
answers as JSON, which kubectl also accepts."""
import base64
import datetime

MAGIC = b"k8s\x00"


class ProtobufError(Exception):
    pass


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of one message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            val, i = buf[i:i + n], i + n
        elif wt == 1:
            val, i = buf[i:i + 8], i + 8
        elif wt == 5:
            val, i = buf[i:i + 4], i + 4
        else:
            raise ProtobufError("unsupported wire type %d" % wt)
        yield num, wt, val


def _time(buf):
    secs = dict((n, v) for n, _, v in _fields(buf)).get(1, 0)
    return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


OWNER_REF = {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"), 5: ("apiVersion", "string"),
             6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")}
OBJECT_META = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
               5: ("uid", "string"), 6: ("resourceVersion", "string"), 7: ("generation", "int"),
               8: ("creationTimestamp", "time"), 11: ("labels", "map:string"), 12: ("annotations", "map:string"),
               13: ("ownerReferences", ("list", OWNER_REF)), 14: ("finalizers", "list:string")}
OBJECT_REF = {1: ("kind", "string"), 2: ("namespace", "string"), 3: ("name", "string"), 4: ("uid", "string"),
              5: ("apiVersion", "string")}
KINDS = {
    "Secret": {1: ("metadata", OBJECT_META), 2: ("data", "map:bytes"), 3: ("type", "string"),
               4: ("stringData", "map:string"), 5: ("immutable", "bool")},
    "ConfigMap": {1: ("metadata", OBJECT_META), 2: ("data", "map:string"), 3: ("binaryData", "map:bytes"),
                  4: ("immutable", "bool")},
    "Namespace": {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", "list:string")})},
    "ServiceAccount": {1: ("metadata", OBJECT_META), 2: ("secrets", ("list", OBJECT_REF)),
                       3: ("imagePullSecrets", ("list", {1: ("name", "string")})),
                       4: ("automountServiceAccountToken", "bool")},
}


def _decode(buf, schema):
    out = {}
    for num, wt, val in _fields(buf):
        if num not in schema:
            continue
        name, kind = schema[num]
        if isinstance(kind, dict):
            out[name] = _decode(val, kind)
        elif isinstance(kind, tuple):
            out.setdefault(name, []).append(_decode(val, kind[1]))
        elif kind == "string":
            out[name] = val.decode()
        elif kind == "int":
            out[name] = val
        elif kind == "bool":
            out[name] = bool(val)
        elif kind == "time":
            out[name] = _time(val)
        elif kind == "list:string":
            out.setdefault(name, []).append(val.decode())
        elif kind.startswith("map:"):
            entry = dict((n, v) for n, _, v in _fields(val))
            key, value = entry.get(1, b"").decode(), entry.get(2, b"")
            out.setdefault(name, {})[key] = base64.b64encode(value).decode() if kind == "map:bytes" else value.decode()
    return out


def decode(body):
    """Returns the JSON form of a protobuf-encoded object; raises ProtobufError."""
    if not body.startswith(MAGIC):
        raise ProtobufError("body does not start with the Kubernetes protobuf magic")
    envelope = dict((n, v) for n, _, v in _fields(body[len(MAGIC):]))
    type_meta = dict((n, v.decode()) for n, _, v in _fields(envelope.get(1, b"")))
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    if kind not in KINDS:
        raise ProtobufError("the dev cluster decodes protobuf only for %s, not %s; send JSON instead "
                            "(e.g. kubectl apply -f)" % (", ".join(sorted(KINDS)), kind or "this object"))
    obj = _decode(envelope.get(2, b""), KINDS[kind])
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj
