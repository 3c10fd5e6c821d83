# The recif-secrets image: the statically linked binary (scripts/build-dist.sh: glibc with
# +crt-static, the release profile's fat LTO, stripped; musl's allocator would make it about twice as slow) on an empty base,
# run as a non-root user. No shell, no package manager, nothing else: the Argo CD sidecar
# (examples/gitops/argocd) runs it as `recif-secrets argocd-generate`. scripts/check-static.sh
# proves the binary static from its own ELF header (no PT_INTERP) with od, which the slim build
# image has (it has no `file`): a dynamically linked binary fails the build.
#
#   docker build -t recif-secrets:0.1.0 .
#   docker run --rm -v "$PWD:/work" -w /work recif-secrets:0.1.0 render -f values.yaml

FROM docker.io/library/rust:1.95-slim AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY benches/pipeline.rs benches/pipeline.rs
RUN mkdir -p src/cli && echo 'fn main() {}' > src/cli/main.rs && touch src/lib.rs \
    && RUSTFLAGS="-C target-feature=+crt-static" \
       cargo build --locked --profile dist --target x86_64-unknown-linux-gnu --bin recif-secrets \
    && rm -rf src
COPY . .
RUN touch src/cli/main.rs src/lib.rs \
    && TARGET=gnu scripts/build-dist.sh \
    && install -D -m 0755 target/x86_64-unknown-linux-gnu/dist/recif-secrets /out/recif-secrets \
    && sh scripts/check-static.sh /out/recif-secrets \
    && /out/recif-secrets render --example > /dev/null

FROM scratch
COPY --from=build /out/recif-secrets /usr/local/bin/recif-secrets
# 65532: the conventional "nonroot" user of distroless images; no /etc/passwd is needed.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/recif-secrets"]
CMD ["--help"]
