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
# Whether helm's own command line (our parent's) set the namespace: exit 0 if it did, 1 if it
# did not, 2 if it cannot be told.
namespace_given() {
    if [ -r "/proc/$PPID/cmdline" ]; then
        args="$(tr '\000' '\n' < "/proc/$PPID/cmdline")"
    elif args="$(ps -o args= -p "$PPID" 2>/dev/null)" && [ -n "$args" ]; then
        args="$(printf '%s\n' "$args" | tr ' ' '\n')"
    else
        return 2
    fi
    printf '%s\n' "$args" | grep -Eq -e '^--namespace($|=)' -e '^-n'
}
sub="$1"
shift
case "$sub" in
    render | validate)
        # Without -n, helm's namespace is HELM_NAMESPACE from the environment, else the kube
        # context's, else "default": rarely the platform namespace wanted, so say which.
        if [ -n "${HELM_NAMESPACE:-}" ] && ! namespace_given; then
            shown="$(printf '%s' "$HELM_NAMESPACE" | LC_ALL=C tr -c 'a-z0-9.-' '?')"
            echo "helm recif-secrets: no -n given: the platform namespace is \"$shown\", helm's default (from \$HELM_NAMESPACE, the kube context's namespace, or \"default\"); pass -n NAMESPACE to choose it" >&2
        fi
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
