#!/usr/bin/env python3
"""Compares `recif-secrets values` with the real `helm template` on a folder of values files.

    scripts/helm-compare.py DIR [DIR...] [--bin target/debug/recif-secrets] [--helm .tools/bin/helm]
                            [--jobs 2] [--report out.json] [--only singles,pairs,...]

For every file: the file alone (`-f F`); the file without its final line break (a file saved
without one); CRLF and BOM copies of every 10th file; pairs of a chart's `values.yaml` with
its `ci/*` and `values-*` files (file names are repository paths with `/` as `__`), as two `-f`
flags and as one comma-separated `-f A,B`; `--set`-family flag sets built from the keys of
every 10th file (`sets`); the scalars, maps and lists of every 3rd file set to their own values
with `--set`, `--set-string`, `--set-literal` and `--set-json` (`real-sets`); and every 3rd
file's text indented under `secrets:`, `secrets.external:` and `llm.gcp:`, so that it coalesces
with our defaults (`nested`). Each is run through the real helm (a chart whose `values.yaml` is our
defaults and whose only template prints `{{ toJson .Values }}`) and through
`recif-secrets values -o json --reveal`; the two must give the same values, or both refuse.
Integers past 2^53 that Helm rounds to float64 count as alike (a documented deviation).

Prints one line per kind (agreed/total) and every disagreement; exit 1 if any.
Nothing here needs the network; helm runs with its cache and config in a temporary folder.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def helm_values(helm, chart, home, args):
    env = dict(os.environ)
    env.update(
        HELM_CACHE_HOME=f"{home}/cache",
        HELM_CONFIG_HOME=f"{home}/config",
        HELM_DATA_HOME=f"{home}/data",
        GOMAXPROCS="1",
        GOGC="off",
    )
    p = subprocess.run(
        [helm, "template", "probe", chart, *args],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace").strip()
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            return json.loads(line), None
    return None, "no JSON in helm's output"


def our_values(binary, args):
    p = subprocess.run(
        [binary, "values", "-o", "json", "--reveal", *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace").strip()
    return json.loads(p.stdout), None


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def same(a, b, rounded=False):
    """Equal as Helm sees values: numbers as float64 unless both are integers. With
    `rounded`, an exact integer past 2^53 (ours, maybe a string) equals Helm's float64."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if is_int(a) and is_int(b):
            return a == b or (rounded and float(a) == float(b))
        return float(a) == float(b)
    if rounded and isinstance(a, (int, float)) and isinstance(b, str):
        try:
            return abs(int(b)) > 2**53 and float(int(b)) == float(a)
        except ValueError:
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rounded) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rounded) for k in a)
    return type(a) is type(b) and a == b


def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: helm {json.dumps(a.get(k, '<absent>'))[:80]}, ours {json.dumps(b.get(k, '<absent>'))[:80]}"
            if not same(a[k], b[k], True):
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same(x, y, True):
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: helm {json.dumps(a)[:120]}, ours {json.dumps(b)[:120]}"


def set_key(k):
    return "".join("\\" + c if c in ".[],={}\\" else c for c in k)


def set_paths(v, prefix, out):
    if isinstance(v, dict):
        for k, child in v.items():
            p = set_key(k) if not prefix else f"{prefix}.{set_key(k)}"
            out.append((p, child))
            set_paths(child, p, out)
    elif isinstance(v, list):
        for i, child in enumerate(v):
            p = f"{prefix}[{i}]"
            out.append((p, child))
            set_paths(child, p, out)


def set_jobs(binary, path, other, seed):
    parsed, _ = our_values(binary, ["-f", path])
    parsed = parsed or {}
    paths = []
    set_paths(parsed, "", paths)

    def pick(want, nth, default):
        found = [p for p, v in paths if want(v)]
        return found[(seed + nth) % len(found)] if found else default

    def scalar(v):
        return not isinstance(v, (dict, list)) and v is not None

    leaf = pick(scalar, 0, "newKey")
    leaf2 = pick(scalar, 7, "other")
    null = pick(lambda v: v is None, 0, "nothing")
    mapk = pick(lambda v: isinstance(v, dict), 3, "added")
    listk = pick(lambda v: isinstance(v, list), 1, "items")
    keys = list(parsed)
    top = keys[seed % len(keys)] if keys else "top"
    flags = [
        ["--set", f"{leaf}=42,{mapk}.added=true,{listk}[0]=x"],
        ["--set", f"{leaf2}.below=1"],
        ["--set", f"{null}.below=1,{listk}[2].k=v"],
        ["--set", f"{mapk}=null,{leaf}={{a,1,null}}"],
        ["--set-string", f"{leaf}=007,{listk}[1]=true,{mapk}.n=null"],
        ["--set-json", f'{mapk}={{"x":[1,{{"y":null}}]}},{leaf2}=[]'],
        ["--set-json", json.dumps({top: {"enabled": None, "added": [1, "x", {"y": 2.5}]}})],
        ["--set-file", f"{leaf}={other},{mapk}.file={path}"],
        ["--set", f"{listk}[0]=a", "--set-json", f'{listk}=[{{"b":1}}]'],
        ["--set-literal", f"{leaf}=a,b={{c}}", "--set", f"{leaf2}=1e3"],
    ]
    return [["-f", path, *f] for f in flags]


def set_value(v):
    """A value as a --set argument writes it: its text, with `\\` and `,` escaped."""
    text = v if isinstance(v, str) else json.dumps(v)
    return text.replace("\\", "\\\\").replace(",", "\\,")


def real_set_jobs(binary, path, seed):
    """Flags a user would write for this file: its own scalars set to their own values with
    --set, --set-string and --set-literal, and its own maps and lists as --set-json."""
    parsed, _ = our_values(binary, ["-f", path])
    paths = []
    set_paths(parsed or {}, "", paths)
    scalars = [(p, v) for p, v in paths if not isinstance(v, (dict, list)) and v is not None]
    trees = [(p, v) for p, v in paths if isinstance(v, (dict, list)) and v]
    if not scalars:
        return []
    pick = [scalars[(seed + 11 * k) % len(scalars)] for k in range(4)]
    out = [
        ["--set", ",".join(f"{p}={set_value(v)}" for p, v in pick)],
        ["--set-string", ",".join(f"{p}={set_value(v)}" for p, v in pick)],
        ["--set-literal", f"{pick[0][0]}={pick[0][1] if isinstance(pick[0][1], str) else json.dumps(pick[0][1])}"],
    ]
    if trees:
        p, v = trees[seed % len(trees)]
        out.append(["--set-json", f"{p}={json.dumps(v)}"])
        out.append(["--set-json", json.dumps({"copy": v})])
    return [["-f", path, *f] for f in out]


def pairs(names):
    out = []
    for base in names:
        if not base.endswith("__values.yaml"):
            continue
        prefix = base[: -len("values.yaml")]
        for other in names:
            if not other.startswith(prefix) or other == base:
                continue
            rest = other[len(prefix):]
            ci = rest.startswith("ci__") and "__" not in rest[4:]
            sibling = rest.startswith("values") and "__" not in rest
            if ci or sibling:
                out.append((base, other))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--bin", default=str(ROOT / "target/debug/recif-secrets"))
    ap.add_argument("--helm", default=str(ROOT / ".tools/bin/helm"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--report")
    ap.add_argument("--only", default="singles,no-final-newline,copies,pairs,comma-pairs,sets,real-sets,nested")
    opts = ap.parse_args()
    kinds = opts.only.split(",")

    tmp = tempfile.TemporaryDirectory()
    chart = pathlib.Path(tmp.name, "chart")
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text((ROOT / "src/defaults.yaml").read_text())
    (chart / "templates/values.yaml").write_text("{{ toJson .Values }}\n")
    home = pathlib.Path(tmp.name, "home")
    derived = pathlib.Path(tmp.name, "derived")
    derived.mkdir()

    jobs = []  # (kind, name, args)
    for d in opts.dirs:
        d = pathlib.Path(d)
        names = sorted(n for n in os.listdir(d) if n.endswith((".yaml", ".yml")))
        p = lambda n: str(d / n)  # noqa: E731
        for i, n in enumerate(names):
            if "singles" in kinds:
                jobs.append(("singles", n, ["-f", p(n)]))
            data = (d / n).read_bytes()
            if "no-final-newline" in kinds and data.endswith(b"\n"):
                cut = derived / f"nonl-{n}"
                cut.write_bytes(data.rstrip(b"\r\n"))
                jobs.append(("no-final-newline", n, ["-f", str(cut)]))
            lines = data.split(b"\n")
            if "nested" in kinds and i % 3 == 0 and not any(
                l.startswith((b"---", b"...", b"%")) for l in lines
            ):
                # The file's text under our own sections: every map of it coalesces with our
                # defaults (secrets.external.keys, llm.gcp, ...).
                for under in (["secrets"], ["secrets", "external"], ["llm", "gcp"]):
                    head = b"".join(b"  " * d + k.encode() + b":\n" for d, k in enumerate(under))
                    pad = b"  " * len(under)
                    body = b"\n".join(pad + l if l.strip() else l for l in lines)
                    nested = derived / f"nested-{'.'.join(under)}-{n}"
                    nested.write_bytes(head + body)
                    jobs.append(("nested", f"{n} under {'.'.join(under)}", ["-f", str(nested)]))
            if "copies" in kinds and i % 10 == 0:
                crlf = derived / f"crlf-{n}"
                crlf.write_bytes(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
                bom = derived / f"bom-{n}"
                bom.write_bytes(b"\xef\xbb\xbf" + data)
                jobs.append(("copies", f"crlf {n}", ["-f", str(crlf)]))
                jobs.append(("copies", f"bom {n}", ["-f", str(bom)]))
            if "real-sets" in kinds and i % 3 == 0:
                for j, a in enumerate(real_set_jobs(opts.bin, p(n), i)):
                    jobs.append(("real-sets", f"real set #{j} on {n}", a))
            if "sets" in kinds and i % 10 == 0:
                other = names[(i * 7 + 3) % len(names)]
                for j, a in enumerate(set_jobs(opts.bin, p(n), p(other), i)):
                    jobs.append(("sets", f"set #{j} on {n}", a))
        for a, b in pairs(names):
            if "pairs" in kinds:
                jobs.append(("pairs", f"{a} + {b}", ["-f", p(a), "-f", p(b)]))
            if "comma-pairs" in kinds and "," not in p(a) + p(b) and '"' not in p(a) + p(b):
                jobs.append(("comma-pairs", f"{a},{b}", ["-f", f"{p(a)},{p(b)}"]))

    def run(job):
        kind, name, args = job
        h, herr = helm_values(opts.helm, str(chart), str(home), args)
        o, oerr = our_values(opts.bin, args)
        if h is not None and o is not None:
            if same(h, o):
                return "accepted"
            if same(h, o, True):
                return "rounded"
            return "differs: values: " + first_difference(h, o)
        if h is None and o is None:
            return "refused"
        if h is None:
            return f"differs: helm refuses ({herr.splitlines()[-1][:200]}), we accept"
        return f"differs: helm accepts, we refuse ({oerr.splitlines()[0][:200]})"

    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as pool:
        results = list(pool.map(run, jobs))

    total_bad = 0
    report = []
    for kind in kinds:
        rs = [r for (k, _, _), r in zip(jobs, results) if k == kind]
        bad = sum(r.startswith("differs") for r in rs)
        total_bad += bad
        print(
            f"{kind}: {len(rs) - bad} of {len(rs)} agree "
            f"({rs.count('accepted')} accepted, {rs.count('refused')} refused, "
            f"{rs.count('rounded')} alike but for integers past 2^53)"
        )
    n = len(jobs)
    print(f"total: {n - total_bad} of {n} agree ({100 * (n - total_bad) / max(n, 1):.2f} %)")
    for (kind, name, args), r in zip(jobs, results):
        if r.startswith("differs"):
            print(f"- [{kind}] {name}\n    {r}")
            report.append({"kind": kind, "name": name, "args": args, "result": r})
    if opts.report:
        pathlib.Path(opts.report).write_text(json.dumps(report, indent=1))
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
