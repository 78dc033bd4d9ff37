// k8s/: generated from the chart (and in sync with it), every kustomization references files that
// exist, and each overlay builds with kustomize (kubectl kustomize from the same layer as helm) into
// objects valid against the Kubernetes schema.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { env, HELM_SCRIPT, K8sObject, ofKind, parseStream, ROOT, run, schemaErrors } from './support';

const K8S = join(ROOT, 'k8s');

let kubectlBinary: string | undefined;
function kubectl(): string {
  if (!kubectlBinary) {
    const r = run(process.execPath, [HELM_SCRIPT, 'kubectl-path']);
    if (r.status !== 0) throw new Error(r.stderr);
    kubectlBinary = r.stdout.trim();
  }
  return kubectlBinary;
}

function build(dir: string): K8sObject[] {
  const r = run(kubectl(), ['kustomize', dir]);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${relative(ROOT, dir)} failed:\n${r.stderr}`);
  return parseStream(r.stdout);
}

function kustomizations(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return kustomizations(p);
    return e === 'kustomization.yaml' ? [p] : [];
  });
}

const exists = (p: string) => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

describe('k8s/ generated from the chart', () => {
  it('is in sync with `node scripts/helm.mjs render-k8s`', () => {
    const r = run(process.execPath, [HELM_SCRIPT, 'render-k8s', '--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('every kustomization references files and directories that exist', () => {
    const files = kustomizations(K8S);
    expect(files.map((f) => relative(K8S, f)).sort()).toEqual(
      expect.arrayContaining([
        'base/kustomization.yaml',
        'overlays/dev/kustomization.yaml',
        'overlays/prod/kustomization.yaml',
      ]),
    );
    for (const file of files) {
      const k = parse(readFileSync(file, 'utf8'));
      const refs: string[] = [
        ...(k.resources ?? []),
        ...(k.components ?? []),
        ...(k.patches ?? []).filter((p: any) => p.path).map((p: any) => p.path),
      ];
      for (const ref of refs)
        expect([relative(K8S, file), ref, exists(join(dirname(file), ref))]).toEqual([
          relative(K8S, file),
          ref,
          true,
        ]);
    }
  });

  it('the base is the chart render minus Helm-only metadata', () => {
    const text = readdirSync(join(K8S, 'base'))
      .map((f) => readFileSync(join(K8S, 'base', f), 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/helm\.sh\//);
    expect(text).not.toMatch(/managed-by: Helm/);
  });
});

describe.each(['base', 'overlays/dev', 'overlays/prod'])('kubectl kustomize k8s/%s', (dir) => {
  const objs = build(join(K8S, dir));

  it('builds objects that are valid against the Kubernetes schema', () => {
    expect(objs.length).toBeGreaterThan(10);
    expect(objs.flatMap(schemaErrors)).toEqual([]);
  });

  it('has the Deployments, the migration Job and MIGRATE_ON_START=false everywhere', () => {
    const names = ofKind(objs, 'Deployment')
      .map((d) => d.metadata.name)
      .sort();
    expect(names).toEqual([
      'jobplane-api',
      'jobplane-audit',
      'jobplane-scheduler',
      'jobplane-worker-default',
    ]);
    for (const d of ofKind(objs, 'Deployment'))
      expect(env(d.spec.template.spec.containers[0]).get('MIGRATE_ON_START')?.value).toBe('false');
    expect(ofKind(objs, 'Job').map((j) => j.metadata.name)).toEqual(['jobplane-migrate']);
  });

  it('every ConfigMap reference resolves inside the build (generator hashes included)', () => {
    const configMaps = new Set(ofKind(objs, 'ConfigMap').map((c) => c.metadata.name));
    for (const d of ofKind(objs, 'Deployment'))
      for (const f of d.spec.template.spec.containers[0].envFrom ?? [])
        expect([d.metadata.name, configMaps.has(f.configMapRef.name)]).toEqual([d.metadata.name, true]);
  });

  it('Secret references resolve in the build, or name the one Secret created outside it', () => {
    const secrets = new Set(ofKind(objs, 'Secret').map((s) => s.metadata.name));
    const pods = [...ofKind(objs, 'Deployment'), ...ofKind(objs, 'Job')];
    const refs = new Set(
      pods.flatMap((p) =>
        p.spec.template.spec.containers.flatMap((c: any) =>
          (c.env ?? [])
            .filter((e: any) => e.valueFrom?.secretKeyRef)
            .map((e: any) => e.valueFrom.secretKeyRef.name),
        ),
      ),
    );
    if (dir === 'overlays/dev') for (const r of refs) expect(secrets.has(r)).toBe(true);
    else expect([...refs]).toEqual(['jobplane-connections']);
  });

  if (dir.startsWith('overlays/')) {
    it('puts every namespaced object in the overlay namespace and pins the image tag', () => {
      const ns = parse(readFileSync(join(K8S, dir, 'kustomization.yaml'), 'utf8')).namespace;
      for (const o of objs.filter((o) => o.kind !== 'Namespace'))
        expect([o.kind, o.metadata.name, (o.metadata as any).namespace]).toEqual([
          o.kind,
          o.metadata.name,
          ns,
        ]);
      for (const d of [...ofKind(objs, 'Deployment'), ...ofKind(objs, 'Job')])
        expect(d.spec.template.spec.containers[0].image).toMatch(/:\d+\.\d+\.\d+$/);
    });
  }
});

describe('components', () => {
  const components = readdirSync(join(K8S, 'components')).sort();

  it.each(components)('%s builds on top of the base', (component) => {
    const dir = mkdtempSync(join(tmpdir(), 'jobplane-kustomize-'));
    try {
      // kustomize only loads bases and components by relative path.
      const rel = (p: string) => relative(dir, join(K8S, p));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${rel('base')}]\ncomponents: [${rel(`components/${component}`)}]\n`,
      );
      const objs = build(dir);
      expect(objs.flatMap(schemaErrors)).toEqual([]);
      // A component that autoscales must leave replicas to the autoscaler.
      const scaled = [...ofKind(objs, 'HorizontalPodAutoscaler'), ...ofKind(objs, 'ScaledObject')].map(
        (o) => o.spec.scaleTargetRef.name,
      );
      for (const d of ofKind(objs, 'Deployment'))
        expect([d.metadata.name, d.spec.replicas === undefined]).toEqual([
          d.metadata.name,
          scaled.includes(d.metadata.name),
        ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
