#!/bin/sh
# The Helm plugin's entry point (plugin.yaml). Helm consumes its global flags and hands them
# to plugins as variables; they are given back to recif-secrets under kubectl's names:
#   HELM_NAMESPACE                       -n                 render, validate, diff, doctor
#   HELM_KUBECONTEXT                     --context          every command that reaches a cluster:
#   HELM_KUBEAPISERVER                   --server             render --apply, doctor, and diff
#   HELM_KUBETOKEN                       --token              without --against
#   HELM_KUBEASUSER                      --as
#   HELM_KUBEASGROUPS (comma-separated)  --as-group (each, once)
#   HELM_KUBECAFILE                      --certificate-authority
#   HELM_KUBEINSECURE_SKIP_TLS_VERIFY    --insecure-skip-tls-verify (when "true")
#   HELM_KUBETLS_SERVER_NAME             --tls-server-name
# KUBECONFIG (helm's --kubeconfig) is in the environment already, where kubectl reads it.
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

# Whether this run reaches a cluster: render only with --apply, diff unless --against,
# doctor always.
cluster=false
case "$sub" in
    doctor) cluster=true ;;
    render)
        for a in "$@"; do
            if [ "$a" = --apply ]; then cluster=true; fi
        done
        ;;
    diff)
        cluster=true
        for a in "$@"; do
            case "$a" in --against | --against=*) cluster=false ;; esac
        done
        ;;
esac

case "$sub" in
    render | validate | diff | doctor)
        # Without -n, helm's namespace is HELM_NAMESPACE from the environment, else the kube
        # context's, else "default": rarely the platform namespace wanted, so say which.
        if [ -n "${HELM_NAMESPACE:-}" ] && ! namespace_given; then
            shown="$(printf '%s' "$HELM_NAMESPACE" | LC_ALL=C tr -c 'a-z0-9.-' '?')"
            echo "helm recif-secrets: no -n given: the platform namespace is \"$shown\", helm's default (from \$HELM_NAMESPACE, the kube context's namespace, or \"default\"); pass -n NAMESPACE to choose it" >&2
        fi
        set -- "$sub" ${HELM_NAMESPACE:+-n "$HELM_NAMESPACE"} "$@"
        ;;
    *)
        set -- "$sub" "$@"
        ;;
esac
if [ "$cluster" = true ]; then
    [ -n "${HELM_KUBECONTEXT:-}" ] && set -- "$@" --context "$HELM_KUBECONTEXT"
    [ -n "${HELM_KUBEAPISERVER:-}" ] && set -- "$@" --server "$HELM_KUBEAPISERVER"
    [ -n "${HELM_KUBETOKEN:-}" ] && set -- "$@" --token "$HELM_KUBETOKEN"
    [ -n "${HELM_KUBEASUSER:-}" ] && set -- "$@" --as "$HELM_KUBEASUSER"
    if [ -n "${HELM_KUBEASGROUPS:-}" ]; then
        # helm 4.1 lists each group twice: give each once, in order.
        seen=","
        old_ifs="$IFS"
        IFS=","
        for g in $HELM_KUBEASGROUPS; do
            case "$seen" in
                *",$g,"*) ;;
                *) seen="$seen$g,"; set -- "$@" --as-group "$g" ;;
            esac
        done
        IFS="$old_ifs"
    fi
    [ -n "${HELM_KUBECAFILE:-}" ] && set -- "$@" --certificate-authority "$HELM_KUBECAFILE"
    [ "${HELM_KUBEINSECURE_SKIP_TLS_VERIFY:-}" = true ] && set -- "$@" --insecure-skip-tls-verify
    [ -n "${HELM_KUBETLS_SERVER_NAME:-}" ] && set -- "$@" --tls-server-name "$HELM_KUBETLS_SERVER_NAME"
fi
exec "$bin" "$@"
