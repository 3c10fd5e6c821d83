#!/usr/bin/env sh
# Flux + SOPS: inline Secrets, encrypted to the cluster's age key, committed to Git.
#
#   .sops-age-recipients     the age public keys (one per line: the cluster's, and the team's
#                            break-glass key); public, committed
#   values-secret.yaml       the inline values (LLM keys, service-account key); never committed
#
# Re-running with unchanged values leaves every file byte-identical (no churn); changing one
# key re-encrypts only the Secret that holds it. The fingerprint key that makes this work
# lives in ~/.config/recif-secrets/fingerprint.key (or --fingerprint-key FILE), not in Git.
set -eu
out=clusters/prod/recif-secrets
recif-secrets render -f values.yaml -f values-secret.yaml -n recif-system \
    --sops-age-recipients-file .sops-age-recipients \
    --output-dir "$out"
kubectl kustomize "$out" > /dev/null   # the folder builds as-is
git add "$out"
