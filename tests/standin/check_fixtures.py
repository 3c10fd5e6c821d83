#!/usr/bin/env python3
"""Keeps the recorded objects honest: every ExternalSecret, SecretStore and ClusterSecretStore
of the fixture files given is validated, status included, against the openAPIV3Schema of the
ESO CRD of its apiVersion, strictly (no undeclared field), with scripts/check-manifests.py
(the CRDs of testdata/crds, their CEL rules, and the metadata against the core ObjectMeta
schema, which has the server-set fields: uid, resourceVersion, managedFields).

  check_fixtures.py CHECK_MANIFESTS_PY FIXTURE.json...

Prints one line per problem and the number of objects checked; exits 1 on any problem.
"""
import importlib.util
import json
import sys

ESO_KINDS = ("ExternalSecret", "SecretStore", "ClusterSecretStore")


def main():
    spec = importlib.util.spec_from_file_location("check_manifests", sys.argv[1])
    cm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cm)
    problems, checked = [], 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        items = doc["items"] if doc.get("kind") == "List" else [doc]
        for o in items:
            if o.get("kind") not in ESO_KINDS:
                continue
            where = f"{path}: {o['kind']} {o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
            if not o.get("apiVersion", "").startswith("external-secrets.io/"):
                problems.append(f"{where}: apiVersion {o.get('apiVersion')!r} is not ESO's")
                continue
            checked += 1
            if "status" not in o:
                problems.append(f"{where}: recorded without status")
            problems += cm.check_object(o, where)
    for p in problems:
        print(p)
    print(json.dumps({"checked": checked, "problems": len(problems)}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
