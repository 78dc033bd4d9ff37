{{/*
The deployable components as a YAML list: api, scheduler and audit from their values, then one entry
per worker pool. Deployments, Services, PDBs, autoscalers and NetworkPolicies all range over this
list (include "jobplane.components" . | fromYamlArray), so a component's shape is decided here once.

Each entry:
  id          suffix of its resource names: api, scheduler, audit, worker-<pool>
  component   app.kubernetes.io/component label, and the app it starts (node apps/<component>/dist/main.js)
  pool        worker pool (workers only; also a selector label, so pools never select each other's pods)
  portName, port   the HTTP listener of /health/* and /metrics (api: PORT, others: HEALTH_PORT)
  env         variables set by the chart for this component (PORT/HEALTH_PORT, POOLS, WORKER_*)
  image, imagePullPolicy   the chart's image, or a worker pool's own (workers.image / pool image)
  args        container args: node apps/<component>/dist/main.js; a pool with its own image runs that
              image's CMD unless it sets args
  secretVars  connection URLs the process reads (nothing it does not need)
  values      the component's values over the shared pod defaults (worker pools: pool > workers > shared)
  podAnnotations   values.podAnnotations plus chart-set annotations
  autoscaler  "" (fixed replicas), "hpa" (CPU HorizontalPodAutoscaler) or "keda" (ScaledObject, workers)
  preStopSleepSeconds, terminationGracePeriodSeconds   computed below: the grace period covers the preStop
              sleep and SHUTDOWN_TIMEOUT_MS (api, scheduler, audit) or the drain and its margin (workers)
*/}}
{{- define "jobplane.components" -}}
{{- $root := . -}}
{{- $fullname := include "jobplane.fullname" . -}}
{{- $shared := pick .Values "podAnnotations" "podLabels" "nodeSelector" "tolerations" "affinity" "topologySpreadConstraints" -}}
{{- /* SHUTDOWN_TIMEOUT_MS rounded up to seconds: the longest a graceful stop of api/scheduler/audit takes. */ -}}
{{- $shutdownSeconds := div (add (int64 .Values.config.shutdownTimeoutMs) 999) 1000 -}}
{{- $services := dict
      "api" (dict "portName" "http" "portEnv" "PORT" "portKey" "port" "secretVars" (list "DATABASE_URL" "AMQP_URL" "REDIS_URL"))
      "scheduler" (dict "portName" "health" "portEnv" "HEALTH_PORT" "portKey" "healthPort" "secretVars" (list "DATABASE_URL" "AMQP_URL" "REDIS_URL"))
      "audit" (dict "portName" "health" "portEnv" "HEALTH_PORT" "portKey" "healthPort" "secretVars" (list "DATABASE_URL" "AMQP_URL")) -}}
{{- /* POOLS for the scheduler: capacity and rate of the pools that declare them (a seed: changes made
through PATCH /v1/pools/{pool} are kept). */ -}}
{{- $poolSpecs := list -}}
{{- range .Values.workers.pools -}}
{{- $spec := list -}}
{{- if not (kindIs "invalid" .capacity) }}{{ $spec = append $spec (printf "capacity=%d" (int64 .capacity)) }}{{ end -}}
{{- if .rate }}{{ $spec = append $spec (printf "rate=%s" .rate) }}{{ end -}}
{{- if $spec }}{{ $poolSpecs = append $poolSpecs (printf "%s:%s" .name (join "," $spec)) }}{{ end -}}
{{- end -}}
{{- $out := list -}}
{{- range $name := list "api" "scheduler" "audit" -}}
{{- $v := mergeOverwrite (deepCopy $shared) (deepCopy (index $root.Values $name)) -}}
{{- if $v.enabled -}}
{{- $s := index $services $name -}}
{{- $port := int64 (index $v $s.portKey) -}}
{{- $preStop := int64 (default 0 $v.preStopSleepSeconds) -}}
{{- $env := dict $s.portEnv (toString $port) -}}
{{- $autoscaler := ternary "hpa" "" (and (eq $name "api") (dig "autoscaling" "enabled" false $v)) -}}
{{- if and (eq $name "scheduler") $poolSpecs }}{{ $_ := set $env "POOLS" (join "," $poolSpecs) }}{{ end -}}
{{- /* GRPC_PORT 0 turns the api's gRPC server off. */ -}}
{{- if eq $name "api" }}{{ $_ := set $env "GRPC_PORT" (ternary (toString (int64 $v.grpc.port)) "0" (dig "grpc" "enabled" false $v)) }}{{ end -}}
{{- $out = append $out (dict
      "image" (include "jobplane.image" $root) "imagePullPolicy" $root.Values.image.pullPolicy
      "args" (list "node" (printf "apps/%s/dist/main.js" $name))
      "id" $name "component" $name "portName" $s.portName "port" $port
      "env" $env "secretVars" $s.secretVars "autoscaler" $autoscaler
      "values" $v "podAnnotations" $v.podAnnotations
      "preStopSleepSeconds" $preStop
      "terminationGracePeriodSeconds" (add $preStop $shutdownSeconds 5)) -}}
{{- end -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $pool := .Values.workers.pools -}}
{{- if hasKey $seen $pool.name -}}
{{- fail (printf "workers.pools: pool %q is listed twice; each pool gets one Deployment" $pool.name) -}}
{{- end -}}
{{- $_ := set $seen $pool.name true -}}
{{- $v := mergeOverwrite (deepCopy $shared) (deepCopy (omit $root.Values.workers "pools")) (deepCopy $pool) -}}
{{- $drain := int64 $v.drainSeconds -}}
{{- /* The worker stops within drainSeconds + SHUTDOWN_TIMEOUT_MS; SIGKILL must come later than that. */ -}}
{{- $margin := max (int64 $v.shutdownMarginSeconds) (add $shutdownSeconds 5) -}}
{{- /* A pool's own image (a worker built on @jobplane/worker-sdk) runs its CMD unless the pool sets args. */ -}}
{{- $image := include "jobplane.image" $root -}}
{{- $pullPolicy := $root.Values.image.pullPolicy -}}
{{- $args := list "node" "apps/worker/dist/main.js" -}}
{{- $own := $v.image | default dict -}}
{{- if $own.repository -}}
{{- if not (or $own.tag $own.digest) -}}
{{- fail (printf "workers.pools %q: an image of its own must name its tag or digest (the chart's appVersion is not its version)" $pool.name) -}}
{{- end -}}
{{- if eq (toString $own.tag) "latest" -}}
{{- fail (printf "workers.pools %q: image tag must name one build, not \"latest\"" $pool.name) -}}
{{- end -}}
{{- $image = printf "%s%s%s" $own.repository (ternary (printf ":%s" (toString $own.tag)) "" (not (empty $own.tag))) (ternary (printf "@%s" $own.digest) "" (not (empty $own.digest))) -}}
{{- $pullPolicy = default $pullPolicy $own.pullPolicy -}}
{{- $args = list -}}
{{- else if $own.pullPolicy -}}
{{- $pullPolicy = $own.pullPolicy -}}
{{- end -}}
{{- if not (kindIs "invalid" $v.args) }}{{ $args = $v.args }}{{ end -}}
{{- $autoscaler := "" -}}
{{- if dig "autoscaling" "enabled" false $v -}}
{{- $autoscaler = ternary "keda" "hpa" (dig "autoscaling" "keda" "enabled" false $v) -}}
{{- end -}}
{{- $out = append $out (dict
      "image" $image "imagePullPolicy" $pullPolicy "args" $args
      "id" (printf "worker-%s" $pool.name) "component" "worker" "pool" $pool.name
      "portName" "health" "port" (int64 $v.healthPort)
      "env" (dict "HEALTH_PORT" (toString (int64 $v.healthPort)) "WORKER_POOLS" (printf "%s:%d" $pool.name (int64 $v.concurrency)) "WORKER_DRAIN_SECONDS" (toString $drain))
      "secretVars" (list "AMQP_URL") "autoscaler" $autoscaler
      "values" $v
      "podAnnotations" (merge (dict "controller.kubernetes.io/pod-deletion-cost" (toString (int64 $v.podDeletionCost))) $v.podAnnotations)
      "preStopSleepSeconds" 0
      "terminationGracePeriodSeconds" (add $drain $margin)) -}}
{{- end -}}
{{- range $out -}}
{{- if gt (len (printf "%s-%s" $fullname .id)) 63 -}}
{{- fail (printf "resource name %s-%s is longer than 63 characters; shorten the release name, fullnameOverride or the pool name" $fullname .id) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Resource name of a component: (dict "root" $ "c" $component). */}}
{{- define "jobplane.componentName" -}}
{{- printf "%s-%s" (include "jobplane.fullname" .root) .c.id -}}
{{- end -}}
