{{/*
Pod-level settings of every jobplane pod (Deployments and the migration Job): restricted security
and no Kubernetes API token, since no process talks to the API server.
*/}}
{{- define "jobplane.podSpecCommon" -}}
automountServiceAccountToken: false
# No *_SERVICE_HOST/*_PORT variables for every Service in the namespace: configuration is explicit.
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Probes on the named HTTP port: (dict "root" $ "port" "http"). The startup probe holds liveness back
while the process connects to its dependencies; readiness also fails while a worker drains.
*/}}
{{- define "jobplane.probes" -}}
{{- $p := .root.Values.probes -}}
startupProbe:
  httpGet: { path: /health/live, port: {{ .port }} }
  {{- toYaml $p.startup | nindent 2 }}
livenessProbe:
  httpGet: { path: /health/live, port: {{ .port }} }
  {{- toYaml $p.liveness | nindent 2 }}
readinessProbe:
  httpGet: { path: /health/ready, port: {{ .port }} }
  {{- toYaml $p.readiness | nindent 2 }}
{{- end -}}
