#!/usr/bin/env python3
"""Extracts the External Secrets Operator's own schemas from its CRDs into
src/manifests/store-schemas.json, for every API version the CRDs define:

- `spec` of SecretStore and ClusterSecretStore (so `spec.provider` holds EVERY provider of
  that version: the list of backends recif-secrets accepts comes from here, not from a hand
  list, and a new ESO release is a data update: run this script on its CRDs);
- `spec` of ExternalSecret (for `secrets.external.externalSecretSpec` and the overrides);
- whether the version is served.

Descriptions and examples are dropped, and identical sub-schemas larger than a few bytes are
stored once under `defs` and referenced as {"$ref": "<id>"} (the provider schemas repeat the
same secret and service-account selectors hundreds of times). The Rust code
(src/config/schema.rs) checks values against it, so that the tool refuses what the API server
would refuse.

    python3 scripts/extract-store-schemas.py [CRD_DIR [OUT]]
        # defaults: testdata/crds, src/manifests/store-schemas.json
"""
import json
import os
import sys

import yaml

DROP = {"description", "example"}
# A shared sub-schema must be at least this long (compact JSON) to be worth a reference.
MIN_SHARED = 64


def strip(s):
    if isinstance(s, dict):
        return {k: strip(v) for k, v in s.items() if k not in DROP}
    if isinstance(s, list):
        return [strip(v) for v in s]
    return s


def specs(path):
    with open(path) as f:
        crd = yaml.safe_load(f)
    out = {}
    for v in crd["spec"]["versions"]:
        spec = v["schema"]["openAPIV3Schema"]["properties"]["spec"]
        out[v["name"]] = (bool(v.get("served", False)), strip(spec))
    return out


def canon(s):
    return json.dumps(s, sort_keys=True, separators=(",", ":"))


def count(s, counts):
    if isinstance(s, dict):
        c = canon(s)
        counts[c] = counts.get(c, 0) + 1
        for v in s.values():
            count(v, counts)
    elif isinstance(s, list):
        for v in s:
            count(v, counts)


def dedup(s, counts, defs, ids, root=False):
    """`s` with every shared sub-schema replaced by a reference to its entry in `defs`."""
    if isinstance(s, list):
        return [dedup(v, counts, defs, ids) for v in s]
    if not isinstance(s, dict):
        return s
    c = canon(s)
    # Only schemas (maps with a type or properties) are shared, never a keyword's own map
    # such as `properties` itself, so that every reference stands where a schema stands.
    shared = (
        not root
        and counts.get(c, 0) > 1
        and len(c) >= MIN_SHARED
        and ("type" in s or "properties" in s)
    )
    if shared and c in ids:
        return {"$ref": ids[c]}
    out = {}
    for k, v in s.items():
        if k == "properties":
            out[k] = {p: dedup(x, counts, defs, ids) for p, x in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = dedup(v, counts, defs, ids)
        elif k in ("anyOf", "oneOf", "allOf"):
            out[k] = [dedup(x, counts, defs, ids) for x in v]
        else:
            out[k] = v
    if shared:
        ids[c] = f"d{len(ids)}"
        defs[ids[c]] = out
        return {"$ref": ids[c]}
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    crd_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "testdata", "crds")
    ns = specs(os.path.join(crd_dir, "external-secrets.io_secretstores.yaml"))
    cluster = specs(os.path.join(crd_dir, "external-secrets.io_clustersecretstores.yaml"))
    es = specs(os.path.join(crd_dir, "external-secrets.io_externalsecrets.yaml"))
    assert ns.keys() == cluster.keys() == es.keys(), "the CRDs define different API versions"
    versions = {}
    for v in sorted(ns):
        served = {ns[v][0], cluster[v][0], es[v][0]}
        assert len(served) == 1, f"{v} is served by some CRDs only"
        p1 = ns[v][1]["properties"]["provider"]
        p2 = cluster[v][1]["properties"]["provider"]
        assert p1 == p2, f"{v}: SecretStore and ClusterSecretStore provider schemas differ"
        versions[v] = {
            "served": served.pop(),
            "SecretStore": ns[v][1],
            "ClusterSecretStore": cluster[v][1],
            "ExternalSecret": es[v][1],
        }
    counts = {}
    count(versions, counts)
    defs, ids = {}, {}
    for v in versions.values():
        for kind in ("SecretStore", "ClusterSecretStore", "ExternalSecret"):
            v[kind] = dedup(v[kind], counts, defs, ids, root=True)
    result = {"defs": defs, "versions": versions}
    target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "src", "manifests", "store-schemas.json")
    with open(target, "w") as f:
        json.dump(result, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    def resolve(s):
        return defs[s["$ref"]] if "$ref" in s else s

    providers = {
        v: len(resolve(resolve(x["SecretStore"])["properties"]["provider"])["properties"])
        for v, x in versions.items()
    }
    print(f"wrote {target}: {os.path.getsize(target)} bytes, {len(defs)} shared sub-schemas, providers {providers}")


if __name__ == "__main__":
    main()
