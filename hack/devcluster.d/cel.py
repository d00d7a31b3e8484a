"""A small subset of CEL, enough for CRD x-kubernetes-validations rules.

Supported: literals (int, double, 'string', "string", true, false, null, [list]), identifiers
(self, oldSelf), field selection, indexing, has(a.b), ! - * / % + - < <= > >= == != in && ||,
c ? a : b, size(x) / x.size(), string methods matches/startsWith/endsWith/contains, and the
list macros all/exists/exists_one/map/filter. Anything else is a CelError, which the schema
validator reports instead of silently accepting.
"""
import re


class CelError(Exception):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<float>\d+\.\d+([eE][+-]?\d+)?)
  | (?P<int>\d+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>+\-*/%?:.,()\[\]])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)


def _tokenize(src):
    out, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise CelError("unexpected character %r at %d" % (src[pos], pos))
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        text = m.group(kind)
        if kind == "str":
            body = text[1:-1]
            text = re.sub(r"\\(.)", lambda mm: {"n": "\n", "t": "\t"}.get(mm.group(1), mm.group(1)), body)
        out.append((kind, text))
    out.append(("end", None))
    return out


class _Parser:
    """Recursive descent; produces nested tuples (op, ...)."""

    def __init__(self, src):
        self.toks = _tokenize(src)
        self.i = 0

    def peek(self, text=None):
        kind, val = self.toks[self.i]
        if text is None:
            return kind, val
        return kind in ("op", "ident") and val == text

    def take(self, text=None):
        tok = self.toks[self.i]
        if text is not None and not self.peek(text):
            raise CelError("expected %r, found %r" % (text, tok[1]))
        self.i += 1
        return tok

    def parse(self):
        e = self.expr()
        if self.peek()[0] != "end":
            raise CelError("unexpected %r" % (self.peek()[1],))
        return e

    def expr(self):
        c = self.or_()
        if self.peek("?"):
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            return ("cond", c, a, b)
        return c

    def or_(self):
        e = self.and_()
        while self.peek("||"):
            self.take()
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.rel()
        while self.peek("&&"):
            self.take()
            e = ("and", e, self.rel())
        return e

    def rel(self):
        e = self.add()
        for op in ("==", "!=", "<=", ">=", "<", ">", "in"):
            if self.peek(op):
                self.take()
                return ("bin", op, e, self.add())
        return e

    def add(self):
        e = self.mul()
        while self.peek("+") or self.peek("-"):
            op = self.take()[1]
            e = ("bin", op, e, self.mul())
        return e

    def mul(self):
        e = self.unary()
        while self.peek("*") or self.peek("/") or self.peek("%"):
            op = self.take()[1]
            e = ("bin", op, e, self.unary())
        return e

    def unary(self):
        if self.peek("!"):
            self.take()
            return ("not", self.unary())
        if self.peek("-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def args(self):
        self.take("(")
        out = []
        if not self.peek(")"):
            out.append(self.expr())
            while self.peek(","):
                self.take()
                out.append(self.expr())
        self.take(")")
        return out

    def postfix(self):
        e = self.primary()
        while True:
            if self.peek("."):
                self.take()
                kind, name = self.take()
                if kind != "ident":
                    raise CelError("expected a field name after '.'")
                if self.peek("("):
                    e = ("call", name, e, self.args())
                else:
                    e = ("sel", e, name)
            elif self.peek("["):
                self.take()
                idx = self.expr()
                self.take("]")
                e = ("index", e, idx)
            else:
                return e

    def primary(self):
        kind, val = self.take()
        if kind == "int":
            return ("lit", int(val))
        if kind == "float":
            return ("lit", float(val))
        if kind == "str":
            return ("lit", val)
        if kind == "op" and val == "(":
            e = self.expr()
            self.take(")")
            return e
        if kind == "op" and val == "[":
            items = []
            if not self.peek("]"):
                items.append(self.expr())
                while self.peek(","):
                    self.take()
                    items.append(self.expr())
            self.take("]")
            return ("list", items)
        if kind == "ident":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "null":
                return ("lit", None)
            if self.peek("("):
                if val == "has":
                    self.take("(")
                    arg = self.expr()
                    self.take(")")
                    if arg[0] != "sel":
                        raise CelError("has() needs a field selection like has(self.a)")
                    return ("has", arg)
                return ("call", val, None, self.args())
            return ("ident", val)
        raise CelError("unexpected %r" % (val,))


_MISSING = object()


def compile_rule(src):
    return _Parser(src).parse()


def evaluate(ast, env):
    """Evaluates a compiled rule; env maps identifiers (self, oldSelf) to JSON values."""
    return _eval(ast, env)


def _eval(n, env):
    op = n[0]
    if op == "lit":
        return n[1]
    if op == "list":
        return [_eval(x, env) for x in n[1]]
    if op == "ident":
        if n[1] not in env:
            raise CelError("undeclared reference to %r" % n[1])
        return env[n[1]]
    if op == "sel":
        base = _eval(n[1], env)
        if not isinstance(base, dict) or n[2] not in base:
            raise CelError("no such key: %s" % n[2])
        return base[n[2]]
    if op == "has":
        base = _eval(n[1][1], env)
        return isinstance(base, dict) and base.get(n[1][2]) is not None   # null counts as absent
    if op == "index":
        base, idx = _eval(n[1], env), _eval(n[2], env)
        try:
            return base[idx]
        except (KeyError, IndexError, TypeError):
            raise CelError("no such key or index: %r" % (idx,))
    if op == "not":
        v = _eval(n[1], env)
        _want(v, bool, "!")
        return not v
    if op == "neg":
        return -_eval(n[1], env)
    if op == "and":
        a = _eval(n[1], env)
        _want(a, bool, "&&")
        return a and _truth(_eval(n[2], env), "&&")
    if op == "or":
        a = _eval(n[1], env)
        _want(a, bool, "||")
        return a or _truth(_eval(n[2], env), "||")
    if op == "cond":
        c = _eval(n[1], env)
        _want(c, bool, "?:")
        return _eval(n[2] if c else n[3], env)
    if op == "bin":
        return _binary(n[1], _eval(n[2], env), _eval(n[3], env))
    if op == "call":
        return _call(n[1], n[2], n[3], env)
    raise CelError("unknown node %r" % (op,))


def _want(v, t, what):
    if not isinstance(v, t):
        raise CelError("no matching overload for %s on %r" % (what, v))


def _truth(v, what):
    _want(v, bool, what)
    return v


def _binary(op, a, b):
    if op == "==":
        return a == b and type(a) is type(b) or (a == b and _numeric(a) and _numeric(b))
    if op == "!=":
        return not _binary("==", a, b)
    if op == "in":
        if isinstance(b, (list, dict)):
            return a in b
        raise CelError("'in' needs a list or map")
    if op in ("<", "<=", ">", ">="):
        if not ((_numeric(a) and _numeric(b)) or (isinstance(a, str) and isinstance(b, str))):
            raise CelError("no matching overload for %s" % op)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "+":
        if type(a) is type(b) and isinstance(a, (str, list)) or (_numeric(a) and _numeric(b)):
            return a + b
        raise CelError("no matching overload for +")
    if op in ("-", "*", "/", "%"):
        if not (_numeric(a) and _numeric(b)):
            raise CelError("no matching overload for %s" % op)
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise CelError("division by zero")
        if op == "/":
            return int(a / b) if isinstance(a, int) and isinstance(b, int) else a / b
        return a % b
    raise CelError("unknown operator %s" % op)


def _numeric(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_MACROS = ("all", "exists", "exists_one", "map", "filter")


def _call(name, target, args, env):
    if target is not None and name in _MACROS:
        coll = _eval(target, env)
        if len(args) != 2 or args[0][0] != "ident":
            raise CelError("%s(x, predicate) needs a variable and a predicate" % name)
        var = args[0][1]
        items = list(coll.keys()) if isinstance(coll, dict) else coll
        results = []
        for item in items:
            inner = dict(env)
            inner[var] = item
            results.append((item, _eval(args[1], inner)))
        if name == "all":
            return all(_truth(r, name) for _, r in results)
        if name == "exists":
            return any(_truth(r, name) for _, r in results)
        if name == "exists_one":
            return sum(1 for _, r in results if _truth(r, name)) == 1
        if name == "map":
            return [r for _, r in results]
        return [i for i, r in results if _truth(r, name)]
    vals = [_eval(a, env) for a in args]
    if target is not None:
        vals.insert(0, _eval(target, env))
    if name == "size" and len(vals) == 1:
        if isinstance(vals[0], (str, list, dict)):
            return len(vals[0])
        raise CelError("size() needs a string, list or map")
    if name in ("matches", "startsWith", "endsWith", "contains") and len(vals) == 2:
        s, arg = vals
        if not (isinstance(s, str) and isinstance(arg, str)):
            raise CelError("%s() needs strings" % name)
        if name == "matches":
            return re.search(arg, s) is not None
        if name == "startsWith":
            return s.startswith(arg)
        if name == "endsWith":
            return s.endswith(arg)
        return arg in s
    if name == "int" and len(vals) == 1:
        return int(vals[0])
    if name == "string" and len(vals) == 1:
        v = vals[0]
        return ("true" if v else "false") if isinstance(v, bool) else str(v)
    raise CelError("unsupported function %s/%d" % (name, len(vals)))
