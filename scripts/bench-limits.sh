#!/usr/bin/env bash
# Resource bounds, measured on the release binary (issue 10):
#   1. hostile inputs must be refused (exit 1) within 2 s and 100 MiB;
#   2. accepted inputs must peak at no more than 8x their size plus 64 MiB;
#   3. `-o json` must peak within 2x of the same render as YAML;
#   the bound of 2 holds with encryption too (`--sops-age`, `--seal-cert`, to standard output
#   and into a folder, first written and re-rendered unchanged).
# Prints one table per part; exits 1 when a bound is broken.
#   scripts/bench-limits.sh        (builds the release binary first: what `cargo install`
#                                  gives, fat LTO, a few minutes from scratch)
#   PROFILE=quick scripts/bench-limits.sh   (the developers' quick profile, while iterating)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
cargo build --profile "$profile" --quiet --bin recif-secrets
bin="${CARGO_TARGET_DIR:-$PWD/target}/$profile/recif-secrets"  # CARGO_TARGET_DIR is honoured
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
M = 16 * 1024 * 1024
KEY = "llm:\n  openaiApiKey: sk-bench\n"

def w(name, text):
    open(f"{d}/{name}.yaml", "w").write(text)

def fill(name, head, line, limit):
    """head, then line(i) for i = 0.. while the file stays within limit bytes."""
    out, n, i = [head], len(head), 0
    while True:
        l = line(i)
        if n + len(l) > limit:
            break
        out.append(l)
        n += len(l)
        i += 1
    w(name, "".join(out))

# --- refused ---
doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
prev = "a"
for n in "bcdefghi":
    doc += f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    prev = n
w("billion-laughs", doc)
w("deep-flow", "a: " + "[" * 100000 + "]" * 100000 + "\n")
w("deep-block", "".join(" " * i + f"k{i}:\n" for i in range(0, 2000)))
w("big", "a: \"" + "x" * (17 * 1024 * 1024) + "\"\n")
w("many-aliases", "base: &b {" + ", ".join(f"k{i}: v" for i in range(1000)) + "}\n" + "".join(f"c{i}: *b\n" for i in range(200)))
# A 64 KiB string aliased 20,000 times (125 KB): 1.3 GB before the byte budget.
w("alias-long-string", KEY + f"s: &s \"{'x' * 65536}\"\nl: [" + ",".join(["*s"] * 20000) + "]\n")
# 16 MiB of tiny keys (1.6 million) and a 16 MiB flow list (8 million items): over the
# 200,000-value budget.
fill("tiny-keys-16m", KEY, lambda i: f"k{i:x}: 1\n", M)
w("flow-list-16m", KEY + "l: [" + ",".join(["1"] * ((M - len(KEY) - 8) // 2)) + "]\n")

# --- accepted ---
# Close to the most values the budget lets through (a key and its value are two): tiny keys,
# a flow list, environment variables.
fill("tiny-keys", KEY, lambda i: f"k{i:x}: 1\n", 99_000 * 9)
w("flow-list", KEY + "l: [" + ",".join(["1"] * 199_000) + "]\n")
fill("extra-env", KEY + "  extraEnv:\n", lambda i: f"    K{i:x}: a\n", 99_000 * 13)
# 16 MiB of text in a few values.
w("big-strings", KEY + "".join(f"s{i}: \"{'x' * (M // 4 - 64)}\"\n" for i in range(4)))
# Many teams.
w("teams-10000", KEY + "namespaces:\n  teams:\n" + "".join(f"  - team-{i}\n" for i in range(10000)))
# 40 and 200 teams and a 2.8 MB key (rendered base64 into every team's agent-env).
for n in (40, 200):
    w(f"teams-{n}-big-key", f"llm:\n  openaiApiKey: sk-{'k' * 2_800_000}\nnamespaces:\n  teams:\n" + "".join(f"  - team-{i}\n" for i in range(n)))
PY

fail=0
# measure NAME ARGS...: runs the binary, sets code, wall, kb.
measure() {
    set +e
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" "$@" > /dev/null 2> "$work/err"
    code=$?
    set -e
    read -r wall kb < <(tail -n 1 "$work/time")
}
mib() { python3 -c "print(round($1 / 1024, 1))"; }

echo "Refused (exit 1 within 2 s and 100 MiB):"
echo
printf '| input | size | exit | wall s | peak RSS MiB | verdict |\n|---|---:|---|---:|---:|---|\n'
for f in billion-laughs deep-flow deep-block big many-aliases alias-long-string tiny-keys-16m flow-list-16m; do
    measure render -f "$work/$f.yaml"
    size=$(stat -c %s "$work/$f.yaml")
    ok=$(python3 -c "print('ok' if $code == 1 and $wall < 2 and $kb < 100 * 1024 else 'FAIL')")
    [ "$ok" = ok ] || fail=1
    printf '| %s | %s | %s | %s | %s | %s |\n' "$f" "$size" "$code" "$wall" "$(mib "$kb")" "$ok"
    head -n 2 "$work/err" | sed 's/^/    /' >&2
done
sets=()
for i in $(seq 0 399); do sets+=(--set "a$i[65536]=x"); done
measure values "${sets[@]}"
ok=$(python3 -c "print('ok' if $code == 1 and $wall < 2 and $kb < 100 * 1024 else 'FAIL')")
[ "$ok" = ok ] || fail=1
printf '| %s | %s | %s | %s | %s | %s |\n' "400 × --set a[65536]=x" "-" "$code" "$wall" "$(mib "$kb")" "$ok"
head -n 2 "$work/err" | sed 's/^/    /' >&2

echo
echo "Accepted (peak RSS at most 8 × input + 64 MiB):"
echo
printf '| input | command | size | exit | wall s | peak RSS MiB | bound MiB | verdict |\n|---|---|---:|---|---:|---:|---:|---|\n'
accepted() { # NAME SIZE LABEL ARGS...
    local name=$1 size=$2 label=$3
    shift 3
    measure "$@"
    local bound=$((8 * size / 1024 + 64 * 1024))
    local ok
    ok=$(python3 -c "print('ok' if $code == 0 and $kb <= $bound else 'FAIL')")
    [ "$ok" = ok ] || fail=1
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$label" "$size" "$code" "$wall" "$(mib "$kb")" "$(mib "$bound")" "$ok"
    head -n 2 "$work/err" | sed 's/^/    /' >&2
}
for f in tiny-keys flow-list extra-env big-strings teams-10000 teams-200-big-key; do
    size=$(stat -c %s "$work/$f.yaml")
    accepted "$f" "$size" render render -f "$work/$f.yaml"
    accepted "$f" "$size" values values -f "$work/$f.yaml"
done
accepted "teams-200-big-key" "$(stat -c %s "$work/teams-200-big-key.yaml")" "render -o json" render -o json -f "$work/teams-200-big-key.yaml"
sets=()
for i in $(seq 0 5); do sets+=(--set "a$i[65536]=x"); done
accepted "6 × --set a[65536]=x" 100 values values "${sets[@]}"
# Encryption: every Secret encrypted as it is written, one batch at a time. The recipient
# and the certificate are the benches' (public keys only); the fingerprint key is made in
# the work folder by the first --output-dir run.
recipient=age1yz02ktdwq7un52j9h2u49px6wl79phxrh9z9t7lg8pclh3cjmamstx4jh4
cert=benches/sealing-cert.pem
for f in teams-40-big-key teams-200-big-key; do
    size=$(stat -c %s "$work/$f.yaml")
    for enc in "--sops-age $recipient" "--seal-cert $cert"; do
        read -r -a flags <<<"$enc"
        accepted "$f" "$size" "render ${flags[0]}" render -f "$work/$f.yaml" "${flags[@]}"
        rm -rf "$work/out"
        accepted "$f" "$size" "render ${flags[0]} --output-dir" render -f "$work/$f.yaml" "${flags[@]}" --output-dir "$work/out" --fingerprint-key "$work/fingerprint.key"
        accepted "$f" "$size" "the same again (unchanged)" render -f "$work/$f.yaml" "${flags[@]}" --output-dir "$work/out" --fingerprint-key "$work/fingerprint.key"
    done
done

echo
echo "-o json against YAML (peak RSS within 2×):"
echo
printf '| input | YAML MiB | JSON MiB | ratio | verdict |\n|---|---:|---:|---:|---|\n'
for f in teams-10000 teams-200-big-key big-strings; do
    measure render -f "$work/$f.yaml"
    yaml_kb=$kb
    measure render -o json -f "$work/$f.yaml"
    json_kb=$kb
    read -r ratio ok < <(python3 -c "r = $json_kb / $yaml_kb; print(round(r, 2), 'ok' if r <= 2 else 'FAIL')")
    [ "$ok" = ok ] || fail=1
    printf '| %s | %s | %s | %s | %s |\n' "$f" "$(mib "$yaml_kb")" "$(mib "$json_kb")" "$ratio" "$ok"
done
exit $fail
