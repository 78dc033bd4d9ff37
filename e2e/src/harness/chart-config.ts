import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@jobplane/testing';
import { parseAllDocuments } from 'yaml';

/** What the chart gives one Deployment's pods, as far as processes on one host can honour it. */
export interface ChartComponent {
  replicas: number;
  /** ConfigMap (envFrom) merged with the container's literal env; secret refs are left out. */
  env: Record<string, string>;
  terminationGracePeriodSeconds: number;
  /** Seconds of a `preStop: sleep N` hook (the endpoint-removal delay), 0 without one. */
  preStopSleepSeconds: number;
}

export interface ChartConfig {
  api: ChartComponent;
  scheduler: ChartComponent;
  audit: ChartComponent;
  /** The first worker pool's Deployment. */
  worker: ChartComponent;
  /** The pre-install/pre-upgrade migration Job: its container args and env. */
  migrate: { args: string[]; env: Record<string, string> };
}

/**
 * Keys the harness owns instead of the chart: each run isolates itself by schema and Redis prefix,
 * and processes sharing one host need distinct ports.
 */
const HOST_OWNED = new Set(['DATABASE_SCHEMA', 'REDIS_PREFIX', 'PORT', 'HEALTH_PORT', 'GRPC_PORT', 'HOST']);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    template?: { spec: { containers: Container[]; terminationGracePeriodSeconds?: number } };
  };
}

/** `helm template` of charts/jobplane with its default values (helm from scripts/helm.mjs). */
export function renderChart(): K8sObject[] {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'helm.mjs'), 'template'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function envOf(
  container: Container,
  configMaps: Map<string, Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ref of container.envFrom ?? []) {
    const data = ref.configMapRef ? configMaps.get(ref.configMapRef.name) : undefined;
    if (ref.configMapRef && !data) throw new Error(`configMap ${ref.configMapRef.name} is not rendered`);
    Object.assign(env, data);
  }
  for (const v of container.env ?? []) if (v.value !== undefined) env[v.name] = v.value;
  for (const k of HOST_OWNED) delete env[k];
  return env;
}

/** Reads the per-component config out of the rendered chart. */
export function chartConfig(objects = renderChart()): ChartConfig {
  const configMaps = new Map(
    objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const component = (name: string): ChartComponent => {
    const d = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === name,
    );
    const pod = d?.spec?.template?.spec;
    const container = pod?.containers[0];
    if (!d || !pod || !container) throw new Error(`the chart renders no ${name} Deployment`);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    return {
      replicas: d.spec?.replicas ?? 1,
      env: envOf(container, configMaps),
      terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
      preStopSleepSeconds: preStop[0] === 'sleep' ? Number(preStop[1]) : 0,
    };
  };
  const job = objects.find((o) => o.kind === 'Job')?.spec?.template?.spec.containers[0];
  if (!job?.args) throw new Error('the chart renders no migration Job');
  return {
    api: component('api'),
    scheduler: component('scheduler'),
    audit: component('audit'),
    worker: component('worker'),
    migrate: { args: job.args, env: envOf(job, configMaps) },
  };
}
