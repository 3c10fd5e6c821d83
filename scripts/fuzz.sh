#!/usr/bin/env bash
# Fuzzes the whole pipeline (fuzz/fuzz_targets/render_values.rs) with cargo-fuzz:
#   scripts/fuzz.sh [SECONDS]      # default 600; extra libFuzzer flags via FUZZ_ARGS
# Needs cargo-fuzz (cargo install cargo-fuzz). On a stable toolchain the nightly flags are
# enabled with RUSTC_BOOTSTRAP=1. FUZZ_SANITIZER (default address) picks the sanitizer;
# when the address sanitizer cannot be built, it falls back to none and says so.
# fuzz/render_values.dict gives libFuzzer the values keys and YAML tokens.
# The corpus (fuzz/corpus/render_values/) is seeded with examples/*.yaml and
# values-secret.yaml.example, plus the same files behind a --set argument. Crashes land in
# fuzz/artifacts/render_values/; minimize one with:
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin render_values fuzz/artifacts/render_values/crash-...
set -euo pipefail

seconds="${1:-600}"
target=render_values
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export RUSTC_BOOTSTRAP=1

corpus="fuzz/corpus/$target"
mkdir -p "$corpus" "fuzz/artifacts/$target"
for f in examples/*.yaml values-secret.yaml.example; do
    cp "$f" "$corpus/seed-$(basename "$f")"
done
# Seeds with a --set argument on the first line (first byte: 0 --set, 1 --set-string,
# 2 --set-json, 3 --set-literal).
printf '\000llm.openaiApiKey=sk-1,namespaces.teams={a,b},llm.extraEnv.A\\.B=x\n' >"$corpus/seed-set"
printf '\001llm.extraEnv.YES=on\n' >"$corpus/seed-set-string"
printf '\002secrets.external.store={"vault":{"server":"https://v","path":"secret"}}\nsecrets:\n  provider: external\n' >"$corpus/seed-set-json"
printf '\003llm.gcp.serviceAccountKey={"type":"authorized_user"}\n' >"$corpus/seed-set-literal"
cat values-secret.yaml.example >>"$corpus/seed-set"

sanitizer="${FUZZ_SANITIZER:-address}"
if ! cargo fuzz build --sanitizer "$sanitizer" "$target"; then
    if [ "$sanitizer" != none ]; then
        echo "fuzz.sh: building with --sanitizer $sanitizer failed; falling back to --sanitizer none" >&2
        sanitizer=none
        cargo fuzz build --sanitizer none "$target"
    else
        exit 1
    fi
fi
echo "fuzz.sh: running $target for ${seconds}s (sanitizer: $sanitizer)" >&2
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=1 -dict=fuzz/render_values.dict ${FUZZ_ARGS:-}
