#!/usr/bin/env bash
# Builds the shipped binary: statically linked Linux x86_64, fat LTO (the `dist` profile of
# Cargo.toml). Prints its path on standard output (progress on stderr).
#
#   scripts/build-dist.sh            # -> target/x86_64-unknown-linux-musl/dist/recif-secrets
#
# It uses the musl target when it is installed (`rustup target add x86_64-unknown-linux-musl`):
# a fully static binary that runs on any Linux x86_64, including `scratch` images. Without it,
# on a glibc host, it links glibc statically (`-C target-feature=+crt-static`), which is
# equally self-contained for this program (it resolves no host names and loads no NSS module).
# TARGET=gnu or TARGET=musl forces one. CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

choice="${TARGET:-}"
if [[ -z "$choice" ]]; then
    if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
        choice=musl
    else
        choice=gnu
    fi
fi
case "$choice" in
    musl)
        triple=x86_64-unknown-linux-musl
        cargo build --locked --profile dist --bin recif-secrets --target "$triple" >&2
        ;;
    gnu)
        triple=x86_64-unknown-linux-gnu
        RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
            cargo build --locked --profile dist --bin recif-secrets --target "$triple" >&2
        ;;
    *)
        echo "build-dist: TARGET must be musl or gnu, not $choice" >&2
        exit 2
        ;;
esac
bin="$TARGET_DIR/$triple/dist/recif-secrets"
if file "$bin" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "build-dist: $bin is dynamically linked" >&2
    exit 1
fi
echo "$bin"
