#!/bin/sh
# The Helm plugin's entry point (plugin.yaml). Helm has consumed -n/--namespace and
# --kube-context and passes them in HELM_NAMESPACE and HELM_KUBECONTEXT: give them back to
# recif-secrets as -n (render, validate) and --context (render --apply only).
set -eu
bin="${HELM_PLUGIN_DIR:-$(dirname "$0")/..}/bin/recif-secrets"
if [ ! -x "$bin" ]; then
    bin="$(command -v recif-secrets || true)"
fi
if [ -z "$bin" ]; then
    echo "helm recif-secrets: the recif-secrets binary is neither in ${HELM_PLUGIN_DIR:-the plugin folder}/bin nor on PATH;" >&2
    echo "  install it (cargo install --path <repository>, or the static binary of scripts/build-dist.sh)" >&2
    exit 3
fi
if [ "$#" -eq 0 ]; then
    exec "$bin" --help
fi
sub="$1"
shift
case "$sub" in
    render | validate)
        set -- "$sub" ${HELM_NAMESPACE:+-n "$HELM_NAMESPACE"} "$@"
        if [ "$sub" = render ] && [ -n "${HELM_KUBECONTEXT:-}" ]; then
            for a in "$@"; do
                if [ "$a" = --apply ]; then
                    set -- "$@" --context "$HELM_KUBECONTEXT"
                    break
                fi
            done
        fi
        ;;
    *)
        set -- "$sub" "$@"
        ;;
esac
exec "$bin" "$@"
