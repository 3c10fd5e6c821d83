{{- /*
Peer chart of recif-secrets, for benchmarking only (benches/compare.sh).

It renders what `recif-secrets render` renders for secrets.provider=inline, and nothing
else: no validation (names, key formats, the service-account JSON, two sources of one
variable, unknown keys), no `external` or `none` strategy, no namespaces.create, no
template overrides. For valid inline values the objects are identical to ours
(compared semantically by compare.sh before anything is timed).
*/ -}}

{{- /* Labels of every object: ours win over secrets.commonLabels, as in recif-secrets. */ -}}
{{- define "peer.labels" -}}
{{- $labels := dict "app.kubernetes.io/managed-by" "recif-secrets" "app.kubernetes.io/part-of" "recif" -}}
{{- $labels = merge $labels (.Values.secrets.commonLabels | default dict) -}}
{{- toYaml $labels -}}
{{- end -}}

{{- /* The metadata block of one object; argument: list root name namespace. */ -}}
{{- define "peer.metadata" -}}
{{- $root := index . 0 -}}
metadata:
  name: {{ index . 1 | quote }}
  namespace: {{ index . 2 | quote }}
  labels:
    {{- include "peer.labels" $root | nindent 4 }}
{{- with $root.Values.secrets.commonAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end -}}

{{- /* Team namespaces: namespaces.defaultTeam then namespaces.teams, without repeats (JSON list). */ -}}
{{- define "peer.teamNamespaces" -}}
{{- $out := list -}}
{{- with .Values.namespaces.defaultTeam }}{{ $out = append $out (toString .) }}{{ end -}}
{{- range .Values.namespaces.teams }}{{ $out = append $out (toString .) }}{{ end -}}
{{- toJson (uniq $out) -}}
{{- end -}}

{{- /* The service-account JSON, base64-encoded, or "" when no key is given. */ -}}
{{- define "peer.gcpAdcBase64" -}}
{{- $gcp := .Values.llm.gcp | default dict -}}
{{- if $gcp.serviceAccountKeyBase64 -}}
{{- $gcp.serviceAccountKeyBase64 | toString | nospace | b64dec | b64enc -}}
{{- else if $gcp.serviceAccountKey -}}
{{- $gcp.serviceAccountKey | toString | b64enc -}}
{{- end -}}
{{- end -}}
