{{/* Name prefix of every object: the release name, cut to fit Kubernetes' 63-character limit. */}}
{{- define "dpsynth.fullname" -}}
{{- printf "%s-dpsynth" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of one component; call with (dict "root" $ "component" "web"). */}}
{{- define "dpsynth.labels" -}}
{{ include "dpsynth.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "dpsynth.selectorLabels" -}}
app.kubernetes.io/name: dpsynth
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference of one component; call with (dict "root" $ "component" "web"). */}}
{{- define "dpsynth.image" -}}
{{- printf "%s:%s" (index .root.Values.images .component) (.root.Values.images.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/*
Environment variables taken from the existing Secret, one per key, so each pod sees only what it needs;
call with (dict "root" $ "required" (list ...) "optional" (list ...)).
*/}}
{{- define "dpsynth.secretEnv" -}}
{{- $root := .root -}}
{{- range .required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: { name: {{ $root.Values.existingSecret }}, key: {{ . }} }
{{- end }}
{{- range (.optional | default list) }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: { name: {{ $root.Values.existingSecret }}, key: {{ . }}, optional: true }
{{- end }}
{{- end -}}

{{- define "dpsynth.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
{{- end -}}
