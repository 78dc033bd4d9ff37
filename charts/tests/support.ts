// Shared by the chart tests: helm (through scripts/helm.mjs), rendering, values, and validation of
// rendered objects against the Kubernetes OpenAPI schemas of kubernetes-models.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'charts', 'jobplane');
export const HELM_SCRIPT = join(ROOT, 'scripts', 'helm.mjs');
export const RELEASE = 'jobplane';

/** Loosely typed Kubernetes object: the tests read whatever the chart renders. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: any;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

let helmBinary: string | undefined;
/** tools/bin/helm, unpacked by `node scripts/helm.mjs path` on first use. */
export function helmPath(): string {
  if (!helmBinary) {
    const r = run(process.execPath, [HELM_SCRIPT, 'path']);
    if (r.status !== 0) throw new Error(`node scripts/helm.mjs path failed: ${r.stderr}`);
    helmBinary = r.stdout.trim();
  }
  return helmBinary;
}

export const helm = (args: string[]): RunResult => run(helmPath(), args);

/** The example values files, as paths relative to the repository. */
export function examples(): string[] {
  return readdirSync(join(CHART, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `charts/jobplane/examples/${f}`);
}

export function parseStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `helm template` with the given values files; throws with helm's message on failure. */
export function render(valuesFiles: string[] = [], extra: string[] = []): K8sObject[] {
  const r = helm(['template', RELEASE, CHART, ...valuesFiles.flatMap((f) => ['-f', f]), ...extra]);
  if (r.status !== 0) throw new Error(`helm template ${valuesFiles.join(' ')} failed:\n${r.stderr}`);
  return parseStream(r.stdout);
}

const isMap = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
/** Helm's coalescing of values files: maps merge, everything else (lists too) is replaced. */
export function mergeValues(base: any, over: any): any {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValues(base[k], v);
  return out;
}

/** The chart defaults with the given values files applied, as helm sees them. */
export function effectiveValues(valuesFiles: string[] = []): any {
  return valuesFiles.reduce(
    (acc, f) => mergeValues(acc, parse(readFileSync(join(ROOT, f), 'utf8')) ?? {}),
    parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')),
  );
}

// Kinds the chart renders that kubernetes-models has schemas for. A kind missing here fails the
// tests on purpose: a new kind must be validated (or listed as a CRD below).
const models: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};
/** Custom resources: no OpenAPI schema here, so the tests check their structure themselves. */
export const CRD_KINDS = [
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'keda.sh/v1alpha1/ScaledObject',
];

export const typeKey = (o: K8sObject) => `${o.apiVersion}/${o.kind}`;

/** Schema errors of one object ([] when valid); throws for a kind that is neither modelled nor a known CRD. */
export function schemaErrors(o: K8sObject): string[] {
  const Model = models[typeKey(o)];
  if (!Model) {
    if (CRD_KINDS.includes(typeKey(o))) return [];
    throw new Error(
      `${typeKey(o)} ${o.metadata?.name}: no schema to validate against; add it to tests/support.ts`,
    );
  }
  try {
    new Model(o).validate();
    return [];
  } catch (err: any) {
    const details = Array.isArray(err?.errors)
      ? err.errors.map((e: any) => `${e.instancePath} ${e.message}`)
      : [String(err)];
    return details.map((d: string) => `${o.kind}/${o.metadata.name}: ${d}`);
  }
}

export const ofKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);

export function env(container: any): Map<string, any> {
  return new Map((container.env ?? []).map((e: any) => [e.name, e]));
}

/** True when every label of the selector is on the pod template. */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  return !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** GitHub's anchor of a Markdown heading. */
export function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Anchors of the headings of a Markdown file. */
export function anchorsOf(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => anchor(l.replace(/^#+ /, ''))),
  );
}
