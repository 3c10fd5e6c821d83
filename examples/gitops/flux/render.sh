#!/usr/bin/env sh
# Flux / kustomize flow: render into a folder that Flux's Kustomization reconciles.
# Run in CI (or by hand) whenever the values change, then commit the folder.
# Only use it with secrets.provider external or none: inline Secrets must never reach Git
# (recif-secrets warns when --output-dir inside a git work tree would hold them).
set -eu
recif-secrets render -f values.yaml -f values-prod.yaml -n recif-system --output-dir clusters/prod/recif-secrets
kubectl kustomize clusters/prod/recif-secrets > /dev/null   # the folder builds as-is
git add clusters/prod/recif-secrets
