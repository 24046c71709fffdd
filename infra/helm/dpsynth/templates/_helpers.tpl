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

{{/*
The BullMQ queue a trainer of `devices` GPUs takes jobs from, for its KEDA scaler: `train` for one device,
`train-<N>gpu` for jobs whose training.devices is N, which only a pool of N-GPU trainers can run. The rule's home
is the contract's `queueFor` (packages/contracts src/queue.ts): the web queues each job by it, a trainer reads the
queue it names for its TRAINER_DEVICES, and scripts/lib/helm-chart.test.ts holds this template to it.
*/}}
{{- define "dpsynth.trainQueue" -}}
{{- if eq (int .) 1 }}train{{ else }}train-{{ int . }}gpu{{ end -}}
{{- end -}}

{{/*
Every trainer pool, as a JSON list for fromJsonArray: first the one-GPU pool of .Values.trainer, then each of
.Values.trainerPools. A pool's keys replace the trainer's one by one (autoscaling's too, so a pool can change its
bounds and keep the Redis address); what it leaves out comes from .Values.trainer. Each entry adds `suffix` (of
its object names and component label: "" for the one-GPU pool, "-<name>" for the others), `devices`, `queue`,
and `resources` with the nvidia.com/gpu limit set to `devices`: the one place a pod's GPU count is decided.
*/}}
{{- define "dpsynth.trainerPools" -}}
{{- $pools := list (merge (dict "suffix" "" "devices" 1) (deepCopy .Values.trainer)) }}
{{- $names := dict }}
{{- $devicesSeen := dict }}
{{- range $i, $given := .Values.trainerPools }}
{{- $where := printf "trainerPools[%d]" $i }}
{{- $name := required (printf "%s.name is required" $where) $given.name | toString }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$" $name) }}
{{- fail (printf "%s.name must be 1 to 32 lower-case letters, digits and '-', starting and ending with a letter or digit" $where) }}
{{- end }}
{{- if hasKey $names $name }}
{{- fail (printf "%s.name: another pool is already called %s" $where $name) }}
{{- end }}
{{- $devices := int (required (printf "%s.devices is required" $where) $given.devices) }}
{{- if lt $devices 2 }}
{{- fail (printf "%s.devices must be 2 or more: one-device jobs are the trainer pool's (trainer.*)" $where) }}
{{- end }}
{{- if hasKey $devicesSeen (toString $devices) }}
{{- fail (printf "%s.devices: pool %s already has %d GPUs per trainer; two pools would scale on one queue" $where (get $devicesSeen (toString $devices)) $devices) }}
{{- end }}
{{- $_ := set $names $name true }}
{{- $_ := set $devicesSeen (toString $devices) $name }}
{{- $pool := deepCopy $.Values.trainer }}
{{- range $key, $value := omit $given "name" "devices" "autoscaling" }}
{{- $_ := set $pool $key $value }}
{{- end }}
{{- range $key, $value := $given.autoscaling | default dict }}
{{- $_ := set $pool.autoscaling $key $value }}
{{- end }}
{{- if gt (int $pool.concurrency) 1 }}
{{- fail (printf "%s.concurrency must be 1: each job takes all %d GPUs of its trainer (a pool keeps trainer.concurrency unless it gives its own)" $where $devices) }}
{{- end }}
{{- $pools = append $pools (merge (dict "suffix" (printf "-%s" $name) "devices" $devices) $pool) }}
{{- end }}
{{- range $pools }}
{{- $_ := set . "queue" (include "dpsynth.trainQueue" .devices) }}
{{- $resources := deepCopy (.resources | default dict) }}
{{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" .devices) ($resources.limits | default dict)) }}
{{- $_ := set . "resources" $resources }}
{{- end }}
{{- toJson $pools }}
{{- end -}}
