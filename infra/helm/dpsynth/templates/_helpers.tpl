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
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
{{- end -}}

{{/* Whether blobs live on the shared volume (file://) rather than in S3 (s3://), where no volume is mounted. */}}
{{- define "dpsynth.blobsOnVolume" -}}
{{- if not (hasPrefix "s3://" .Values.blobStore.url) }}true{{ end -}}
{{- end -}}

{{/*
The blob store's environment: BLOB_STORE_URL and, for s3://, the standard AWS variables (keys from the existing
Secret when it has them, so a pod role can serve instead).
*/}}
{{- define "dpsynth.blobEnv" -}}
- name: BLOB_STORE_URL
  value: {{ .Values.blobStore.url | quote }}
{{- if not (include "dpsynth.blobsOnVolume" .) }}
{{- with .Values.blobStore.s3.endpoint }}
- name: AWS_ENDPOINT_URL_S3
  value: {{ . | quote }}
{{- end }}
- name: AWS_REGION
  value: {{ .Values.blobStore.s3.region | quote }}
{{- with .Values.blobStore.s3.pathStyle }}
- name: DPSYNTH_S3_PATH_STYLE
  value: {{ . | quote }}
{{- end }}
{{ include "dpsynth.secretEnv" (dict "root" . "required" (list) "optional" (list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY")) | trim }}
{{- end }}
{{- end -}}

{{/* The shared blob volume's mount and volume, on the file store only. */}}
{{- define "dpsynth.blobMount" -}}
{{- if include "dpsynth.blobsOnVolume" . }}
- name: blobs
  mountPath: /var/lib/dpsynth/blobs
{{- end }}
{{- end -}}

{{- define "dpsynth.blobVolume" -}}
{{- if include "dpsynth.blobsOnVolume" . }}
- name: blobs
  persistentVolumeClaim:
    claimName: {{ .Values.blobStore.persistentVolumeClaim }}
{{- end }}
{{- end -}}
