#!/usr/bin/env bash
# Builds the shipped binary: statically linked Linux x86_64, the `dist` profile of Cargo.toml
# (the `release` profile, fat LTO and one codegen unit, stripped). Prints its path on
# standard output (progress on stderr).
#
#   scripts/build-dist.sh            # -> target/x86_64-unknown-linux-gnu/dist/recif-secrets
#
# It links glibc statically (`-C target-feature=+crt-static`): a self-contained binary that
# runs on any Linux x86_64, `scratch` images included (this program resolves no host names
# and loads no NSS module). TARGET=musl builds with musl instead (after `rustup target add
# x86_64-unknown-linux-musl`): equally static, but musl's allocator makes a render about twice
# as slow (1000 teams: 43 ms against 20 ms, measured with benches/compare.sh's values), so it
# is not the default. CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

choice="${TARGET:-gnu}"
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
# From the binary's own ELF header (no PT_INTERP), with od: `file` is not in every image.
sh scripts/check-static.sh "$bin" >&2
echo "$bin"
