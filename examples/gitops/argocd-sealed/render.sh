#!/usr/bin/env sh
# Argo CD + Sealed Secrets: inline Secrets sealed with the controller's certificate,
# committed to Git, synced by a plain Argo CD Application (application.yaml).
#
#   sealed-secrets.pem       the controller's certificate (public, committed):
#                            kubeseal --fetch-cert --controller-namespace kube-system > sealed-secrets.pem
#   values-secret.yaml       the inline values (LLM keys, service-account key); never committed
#
# Re-running with unchanged values leaves every file byte-identical (no churn); changing one
# key re-seals only the SealedSecret that holds it.
set -eu
out=deploy/recif-secrets
recif-secrets render -f values.yaml -f values-secret.yaml -n recif-system \
    --seal-cert sealed-secrets.pem --seal-scope strict \
    --output-dir "$out"
kubectl kustomize "$out" > /dev/null   # the folder builds as-is
git add "$out"
