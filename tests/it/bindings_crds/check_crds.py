#!/usr/bin/env python3
"""Validates every object of a YAML stream (standard input) whose apiVersion and kind one of
the CRD files defines against that CRD's openAPIV3Schema (jsonschema, Draft 7 semantics for the
keywords OpenAPI v3 shares with it: type, properties, required, oneOf, not, pattern, enum...),
and checks that the CRD's CEL rules (x-kubernetes-validations) are all transition rules
(they use oldSelf, so they hold on creation); a rule that is not is reported, never passed.

    check_crds.py CRD_FILE... --expect N < objects.yaml

Prints one line per problem and exits 1 when there is any, or when the number of objects
validated is not N (so a stream with nothing to check does not pass).
"""
import sys

import jsonschema
import yaml


def crds(paths):
    out = {}
    load = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in paths:
        with open(path) as f:
            crd = yaml.load(f, Loader=load)
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for v in crd["spec"]["versions"]:
            out[(f"{group}/{v['name']}", kind)] = (v, crd["spec"]["scope"], path)
    return out


def cel_rules(schema, path="", out=None):
    out = [] if out is None else out
    if isinstance(schema, dict):
        for rule in schema.get("x-kubernetes-validations", []):
            out.append((path, rule.get("rule", "")))
        for k, v in schema.items():
            cel_rules(v, f"{path}.{k}" if path else k, out)
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            cel_rules(v, f"{path}[{i}]", out)
    return out


def unknown_fields(schema, value, path, out):
    """Fields the schema does not declare (kubectl apply --validate=strict refuses them; the
    API server would prune them silently)."""
    if isinstance(value, dict) and isinstance(schema, dict):
        props = schema.get("properties")
        if props is None or schema.get("x-kubernetes-preserve-unknown-fields"):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                for k, v in value.items():
                    unknown_fields(extra, v, f"{path}.{k}", out)
            return
        for k, v in value.items():
            if k in props:
                unknown_fields(props[k], v, f"{path}.{k}" if path else k, out)
            elif path != "metadata":
                out.append(f"{path}.{k}: unknown field")
    elif isinstance(value, list) and isinstance(schema, dict) and "items" in schema:
        for i, v in enumerate(value):
            unknown_fields(schema["items"], v, f"{path}[{i}]", out)


def main():
    at = sys.argv.index("--expect")
    expect = int(sys.argv[at + 1])
    defs = crds(sys.argv[1:at])
    problems = []
    checked = 0
    for doc in yaml.safe_load_all(sys.stdin):
        if not doc:
            continue
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in defs:
            continue
        version, scope, path = defs[key]
        where = f"{doc['kind']} {doc.get('metadata', {}).get('namespace')}/{doc.get('metadata', {}).get('name')}"
        if not version.get("served"):
            problems.append(f"{where}: {key[0]} is not served by {path}")
        if scope == "Namespaced" and not doc.get("metadata", {}).get("namespace"):
            problems.append(f"{where}: namespaced, but no metadata.namespace")
        schema = version["schema"]["openAPIV3Schema"]
        for e in jsonschema.Draft7Validator(schema).iter_errors(doc):
            problems.append(f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}")
        unknown = []
        unknown_fields(schema, doc, "", unknown)
        problems += [f"{where}: {u}" for u in unknown]
        for at, rule in cel_rules(schema):
            if "oldSelf" not in rule:
                problems.append(f"{where}: CEL rule at {at} not checked here: {rule}")
        checked += 1
    if checked != expect:
        problems.append(f"validated {checked} objects, expected {expect}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
