#!/usr/bin/env python3
"""Extracts ESO's schema of spec.provider.<backend> for the backends recif-secrets renders,
for both API versions, from the External Secrets Operator CRDs, into
src/manifests/store-schemas.json (descriptions dropped). The Rust code checks store blocks
against it, so that the tool refuses what the API server would refuse.

    python3 scripts/extract-store-schemas.py [CRD_DIR]   # default: ../shared/crds
"""
import json
import os
import re
import sys

import yaml


def backends():
    """The backend list is the Rust one: `Backend` in src/config/concepts.rs (between the
    markers), so that adding a backend there is the only change."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "src", "config", "concepts.rs")) as f:
        src = f.read()
    block = src.split("// backends:begin")[1].split("// backends:end")[0]
    return re.findall(r'^\s*\w+ = "([^"]+)",', block, re.M)


BACKENDS = backends()
VERSIONS = ["v1", "v1beta1"]
DROP = {"description", "example"}


def strip(s):
    if isinstance(s, dict):
        return {k: strip(v) for k, v in s.items() if k not in DROP}
    if isinstance(s, list):
        return [strip(v) for v in s]
    return s


def providers(path):
    with open(path) as f:
        crd = yaml.safe_load(f)
    out = {}
    for v in crd["spec"]["versions"]:
        prov = v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["provider"]["properties"]
        out[v["name"]] = {b: strip(prov[b]) for b in BACKENDS}
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    crd_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "crds")
    ns = providers(os.path.join(crd_dir, "external-secrets.io_secretstores.yaml"))
    cluster = providers(os.path.join(crd_dir, "external-secrets.io_clustersecretstores.yaml"))
    assert ns == cluster, "SecretStore and ClusterSecretStore provider schemas differ"
    result = {v: ns[v] for v in VERSIONS}
    target = os.path.join(here, "..", "src", "manifests", "store-schemas.json")
    with open(target, "w") as f:
        json.dump(result, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {target}: {os.path.getsize(target)} bytes")


if __name__ == "__main__":
    main()
