#!/usr/bin/env python3
"""Checks a stream of Kubernetes objects as a strict API server would, offline.

    check-manifests.py [FILE...]        (no FILE, or `-`: standard input)

Every document must be one of:

* a core object (`Secret`, `ServiceAccount`, `Namespace`): validated with the PyPI package
  `kubernetes-validate` in strict mode (an undeclared field is an error) against the
  OpenAPI schemas of every Kubernetes minor version we support (SUPPORTED below), plus what
  the API server checks beyond the schema: name formats, namespaced or not, Secret data keys
  and base64.
* a custom resource whose CustomResourceDefinition is in testdata/crds (ESO, Sealed Secrets,
  Config Connector IAM, ACK, Azure Service Operator): its apiVersion must be a version of the
  CRD; the object is validated against that version's `openAPIV3Schema`, strictly (a field
  the schema does not declare is an error unless the schema preserves unknown fields, as
  `kubectl apply --validate=strict` does), and against the CRD's CEL rules
  (`x-kubernetes-validations`) with the small CEL evaluator below. Transition rules (those
  that read `oldSelf`) do not apply to a create and are not evaluated, as on the API server.
  A rule the evaluator cannot read is reported as a problem, never passed.

Any other kind is a problem. Prints one line per problem, then a JSON summary line; exits 1
when there is a problem, 2 on a usage error. Needs PyYAML, jsonschema and kubernetes-validate
(scripts/fetch-tools.sh installs them).

Also a module: `check_object(doc)` returns the problems of one object (tests/standin uses it
for recorded objects, status included).
"""
import base64
import binascii
import copy
import functools
import json
import os
import re
import sys

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils as kv_utils
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CRD_DIR = os.path.join(HERE, "..", "testdata", "crds")

# The Kubernetes minor versions the rendered objects must be valid for: 1.29 and every later
# one that kubernetes-validate ships schemas for.
OLDEST_SUPPORTED = (1, 29)
SUPPORTED = sorted(
    {
        ".".join(v.split(".")[:2])
        for v in kv_utils.all_versions()
        if tuple(int(x) for x in v.split(".")[:2]) >= OLDEST_SUPPORTED
    },
    key=lambda v: tuple(int(x) for x in v.split(".")),
)

# kubernetes-validate reads its schema files again for every object; they never change.
kv_utils.schema_contents = functools.lru_cache(maxsize=None)(kv_utils.schema_contents)

# libyaml's loader when PyYAML has it (the CRDs are 1.7 MB of YAML), the same safe schema.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CORE = {"Secret": True, "ServiceAccount": True, "Namespace": False}  # kind -> namespaced
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


# ---- CRDs --------------------------------------------------------------------------------------


_NAMES_KIND = re.compile(r"^  names:\n(?:    .*\n)*?    kind: (\w+)$", re.M)


class _Crds(dict):
    """kind -> the CRD document, for every CRD file in CRD_DIR. A file is parsed only when an
    object of its kind is checked (the CRDs are 1.7 MB of YAML)."""

    def __init__(self):
        super().__init__()
        self.files = {}
        for name in sorted(os.listdir(CRD_DIR)):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(CRD_DIR, name)
            with open(path) as f:
                m = _NAMES_KIND.search(f.read())
            if m:
                self.files[m.group(1)] = path
            else:
                for d in self._parse(path):
                    self.files[d["spec"]["names"]["kind"]] = path

    @staticmethod
    def _parse(path):
        with open(path) as f:
            return [
                d
                for d in yaml.load_all(f, Loader=SAFE_LOADER)
                if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
            ]

    def __contains__(self, kind):
        return kind in self.files

    def __missing__(self, kind):
        for d in self._parse(self.files[kind]):
            self[d["spec"]["names"]["kind"]] = d
        return dict.__getitem__(self, kind)


CRDS = _Crds()


def _strict(schema):
    """The schema as JSON Schema, with undeclared fields refused wherever the schema lists
    properties and does not keep unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: _strict(s) for name, s in v.items()}
        elif k in ("enum", "required", "default", "example"):
            out[k] = v
        else:
            out[k] = _strict(v)
    if schema.get("nullable") and "type" in out:
        t = out["type"]
        out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("byte", raises=(binascii.Error, ValueError))
def _is_byte(value):
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


@functools.lru_cache(maxsize=None)
def _crd_version(kind, version):
    """(JSON Schema validator, raw schema) of `kind` at `version`, or None."""
    for v in CRDS[kind]["spec"]["versions"]:
        if v["name"] == version:
            raw = v["schema"]["openAPIV3Schema"]
            schema = _strict(copy.deepcopy(raw))
            # metadata is the API server's ObjectMeta, checked by check_meta.
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            return jsonschema.Draft7Validator(schema, format_checker=FORMATS), raw
    return None


# ---- metadata and core objects -----------------------------------------------------------------


def check_meta(doc, where, problems, namespaced):
    """What the API server checks of metadata beyond its schema: name and namespace formats."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        problems.append(f"{where}: metadata is missing")
        return
    name = meta.get("name")
    pattern, limit, what = (
        (DNS_LABEL, 63, "a DNS-1123 label")
        if doc.get("kind") == "Namespace"
        else (DNS_SUBDOMAIN, 253, "a DNS-1123 subdomain")
    )
    if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
        problems.append(f"{where}: metadata.name {name!r} is not {what}")
    ns = meta.get("namespace")
    if namespaced:
        if not isinstance(ns, str) or len(ns) > 63 or not DNS_LABEL.match(ns):
            problems.append(f"{where}: metadata.namespace {ns!r} is not a DNS-1123 label")
    elif ns is not None:
        problems.append(f"{where}: a cluster-scoped object has metadata.namespace")


def _objectmeta_problems(doc, where, problems):
    """A custom resource's metadata against the core ObjectMeta schema, strictly."""
    meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc.get("metadata")}
    for version in SUPPORTED:
        try:
            kubernetes_validate.validate(meta, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            at = ".".join(str(p) for p in e.path)
            problems.append(f"{where}: {at}: {e.message} (Kubernetes {version})")
            return


def check_core(doc, where, problems):
    for version in SUPPORTED:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            at = ".".join(str(p) for p in e.path) or "(root)"
            problems.append(f"{where}: {at}: {e.message} (Kubernetes {version}, strict)")
            return
        except kubernetes_validate.SchemaNotFoundError as e:
            problems.append(f"{where}: {e.message}")
            return
    check_meta(doc, where, problems, CORE[doc["kind"]])
    if doc["kind"] == "Secret":
        for field in ("data", "stringData"):
            for k, v in (doc.get(field) or {}).items():
                if not isinstance(k, str) or len(k) > 253 or not SECRET_KEY.match(k):
                    problems.append(f"{where}: {field} key {k!r} is not a valid Secret key")
                if field == "data" and isinstance(v, str):
                    try:
                        base64.b64decode(v, validate=True)
                    except (binascii.Error, ValueError):
                        problems.append(f"{where}: data.{k} is not valid base64")


# ---- CEL ---------------------------------------------------------------------------------------


class CelUnsupported(Exception):
    pass


class _Absent:
    """A field that is not set: `has()` is false, anything else is an error."""


ABSENT = _Absent()
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]]))"
)


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CelUnsupported(f"cannot read {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "num":
            out.append(("lit", int(val)))
        elif kind == "str":
            out.append(("lit", bytes(val[1:-1], "utf-8").decode("unicode_escape")))
        elif kind == "id" and val in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[val]))
        elif kind == "id" and val == "in":
            out.append(("op", "in"))
        else:
            out.append((kind, val))
    return out


class _Parser:
    """CEL expressions to nested tuples: ('lit', v), ('id', name), ('sel', e, field),
    ('has', e, field), ('call', e|None, name, args), ('list', items), ('un', op, e),
    ('bin', op, a, b), ('cond', c, a, b), ('macro', e, name, var, body)."""

    BINARY = [["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"]]

    def __init__(self, text):
        self.t = _tokens(text)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, val=None):
        tok = self.peek()
        if tok[0] is None or (val is not None and tok[1] != val):
            raise CelUnsupported(f"expected {val!r}")
        self.i += 1
        return tok

    def parse(self):
        e = self.cond()
        if self.i != len(self.t):
            raise CelUnsupported("trailing input")
        return e

    def cond(self):
        c = self.binary(0)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.cond()
            self.take(":")
            return ("cond", c, a, self.cond())
        return c

    def binary(self, level):
        if level == len(self.BINARY):
            return self.unary()
        e = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self.BINARY[level]:
            op = self.take()[1]
            e = ("bin", op, e, self.binary(level + 1))
        return e

    def unary(self):
        if self.peek() in (("op", "!"), ("op", "-")):
            op = self.take()[1]
            return ("un", op, self.unary())
        return self.postfix(self.primary())

    def args(self):
        self.take("(")
        out = []
        if self.peek() != ("op", ")"):
            out.append(self.cond())
            while self.peek() == ("op", ","):
                self.take()
                out.append(self.cond())
        self.take(")")
        return out

    def postfix(self, e):
        while self.peek() == ("op", "."):
            self.take()
            kind, name = self.take()
            if kind != "id":
                raise CelUnsupported("expected a field name")
            if self.peek() == ("op", "("):
                if name in ("all", "exists", "exists_one", "filter", "map"):
                    self.take("(")
                    var = self.take()[1]
                    self.take(",")
                    body = self.cond()
                    self.take(")")
                    e = ("macro", e, name, var, body)
                else:
                    e = ("call", e, name, self.args())
            else:
                e = ("sel", e, name)
        return e

    def primary(self):
        kind, val = self.take()
        if kind == "lit":
            return ("lit", val)
        if (kind, val) == ("op", "("):
            e = self.cond()
            self.take(")")
            return e
        if (kind, val) == ("op", "["):
            items = []
            if self.peek() != ("op", "]"):
                items.append(self.cond())
                while self.peek() == ("op", ","):
                    self.take()
                    items.append(self.cond())
            self.take("]")
            return ("list", items)
        if kind == "id":
            if self.peek() == ("op", "("):
                if val == "has":
                    self.take("(")
                    arg = self.postfix(self.primary())
                    self.take(")")
                    if arg[0] != "sel":
                        raise CelUnsupported("has() takes a field selection")
                    return ("has", arg[1], arg[2])
                return ("call", None, val, self.args())
            return ("id", val)
        raise CelUnsupported(f"unexpected {val!r}")


def cel_eval(e, env):
    op = e[0]
    if op == "lit":
        return e[1]
    if op == "id":
        if e[1] not in env:
            raise CelUnsupported(f"unknown name {e[1]!r}")
        return env[e[1]]
    if op in ("sel", "has"):
        base = cel_eval(e[1], env)
        if not isinstance(base, dict):
            raise CelUnsupported(f"field {e[2]!r} of a non-object")
        if op == "has":
            return e[2] in base
        if e[2] not in base:
            raise KeyError(f"no such key: {e[2]}")
        return base[e[2]]
    if op == "list":
        return [cel_eval(x, env) for x in e[1]]
    if op == "un":
        v = cel_eval(e[2], env)
        return (not v) if e[1] == "!" else -v
    if op == "cond":
        return cel_eval(e[2] if cel_eval(e[1], env) else e[3], env)
    if op == "bin":
        o = e[1]
        if o == "&&":
            return bool(cel_eval(e[2], env)) and bool(cel_eval(e[3], env))
        if o == "||":
            return bool(cel_eval(e[2], env)) or bool(cel_eval(e[3], env))
        a, b = cel_eval(e[2], env), cel_eval(e[3], env)
        if o == "in":
            return a in b
        return {
            "==": lambda: a == b,
            "!=": lambda: a != b,
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a // b,
            "%": lambda: a % b,
        }[o]()
    if op == "macro":
        target, name, var, body = cel_eval(e[1], env), e[2], e[3], e[4]
        items = list(target.keys()) if isinstance(target, dict) else target
        results = [cel_eval(body, {**env, var: x}) for x in items]
        if name == "all":
            return all(results)
        if name == "exists":
            return any(results)
        if name == "exists_one":
            return sum(1 for r in results if r) == 1
        if name == "filter":
            return [x for x, r in zip(items, results) if r]
        return results
    if op == "call":
        target = cel_eval(e[1], env) if e[1] is not None else None
        args = [cel_eval(a, env) for a in e[3]]
        name = e[2]
        if name == "size":
            return len(target if e[1] is not None else args[0])
        if name == "matches":
            return re.search(args[0], target) is not None
        if name == "startsWith":
            return target.startswith(args[0])
        if name == "endsWith":
            return target.endswith(args[0])
        if name == "contains":
            return args[0] in target
        raise CelUnsupported(f"the function {name}()")
    raise CelUnsupported(op)


def _reads_old_self(expr):
    return any(t == ("id", "oldSelf") for t in _tokens(expr))


def check_rules(schema, value, path, where, problems):
    """The CEL rules of `schema` and of every sub-schema that `value` reaches."""
    if not isinstance(schema, dict):
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        text = rule.get("rule", "")
        try:
            if _reads_old_self(text):
                continue  # a transition rule: only for updates
            ok = cel_eval(_Parser(text).parse(), {"self": value})
        except CelUnsupported as e:
            problems.append(f"{where}: {path}: the rule {text!r} cannot be evaluated here ({e}); refused rather than passed")
            continue
        except (KeyError, TypeError, re.error) as e:
            problems.append(f"{where}: {path}: the rule {text!r} fails to evaluate: {e}")
            continue
        if ok is not True:
            problems.append(f"{where}: {path}: {rule.get('message') or text} (rule: {text})")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            sub = props.get(k, extra if isinstance(extra, dict) else None)
            if sub is not None:
                check_rules(sub, v, f"{path}.{k}", where, problems)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            check_rules(schema["items"], v, f"{path}[{i}]", where, problems)


# ---- one object, a stream ----------------------------------------------------------------------


def check_object(doc, where="object"):
    """The problems of one object, as `where: path: message` lines."""
    problems = []
    if not isinstance(doc, dict):
        return [f"{where}: not a mapping"]
    kind = doc.get("kind")
    if kind in CORE:
        check_core(doc, where, problems)
        return problems
    if kind not in CRDS:
        return [f"{where}: unexpected kind {kind!r} (neither a core object we emit nor a CRD in testdata/crds)"]
    spec = CRDS[kind]["spec"]
    group, _, version = str(doc.get("apiVersion", "")).partition("/")
    if group != spec["group"]:
        return [f"{where}: apiVersion {doc.get('apiVersion')!r} is not {spec['group']}/<version>"]
    found = _crd_version(kind, version)
    if found is None:
        return [f"{where}: the CRD of {kind} has no version {version!r}"]
    validator, raw = found
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        at = ".".join(str(p) for p in err.absolute_path) or "(root)"
        problems.append(f"{where}: {at}: {err.message}")
    check_rules(raw, doc, "self", where, problems)
    check_meta(doc, where, problems, spec.get("scope") == "Namespaced")
    _objectmeta_problems(doc, where, problems)
    return problems


def check_stream(text):
    problems, count = [], 0
    for i, doc in enumerate(yaml.load_all(text, Loader=SAFE_LOADER)):
        if doc is None:
            continue
        count += 1
        if isinstance(doc, dict):
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            where = f"document {i} ({doc.get('kind')} {meta.get('namespace', '')}/{meta.get('name')})"
        else:
            where = f"document {i}"
        problems += check_object(doc, where)
    return count, problems


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    files = argv or ["-"]
    total, problems = 0, []
    for name in files:
        try:
            text = sys.stdin.read() if name == "-" else open(name).read()
        except OSError as e:
            print(f"{name}: {e.strerror}", file=sys.stderr)
            return 2
        try:
            count, found = check_stream(text)
        except yaml.YAMLError as e:
            problems.append(f"{name}: not YAML: {e}")
            continue
        total += count
        problems += [p if name == "-" else f"{name}: {p}" for p in found]
    for p in problems:
        print(p)
    print(json.dumps({"documents": total, "problems": len(problems), "kubernetes": SUPPORTED}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
