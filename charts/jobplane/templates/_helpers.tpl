{{/*
Names, labels, image and environment shared by every template.
*/}}

{{- define "jobplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every resource name (component names are checked to fit 63 characters in jobplane.components). */}}
{{- define "jobplane.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jobplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "jobplane.labels" -}}
helm.sh/chart: {{ include "jobplane.chart" . }}
{{ include "jobplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jobplane
{{- end -}}

{{- define "jobplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jobplane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Selector labels of one component: (dict "root" $ "c" $component). Workers add their pool, so each
pool's Deployment, Service, PDB and autoscaler select only that pool's pods.
*/}}
{{- define "jobplane.componentSelectorLabels" -}}
{{ include "jobplane.selectorLabels" .root }}
app.kubernetes.io/component: {{ .c.component }}
{{- if .c.pool }}
jobplane.io/pool: {{ .c.pool }}
{{- end }}
{{- end -}}

{{- define "jobplane.componentLabels" -}}
{{ include "jobplane.labels" .root }}
app.kubernetes.io/component: {{ .c.component }}
{{- if .c.pool }}
jobplane.io/pool: {{ .c.pool }}
{{- end }}
{{- end -}}

{{- define "jobplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jobplane.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image reference. A moving tag would let replicas of one release run different code. */}}
{{- define "jobplane.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag | toString -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag must name one build (e.g. 0.1.0), not \"latest\"" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "jobplane.connectionsSecretName" -}}
{{- default (printf "%s-connections" (include "jobplane.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/*
Non-secret environment shared by every process, as a YAML map: the ConfigMap's data, and the
migration Job's env (a pre-install hook runs before the ConfigMap exists).
*/}}
{{- define "jobplane.configData" -}}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
DATABASE_SCHEMA: {{ .Values.config.databaseSchema | quote }}
{{- /* Keys of releases sharing one Redis must not collide. */}}
REDIS_PREFIX: {{ default (include "jobplane.fullname" .) .Values.config.redisPrefix | quote }}
SHUTDOWN_TIMEOUT_MS: {{ .Values.config.shutdownTimeoutMs | int64 | quote }}
JOB_RETENTION_SECONDS: {{ .Values.config.jobRetentionSeconds | int64 | quote }}
{{- range $k, $v := .Values.config.extraEnv }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end -}}

{{/*
Secret-backed env entries: (dict "root" $ "vars" (list "DATABASE_URL" ...)). Each process gets only
the URLs it reads (the worker has no database credentials).
*/}}
{{- define "jobplane.secretEnv" -}}
{{- $keys := dict "DATABASE_URL" .root.Values.secrets.keys.databaseUrl "AMQP_URL" .root.Values.secrets.keys.amqpUrl "REDIS_URL" .root.Values.secrets.keys.redisUrl -}}
{{- $secret := include "jobplane.connectionsSecretName" .root -}}
{{- range .vars }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ index $keys . }}
{{- end }}
{{- end -}}
