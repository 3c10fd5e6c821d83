#!/usr/bin/env bash
# recif-secrets render vs helm template, on the same values, same objects.
#
#   benches/compare.sh                      # the full run (a few minutes)
#   SIZES="doc 100" RUNS=3 benches/compare.sh   # a quick look
#
# What it does, from one invocation:
#   1. builds the shipped recif-secrets (scripts/build-dist.sh; CARGO_TARGET_DIR is honoured);
#   2. checks that benches/peer-chart/values.yaml is our built-in defaults (src/defaults.yaml);
#   3. writes the values files (mode 0600) into a git work tree of 50,000 tracked files
#      (TRACKED), the values files git-ignored, as users keep them next to a GitOps monorepo:
#      recif-secrets then reads the repository's index and ignore files to warn about a
#      values file holding secrets that is tracked or not ignored (what that costs outside a
#      work tree, in an empty repository and in this one is measured after the main table);
#        doc   = values-secret.yaml.example (the documented inline example; 1 team namespace)
#        N     = N team namespaces (team-default + N-1 teams), 20 LLM keys, a service-account key
#   4. per size: runs both tools once and checks they produce the same objects (both YAML
#      streams parsed with PyYAML, sorted lists of objects compared; any difference fails);
#      then runs recif-secrets 15 times and helm 15 times (10 at 5000 teams, 5 at 10000),
#      interleaved (helm's runs spread among ours, the order alternating), stdout and stderr
#      to /dev/null, measuring wall time and peak RSS of each run with a tiny C launcher
#      (CLOCK_MONOTONIC around posix_spawn + wait4, and that child's ru_maxrss; see below why
#      not from python);
#   5. prints the machine, versions and a Markdown table of medians to stdout (progress on
#      stderr), ready to paste into the README;
#   6. then: `--version` against /bin/true (start-up alone); each size's render with its
#      output written to a file against `cat` copying that same output to a file; the git
#      check outside a work tree, in an empty repository and in the 50,000-file one; and
#      encryption at 1000 teams (render --sops-age, --seal-cert with benches/sealing-cert.pem,
#      and the no-churn re-render into an --output-dir written before).
#
# Commands timed:
#   helm template recif benches/peer-chart -n recif-system -f VALUES
#   recif-secrets render -f VALUES -n recif-system
#
# Environment: HELM (default .tools/bin/helm, else helm on PATH), SIZES (default
# "doc 100 1000 5000 10000"), RUNS (one run count for both tools at every size, for a quick
# look), TRACKED (files tracked in the work tree holding the values, default 50000),
# ENCRYPTION=0 skips the encryption table (a few minutes of sealing),
# KEEP_TMP=1 keeps the temp dir, CC (the C compiler for the launcher). Not part of
# `cargo test`: nothing under benches/ runs there (the criterion bench runs with cargo bench).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHART="benches/peer-chart"
SIZES="${SIZES:-doc 100 1000 5000 10000}"
RUNS="${RUNS:-}"
if [[ -z "${HELM:-}" ]]; then
  if [[ -x "$ROOT/.tools/bin/helm" ]]; then HELM="$ROOT/.tools/bin/helm"; else HELM="$(command -v helm || true)"; fi
fi
[[ -n "$HELM" ]] && HELM="$(command -v "$HELM" || true)"
[[ -n "$HELM" && -x "$HELM" ]] || { echo "compare.sh: helm not found (set HELM=/path/to/helm)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed" >&2; exit 2; }
python3 -c 'import yaml' 2>/dev/null || { echo "compare.sh: python3 PyYAML is needed (pip install pyyaml)" >&2; exit 2; }

# 1. Build, as the binary is shipped (scripts/build-dist.sh: the `dist` profile, that is the
#    `release` profile (fat LTO, one codegen unit) stripped and statically linked), so that
#    neither tool pays for the dynamic loader (helm is a static Go binary). STATIC=0 measures
#    the dynamically linked release build (what `cargo install` gives) instead; RECIF=PATH
#    measures that binary, built beforehand.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [[ -n "${RECIF:-}" ]]; then
  echo "using RECIF=$RECIF (not built here)" >&2
elif [[ "${STATIC:-1}" == 1 && "$(uname -m)" == x86_64 ]]; then
  echo "building recif-secrets (dist profile, static)..." >&2
  RECIF="$(scripts/build-dist.sh)"
else
  echo "building recif-secrets (release)..." >&2
  cargo build --release --quiet --bin recif-secrets >&2
  RECIF="$TARGET_DIR/release/recif-secrets"
fi
[[ -x "$RECIF" ]] || { echo "compare.sh: $RECIF not built" >&2; exit 2; }

# 2. The peer chart's values.yaml must be our defaults.
if ! cmp -s src/defaults.yaml "$CHART/values.yaml"; then
  echo "compare.sh: $CHART/values.yaml differs from src/defaults.yaml; refresh it:" >&2
  echo "  cp src/defaults.yaml $CHART/values.yaml" >&2
  exit 1
fi

# 3. Values files, in a temp dir outside any git work tree.
TMP="$(mktemp -d "${TMPDIR:-/tmp}/recif-bench.XXXXXX")"
if [[ "${KEEP_TMP:-}" == 1 ]]; then
  echo "temp dir kept: $TMP" >&2
else
  trap 'rm -rf "$TMP"' EXIT
fi
if git -C "$TMP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "compare.sh: $TMP is inside a git work tree; set TMPDIR to a folder outside one" >&2
  exit 1
fi
# helm: its own empty config, cache and data, so no user setting plays a part.
export HELM_CONFIG_HOME="$TMP/helm/config" HELM_CACHE_HOME="$TMP/helm/cache" HELM_DATA_HOME="$TMP/helm/data"

(
  umask 077
  # Size 1 (one team, keys that look real) always: the git check runs only for values files
  # holding secret values, which the documented example (placeholders) is not.
  python3 - "$TMP" "$SIZES 1" <<'PY'
import base64, hashlib, json, os, sys

tmp, sizes = sys.argv[1], sys.argv[2].split()
# 20 LLM keys (llm.<name>ApiKey), a mix of one-word and camelCase names.
NAMES = ["google", "openai", "anthropic", "azureOpenai", "mistral", "cohere", "groq",
         "togetherAi", "fireworksAi", "perplexity", "deepseek", "xAI", "huggingFace",
         "replicate", "voyageAi", "openRouter", "cerebras", "sambaNova", "awsBedrock",
         "nvidiaNim"]
assert len(NAMES) == 20

def fake(seed, n):
    out = b""
    while len(out) < n:
        out += hashlib.sha256((seed + str(len(out))).encode()).digest()
    return base64.b64encode(out).decode()[:n]

# A service-account key shaped like a real one (2048-bit PEM body: ~1.6 KB).
pem_body = fake("private-key", 1624)
pem = ("-----BEGIN PRIVATE KEY-----\n"
       + "\n".join(pem_body[i:i + 64] for i in range(0, len(pem_body), 64))
       + "\n-----END PRIVATE KEY-----\n")
sa = {
    "type": "service_account",
    "project_id": "bench-project-123",
    "private_key_id": hashlib.sha1(b"kid").hexdigest(),
    "private_key": pem,
    "client_email": "recif-sa@bench-project-123.iam.gserviceaccount.com",
    "client_id": "100000000000000000001",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/recif-sa%40bench-project-123.iam.gserviceaccount.com",
    "universe_domain": "googleapis.com",
}
sa_b64 = base64.b64encode(json.dumps(sa, indent=2).encode()).decode()

def write(name, text):
    path = os.path.join(tmp, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)

for size in sizes:
    if size == "doc":
        with open("values-secret.yaml.example") as f:
            write("values-doc.yaml", f.read())
        continue
    n = int(size)
    lines = ["# benches/compare.sh: %d team namespaces, 20 LLM keys, a service-account key" % n,
             "llm:"]
    for name in NAMES:
        lines.append("  %sApiKey: %s" % (name, json.dumps("sk-" + fake(name, 48))))
    lines += ["  gcp:",
              '    project: "bench-project-123"',
              '    location: "us-central1"',
              "    serviceAccountKeyBase64: %s" % json.dumps(sa_b64),
              "namespaces:",
              "  defaultTeam: team-default",
              "  teams:" if n > 1 else "  teams: []"]
    lines += ["    - team-%05d" % i for i in range(1, n)]
    write("values-%s.yaml" % size, "\n".join(lines) + "\n")
PY
)

# The launcher that times one run. It is compiled here (cc is there wherever cargo links)
# because the peak RSS that wait4 reports for a child is at least the RSS of the process that
# spawned it (Linux carries the old address space's high-water mark across exec): spawned
# straight from python it would read 13 MiB or more, hundreds of MiB once python has parsed
# the 10000-team outputs. This launcher stays under 1 MiB, and times the run itself
# (CLOCK_MONOTONIC around posix_spawn + wait4), so its own start-up is not counted.
CC="${CC:-cc}"
command -v "$CC" >/dev/null || { echo "compare.sh: a C compiler is needed (set CC)" >&2; exit 2; }
LAUNCHER="$TMP/runone"
cat > "$TMP/runone.c" <<'C'
/* runone OUT ERR PROGRAM ARGS...: runs PROGRAM with stdin /dev/null, stdout OUT, stderr ERR;
   prints "EXIT WALL_SECONDS MAXRSS_KIB" (maxrss of the child and its waited-for children). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: runone OUT ERR PROGRAM [ARGS...]\n"); return 2; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct timespec t0, t1;
    pid_t pid;
    int status;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ);
    if (rc != 0) { fprintf(stderr, "%s: %s\n", argv[3], strerror(rc)); return 2; }
    if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%d %.6f %ld\n", code,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, ru.ru_maxrss);
    return 0;
}
C
"$CC" -O2 -o "$LAUNCHER" "$TMP/runone.c"

# 4 and 5. Check, measure, report.
export LC_ALL=C
CPU_MODEL="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
HELM_VERSION="$("$HELM" version --short 2>/dev/null || true)"
RECIF_VERSION="$("$RECIF" --version 2>/dev/null || true)"
case "$RECIF" in
  */dist/*) LINKING="dist profile (release, stripped)" ;;
  */quick/*) LINKING="quick profile (no LTO)" ;;
  */release/*|*/bin/*) LINKING="release profile (fat LTO)" ;;
  *) LINKING="built elsewhere" ;;
esac
if sh scripts/check-static.sh "$RECIF" >/dev/null 2>&1; then  # `file` says "static-pie linked"
  LINKING="$LINKING, statically linked"
else
  LINKING="$LINKING, dynamically linked"
fi
TREE="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"

# Encryption (render --sops-age / --seal-cert at 1000 teams): an age recipient made here
# (the public half only is used), and the public sealing certificate kept in benches/.
AGE_RECIPIENT=""
if command -v age-keygen >/dev/null; then
  age-keygen -o "$TMP/age-identity.txt" 2>/dev/null
  AGE_RECIPIENT="$(grep -o 'age1[0-9a-z]*' "$TMP/age-identity.txt" | head -n1)"
fi
SEAL_CERT="$ROOT/benches/sealing-cert.pem"
# Git work trees with the values files ignored, to measure as users run it (values next to
# their GitOps repository): the index and .gitignore are read, no git is started. `repo`
# tracks TRACKED files (a GitOps monorepo: clusters/*/apps/*/*.yaml), `empty` only its
# .gitignore.
TRACKED="${TRACKED:-50000}"
for r in repo empty; do
  mkdir -p "$TMP/$r"
  git -C "$TMP/$r" init -q
  printf 'values-*.yaml\n' > "$TMP/$r/.gitignore"
done
echo "a git work tree of $TRACKED tracked files..." >&2
python3 - "$TMP/repo" "$TRACKED" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "clusters", "c%02d" % (i // 1000 % 100), "apps", "app%02d" % (i // 50 % 20))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m%06d.yaml" % i), "w") as f:
        f.write("kind: ConfigMap\nindex: %d\n" % i)
PY
for r in repo empty; do
  git -C "$TMP/$r" add -A
  git -C "$TMP/$r" -c user.name=bench -c user.email=bench@example.com -c gc.auto=0 -c maintenance.auto=false commit -qm init  # no background gc: it would run during the measurements and race the clean-up
  for f in "$TMP"/values-*.yaml; do cp -p "$f" "$TMP/$r/"; done
done
TRACKED_NOW="$(git -C "$TMP/repo" ls-files | wc -l)"
export AGE_RECIPIENT SEAL_CERT TRACKED_NOW

MACHINE="$(nproc) CPU (${CPU_MODEL:-unknown model}), $(uname -sr)"
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
export MACHINE DATE HELM_VERSION RECIF_VERSION TREE LINKING
python3 - "$TMP" "$SIZES" "$RUNS" "$HELM" "$RECIF" "$CHART" "$LAUNCHER" <<'PY'
import json, os, shutil, statistics, subprocess, sys
import yaml

tmp, sizes, runs_override, helm, recif, chart, launcher = sys.argv[1:8]
sizes = sizes.split()
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
load_start = " ".join(open("/proc/loadavg").read().split()[:3])

def progress(msg):
    print(msg, file=sys.stderr, flush=True)

def cmd_helm(values):
    return [helm, "template", "recif", chart, "-n", "recif-system", "-f", values]

def cmd_recif(values):
    return [recif, "render", "-f", values, "-n", "recif-system"]

def spawn(argv, stdout="/dev/null", stderr="/dev/null"):
    """Runs argv once through the launcher; returns (exit status, wall seconds, peak RSS KiB)."""
    out = subprocess.run([launcher, stdout, stderr] + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit("FAIL: cannot run %s: %s" % (argv[0], out.stderr.strip()))
    code, wall, rss = out.stdout.split()
    return int(code), float(wall), int(rss)

def objects(path):
    with open(path, "rb") as f:
        docs = [d for d in yaml.load_all(f, Loader=Loader) if d is not None]
    return sorted(json.dumps(d, sort_keys=True) for d in docs)

def diff_paths(a, b, path=""):
    """The paths where two parsed objects differ (values not shown: they may be secrets)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            p = "%s.%s" % (path, k) if path else str(k)
            if k not in a:
                out.append(p + " (only in helm)")
            elif k not in b:
                out.append(p + " (only in recif-secrets)")
            else:
                out += diff_paths(a[k], b[k], p)
        return out
    return [] if a == b else [path or "(the whole object)"]

def describe_difference(ours, theirs):
    def ident(o):
        m = o.get("metadata") or {}
        return "%s %s/%s" % (o.get("kind"), m.get("namespace"), m.get("name"))
    a = {}
    b = {}
    for text in ours:
        o = json.loads(text)
        a.setdefault(ident(o), []).append(o)
    for text in theirs:
        o = json.loads(text)
        b.setdefault(ident(o), []).append(o)
    lines = ["  %d objects from recif-secrets, %d from helm" % (len(ours), len(theirs))]
    for k in sorted(set(a) | set(b)):
        if k not in b:
            lines.append("  %s: only from recif-secrets" % k)
        elif k not in a:
            lines.append("  %s: only from helm" % k)
        elif len(a[k]) != len(b[k]):
            lines.append("  %s: %d times from recif-secrets, %d from helm" % (k, len(a[k]), len(b[k])))
        elif a[k] != b[k]:
            lines.append("  %s differs at: %s" % (k, ", ".join(diff_paths(a[k][0], b[k][0]))))
        if len(lines) > 20:
            lines.append("  ...")
            break
    return lines

def check(size, values):
    """Both tools once; the same objects or a loud failure. Returns (objects, bytes ours, bytes helm)."""
    out = {}
    for tool, argv in (("recif-secrets", cmd_recif(values)), ("helm", cmd_helm(values))):
        o = os.path.join(tmp, "out-%s-%s.yaml" % (tool, size))
        e = os.path.join(tmp, "err-%s-%s.txt" % (tool, size))
        code, _, _ = spawn(argv, o, e)
        err = open(e, errors="replace").read()
        if code != 0:
            sys.exit("FAIL %s: %s exited %d:\n%s" % (size, " ".join(argv), code, err))
        if err.strip():
            progress("  note: %s wrote to stderr: %s" % (tool, err.strip()[:500]))
        out[tool] = o
    ours, theirs = objects(out["recif-secrets"]), objects(out["helm"])
    if ours != theirs:
        sys.exit("FAIL %s: recif-secrets and helm render different objects\n%s"
                 % (size, "\n".join(describe_difference(ours, theirs))))
    sizes_ = (os.path.getsize(out["recif-secrets"]), os.path.getsize(out["helm"]))
    for o in out.values():
        os.remove(o)
    return len(ours), sizes_[0], sizes_[1]

def default_runs(size):
    """(recif-secrets runs, helm runs). helm's big sizes take seconds a run, so it runs fewer
    times there; recif-secrets keeps 15 runs everywhere, which the 10000/5000 ratio needs on a
    machine whose speed wanders by +-20% from run to run."""
    if runs_override:
        return int(runs_override), int(runs_override)
    return 15, {"5000": 10, "10000": 5}.get(size, 15)

# The launcher's floor: /bin/true, timed and measured the same way.
floor = [spawn([shutil.which("true") or "/bin/true"]) for _ in range(15)]

rows = []
for size in sizes:
    values = os.path.join(tmp, "repo", "values-%s.yaml" % size)
    teams = 1 if size == "doc" else int(size)
    progress("size %s: checking objects..." % size)
    n_objects, bytes_ours, bytes_helm = check(size, values)
    n_ours, n_helm = default_runs(size)
    progress("size %s: %d objects, same in both; timing %d + %d runs..."
             % (size, n_objects, n_ours, n_helm))
    m = {"recif-secrets": ([], []), "helm": ([], [])}
    # Interleaved: helm's runs spread evenly among ours, the order alternating.
    schedule, helm_runs = [], 0
    for i in range(n_ours):
        step = [("recif-secrets", cmd_recif(values))]
        if helm_runs < round((i + 1) * n_helm / n_ours):
            step.append(("helm", cmd_helm(values)))
            if helm_runs % 2:
                step.reverse()
            helm_runs += 1
        schedule += step
    for tool, argv in schedule:
        code, wall, rss = spawn(argv)
        if code != 0:
            sys.exit("FAIL %s: %s exited %d during timing" % (size, " ".join(argv), code))
        m[tool][0].append(wall * 1000)
        m[tool][1].append(rss / 1024)
    r = {"size": size, "teams": teams, "objects": n_objects, "runs": "%d / %d" % (n_ours, n_helm),
         "bytes_ours": bytes_ours, "bytes_helm": bytes_helm}
    for tool, (walls, rsss) in m.items():
        r[tool] = {"ms": statistics.median(walls), "ms_min": min(walls), "ms_max": max(walls),
                   "mib": statistics.median(rsss), "mib_min": min(rsss), "mib_max": max(rsss)}
    rows.append(r)

def ms(x):
    return "%.1f" % x if x < 100 else "%.0f" % x

print("## recif-secrets render vs helm template")
print()
env = os.environ
print("- machine: %s; load average before measuring: %s" % (env["MACHINE"], load_start))
print("- date: %s" % env["DATE"])
print("- helm: %s; recif-secrets: %s (%s, tree %s)"
      % (env["HELM_VERSION"], env["RECIF_VERSION"], env["LINKING"], env["TREE"]))
print("- commands: `helm template recif benches/peer-chart -n recif-system -f VALUES` and "
      "`recif-secrets render -f VALUES -n recif-system`; stdout to /dev/null")
print("- values: `doc` is values-secret.yaml.example (1 team namespace); N is N team namespaces "
      "with 20 LLM keys and a service-account key; files mode 0600, git-ignored, in the git work tree described below the table")
print("- each size: objects checked identical first, then each tool run interleaved; medians shown")
print()
print("| teams | objects | output bytes (ours / helm) | runs (ours / helm) | recif-secrets ms | helm ms | speed ratio | recif-secrets MiB | helm MiB | memory ratio |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    a, b = r["recif-secrets"], r["helm"]
    label = "1 (doc)" if r["size"] == "doc" else str(r["teams"])
    print("| %s | %d | %d / %d | %s | %s | %s | %.1f× | %.1f | %.1f | %.1f× |" % (
        label, r["objects"], r["bytes_ours"], r["bytes_helm"], r["runs"],
        ms(a["ms"]), ms(b["ms"]), b["ms"] / a["ms"], a["mib"], b["mib"], b["mib"] / a["mib"]))
print()
print("Spread (min–max over the runs):")
print()
print("| teams | recif-secrets ms | helm ms | recif-secrets MiB | helm MiB |")
print("|---:|---:|---:|---:|---:|")
for r in rows:
    a, b = r["recif-secrets"], r["helm"]
    label = "1 (doc)" if r["size"] == "doc" else str(r["teams"])
    print("| %s | %s–%s | %s–%s | %.1f–%.1f | %.1f–%.1f |" % (
        label, ms(a["ms_min"]), ms(a["ms_max"]), ms(b["ms_min"]), ms(b["ms_max"]),
        a["mib_min"], a["mib_max"], b["mib_min"], b["mib_max"]))
print()
by = {r["size"]: r for r in rows}
print("- values files inside a git work tree of %s tracked files, git-ignored (recif-secrets "
      "reads the repository's index and ignore files, it starts no git)" % env["TRACKED_NOW"].strip())
print("- load average after measuring: %s (this includes the benchmark itself: helm runs on "
      "both cores; other work on the machine inflates the small sizes most)"
      % " ".join(open("/proc/loadavg").read().split()[:3]))
print("- measurement floor (the launcher running /bin/true): %.2f ms, %.1f MiB"
      % (statistics.median(f[1] * 1000 for f in floor), statistics.median(f[2] / 1024 for f in floor)))
if "5000" in by and "10000" in by:
    for tool in ("recif-secrets", "helm"):
        print("- %s: time(10000 teams) / time(5000 teams) = %.2f (medians; %.2f on the fastest runs)"
              % (tool, by["10000"][tool]["ms"] / by["5000"][tool]["ms"],
                 by["10000"][tool]["ms_min"] / by["5000"][tool]["ms_min"]))

def timed(argv, n):
    """Median wall ms and peak MiB of n runs of argv (each must exit 0)."""
    walls, rsss = [], []
    for _ in range(n):
        code, wall, rss = spawn(argv)
        if code != 0:
            sys.exit("FAIL: %s exited %d" % (" ".join(argv), code))
        walls.append(wall * 1000)
        rsss.append(rss / 1024)
    return statistics.median(walls), statistics.median(rsss)

def interleaved(cmds, n, outs=None):
    """Runs each argv of cmds n times, interleaved; median wall ms of each."""
    walls = [[] for _ in cmds]
    for i in range(n):
        order = list(range(len(cmds)))
        if i % 2:
            order.reverse()
        for j in order:
            out = outs[j] if outs else "/dev/null"
            code, wall, _ = spawn(cmds[j], out)
            if code != 0:
                sys.exit("FAIL: %s exited %d" % (" ".join(cmds[j]), code))
            walls[j].append(wall * 1000)
    return [statistics.median(w) for w in walls]

extra = {}
print()
print("Start-up alone (31 runs each, interleaved, medians):")
print()
true_ms, version_ms = interleaved([[shutil.which("true") or "/bin/true"], [recif, "--version"]], 31)
extra["version"] = version_ms - true_ms
print("| /bin/true | recif-secrets --version | difference |")
print("|---:|---:|---:|")
print("| %.2f ms | %.2f ms | %.2f ms |" % (true_ms, version_ms, version_ms - true_ms))

print()
print("Render against `cat` copying the same output (both write it to a file in the temp dir; "
      "15 runs each, interleaved, medians):")
print()
print("| teams | output bytes | recif-secrets render | cat | ratio |")
print("|---:|---:|---:|---:|---:|")
for size in sizes:
    values = os.path.join(tmp, "repo", "values-%s.yaml" % size)
    ref = os.path.join(tmp, "cat-src-%s.yaml" % size)
    spawn(cmd_recif(values), ref)
    outs = [os.path.join(tmp, "cat-out-a.yaml"), os.path.join(tmp, "cat-out-b.yaml")]
    a, b = interleaved([cmd_recif(values), [shutil.which("cat"), ref]], 15, outs)
    extra["cat-" + size] = a / b
    print("| %s | %d | %s ms | %s ms | %.1f× |" % ("1 (doc)" if size == "doc" else size,
          os.path.getsize(ref), ms(a), ms(b), a / b))
    for f in outs + [ref]:
        os.remove(f)

print()
print("The git check (values files holding secret values, git-ignored; the index is searched "
      "for the one path (a binary search when the cache tree or EOIE proves where the entries "
      "end, a walk otherwise), no process started; 31 runs each, interleaved, medians; `1 team` is "
      "one team with 20 keys that look real, the documented example having placeholders that "
      "need no check):")
print()
print("| values | outside a work tree | empty repository | %s tracked files | difference (tracked files − empty) |" % env["TRACKED_NOW"].strip())
print("|---|---:|---:|---:|---:|")
for size in ["1"] + [s for s in sizes if s == "1000"]:
    paths = [os.path.join(tmp, "values-%s.yaml" % size),
             os.path.join(tmp, "empty", "values-%s.yaml" % size),
             os.path.join(tmp, "repo", "values-%s.yaml" % size)]
    outside, empty, big = interleaved([cmd_recif(p) for p in paths], 31)
    if size == "1":
        extra["git"] = big - empty
    print("| %s | %.2f ms | %.2f ms | %.2f ms | %+.2f ms |" % (
        "1 team" if size == "1" else size + " teams", outside, empty, big, big - empty))

if "1000" in sizes and os.environ.get("ENCRYPTION", "1") != "0":
    v = os.path.join(tmp, "repo", "values-1000.yaml")
    enc = []
    if os.environ.get("AGE_RECIPIENT"):
        enc.append(("SOPS, one age recipient", ["--sops-age", os.environ["AGE_RECIPIENT"]], 5))
    else:
        progress("  note: age-keygen not found; SOPS not measured")
    enc.append(("SealedSecret, RSA-4096 certificate", ["--seal-cert", os.environ["SEAL_CERT"]], 3))
    plain = os.path.join(tmp, "plain-1000.yaml")
    spawn(cmd_recif(v), plain)
    with open(plain, "rb") as f:
        secrets = [d for d in yaml.load_all(f, Loader=Loader) if d and d.get("kind") == "Secret"]
    os.remove(plain)
    print()
    print("Encryption at 1000 teams (%d Secrets, %d values; stdout to /dev/null; plaintext "
          "render for reference):" % (len(secrets), sum(len(d.get("data") or {}) for d in secrets)))
    print()
    print("| output | ms | MiB | re-render into its --output-dir, values unchanged (no churn) |")
    print("|---|---:|---:|---:|")
    plain_ms, plain_mib = timed(cmd_recif(v), 5)
    print("| plaintext Secrets | %s | %.1f | — |" % (ms(plain_ms), plain_mib))
    for label, flags, n in enc:
        t, mib = timed(cmd_recif(v) + flags, n)
        out = os.path.join(tmp, "enc-out-" + flags[0].strip("-"))
        key = os.path.join(tmp, "fingerprint-" + flags[0].strip("-") + ".key")
        dir_flags = ["--output-dir", out, "--fingerprint-key", key]
        code, _, _ = spawn(cmd_recif(v) + flags + dir_flags)
        if code != 0:
            sys.exit("FAIL: first --output-dir run exited %d" % code)
        again, _ = timed(cmd_recif(v) + flags + dir_flags, n)
        print("| %s | %s | %.1f | %s ms |" % (label, ms(t), mib, ms(again)))

print()
print("Targets (shipped build, values in the %s-file work tree):" % env["TRACKED_NOW"].strip())
print()
def verdict(ok):
    return "met" if ok else "NOT met"
for size, label, goal in (("doc", "1 team (doc)", 30), ("5000", "5000 teams", 40)):
    if size in by:
        a, b = by[size]["recif-secrets"], by[size]["helm"]
        s, mem = b["ms"] / a["ms"], b["mib"] / a["mib"]
        print("- %s: speed %.1f× helm template (target ≥ %d×: %s), memory %.1f× (target ≥ 4×: %s)"
              % (label, s, goal, verdict(s >= goal), mem, verdict(mem >= 4)))
if "cat-5000" in extra:
    print("- 5000 teams: %.1f× the time of cat copying the same output (target ≤ 15×: %s)"
          % (extra["cat-5000"], verdict(extra["cat-5000"] <= 15)))
print("- --version: %.2f ms above /bin/true (target ≤ 0.5 ms: %s)"
      % (extra["version"], verdict(extra["version"] <= 0.5)))
if "git" in extra:
    print("- git check: %+.2f ms in the %s-file work tree against an empty repository (target ≤ 0.5 ms: %s)"
          % (extra["git"], env["TRACKED_NOW"].strip(), verdict(extra["git"] <= 0.5)))
if "5000" in by and "10000" in by:
    q = by["10000"]["recif-secrets"]["ms"] / by["5000"]["recif-secrets"]["ms"]
    print("- 10000 vs 5000 teams: %.2f× the time (target ≤ 2.2×: %s)" % (q, verdict(q <= 2.2)))
PY
