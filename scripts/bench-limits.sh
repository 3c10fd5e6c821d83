#!/usr/bin/env bash
# Hostile inputs, measured: each must be refused (exit 1) within 2 s and 100 MiB.
#   scripts/bench-limits.sh        (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/recif-secrets"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
prev = "a"
for n in "bcdefghi":
    doc += f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    prev = n
open(f"{d}/billion-laughs.yaml", "w").write(doc)
open(f"{d}/deep-flow.yaml", "w").write("a: " + "[" * 100000 + "]" * 100000 + "\n")
open(f"{d}/deep-block.yaml", "w").write("".join(" " * i + f"k{i}:\n" for i in range(0, 2000)))
open(f"{d}/big.yaml", "w").write("a: \"" + "x" * (17 * 1024 * 1024) + "\"\n")
open(f"{d}/many-aliases.yaml", "w").write("base: &b {" + ", ".join(f"k{i}: v" for i in range(1000)) + "}\n" + "".join(f"c{i}: *b\n" for i in range(200)))
PY

printf '| input | exit | wall s | peak RSS MiB | verdict |\n|---|---|---|---|---|\n'
fail=0
for f in billion-laughs deep-flow deep-block big many-aliases; do
    set +e
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" render -f "$work/$f.yaml" > /dev/null 2> "$work/err"
    code=$?
    set -e
    read -r wall kb < <(tail -n 1 "$work/time")
    mib=$(python3 -c "print(round($kb / 1024, 1))")
    ok=$(python3 -c "print('ok' if $code == 1 and $wall < 2 and $kb < 100 * 1024 else 'FAIL')")
    [ "$ok" = ok ] || fail=1
    printf '| %s | %s | %s | %s | %s |\n' "$f" "$code" "$wall" "$mib" "$ok"
    sed 's/^/    /' "$work/err" | head -2 >&2
done
exit $fail
