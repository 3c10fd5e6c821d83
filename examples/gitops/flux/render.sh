#!/usr/bin/env sh
# Flux / kustomize flow: render into a folder that Flux's Kustomization reconciles, then stage
# it for commit. Run in CI (or by hand) whenever the values change, then commit the folder.
#
#   examples/gitops/flux/render.sh                      # -f values.yaml -f values-prod.yaml
#   OUT=clusters/staging/recif-secrets examples/gitops/flux/render.sh -f deploy/values.yaml -f deploy/values-staging.yaml
#                                       # (the layout of ci/render-and-check.yml)
#
# Only for secrets.provider external or none: the values must not render an inline Secret.
# If they do, nothing is written and nothing is staged (exit 1): inline Secrets must never
# reach Git.
set -eu
out="${OUT:-clusters/prod/recif-secrets}"
namespace="${NAMESPACE:-recif-system}"
if [ "$#" -eq 0 ]; then
    set -- -f values.yaml -f values-prod.yaml
fi
recif-secrets validate "$@" -n "$namespace"
# The kinds rendered (top-level `kind:` lines of the YAML stream; no value is kept).
kinds="$(recif-secrets render "$@" -n "$namespace" | grep -x 'kind: .*' | sort -u)"
if printf '%s\n' "$kinds" | grep -qx 'kind: Secret'; then
    echo "render.sh: these values render inline Secrets; refusing to write them into Git." >&2
    echo "  Use secrets.provider external (or none) for GitOps." >&2
    exit 1
fi
recif-secrets render "$@" -n "$namespace" --output-dir "$out"
kubectl kustomize "$out" > /dev/null   # the folder builds as-is
git add -- "$out"
