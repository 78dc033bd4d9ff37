// `helm template` with the defaults and every example: every object valid against the Kubernetes
// schema (custom resources checked structurally), and the properties the platform relies on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  anchorsOf,
  CRD_KINDS,
  effectiveValues,
  env,
  examples,
  K8sObject,
  ofKind,
  render,
  ROOT,
  schemaErrors,
  selects,
  typeKey,
} from './support';

// The services' own configuration loader (libs/config, resolved to its sources by the jest preset):
// what the chart sets must pass the validation each process runs at start. Untyped require: charts
// does not depend on the lib at build time, only these tests read it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require('@jobplane/config') as {
  loadConfig(env: Record<string, string>, options: { required: string[] }): Record<string, unknown>;
  VARIABLES: Record<string, { services: string[] }>;
};

const cases: [string, string[]][] = [
  ['defaults', []],
  ...examples().map((f): [string, string[]] => [f, [f]]),
];
const chart = readFileSync(join(ROOT, 'charts', 'jobplane', 'Chart.yaml'), 'utf8');
const appVersion = /^appVersion: "?([^"\n]+)"?$/m.exec(chart)![1]!;

describe.each(cases)('render with %s', (_name, files) => {
  const objs = render(files);
  const values = effectiveValues(files);
  const deployments = ofKind(objs, 'Deployment');
  const workers = deployments.filter((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'worker');
  const job = ofKind(objs, 'Job').find((j) => j.metadata.name.endsWith('-migrate'));
  const podSpecs = [...deployments, ...(job ? [job] : [])].map((o) => ({
    name: `${o.kind}/${o.metadata.name}`,
    spec: o.spec.template.spec,
  }));
  const containers = podSpecs.flatMap(({ name, spec }) =>
    [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => ({ name, pod: spec, c })),
  );
  const mainContainer = (d: K8sObject) => d.spec.template.spec.containers[0];
  const shutdownSeconds = Math.ceil(values.config.shutdownTimeoutMs / 1000);

  it('renders only kinds with a schema or a known CRD, no duplicates', () => {
    expect(objs.length).toBeGreaterThan(10);
    const keys = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every object is valid against its Kubernetes schema', () => {
    expect(objs.flatMap(schemaErrors)).toEqual([]);
  });

  it('every container runs non-root with a read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    expect(containers.length).toBeGreaterThanOrEqual(5);
    for (const { name, pod, c } of containers) {
      const sc = c.securityContext ?? {};
      const psc = pod.securityContext ?? {};
      const where = `${name} container ${c.name}`;
      expect([where, sc.runAsNonRoot ?? psc.runAsNonRoot]).toEqual([where, true]);
      expect([where, sc.runAsUser ?? psc.runAsUser]).toEqual([where, 10001]);
      expect([where, sc.readOnlyRootFilesystem]).toEqual([where, true]);
      expect([where, sc.allowPrivilegeEscalation]).toEqual([where, false]);
      expect([where, sc.capabilities?.drop]).toEqual([where, ['ALL']]);
      expect([where, sc.capabilities?.add]).toEqual([where, undefined]);
      expect([where, (sc.seccompProfile ?? psc.seccompProfile)?.type]).toEqual([where, 'RuntimeDefault']);
      // The read-only root needs a writable /tmp.
      const tmp = c.volumeMounts?.find((m: any) => m.mountPath === '/tmp');
      expect([where, pod.volumes?.find((v: any) => v.name === tmp?.name)?.emptyDir]).toEqual([
        where,
        expect.any(Object),
      ]);
    }
    for (const { name, spec } of podSpecs)
      expect([name, spec.automountServiceAccountToken]).toEqual([name, false]);
  });

  it('containers use args, not command, so the image entrypoint (tini) stays PID 1', () => {
    for (const { name, c } of containers) {
      expect([name, c.command]).toEqual([name, undefined]);
      expect([name, c.args?.[0]]).toEqual([name, 'node']);
    }
    for (const d of deployments) {
      const component = d.metadata.labels!['app.kubernetes.io/component'];
      expect(mainContainer(d).args).toEqual(['node', `apps/${component}/dist/main.js`]);
    }
  });

  it('images are pinned: the appVersion or the configured tag, never latest', () => {
    const tag = values.image.tag || appVersion;
    for (const { name, c } of containers) {
      expect([name, c.image]).toEqual([name, `${values.image.repository}:${tag}`]);
      expect(c.image).not.toMatch(/:latest(@|$)/);
    }
  });

  it('every Deployment probes /health/live (startup, liveness) and /health/ready on a declared port', () => {
    expect(deployments.length).toBeGreaterThanOrEqual(4);
    for (const d of deployments) {
      const c = mainContainer(d);
      const ports = new Set(c.ports.map((p: any) => p.name));
      const name = d.metadata.name;
      expect([name, c.startupProbe?.httpGet?.path]).toEqual([name, '/health/live']);
      expect([name, c.livenessProbe?.httpGet?.path]).toEqual([name, '/health/live']);
      expect([name, c.readinessProbe?.httpGet?.path]).toEqual([name, '/health/ready']);
      for (const p of [c.startupProbe, c.livenessProbe, c.readinessProbe])
        expect([name, ports.has(p.httpGet.port)]).toEqual([name, true]);
      // The listener the probes hit is the one the process opens (PORT for the api, HEALTH_PORT otherwise).
      const probed = c.ports.find((p: any) => p.name === c.readinessProbe.httpGet.port).containerPort;
      const portVar = name.endsWith('-api') ? 'PORT' : 'HEALTH_PORT';
      expect([name, env(c).get(portVar)?.value]).toEqual([name, String(probed)]);
    }
  });

  it('Deployments never migrate (MIGRATE_ON_START=false); the pre-install/pre-upgrade hook Job does', () => {
    for (const d of deployments)
      expect([d.metadata.name, env(mainContainer(d)).get('MIGRATE_ON_START')?.value]).toEqual([
        d.metadata.name,
        'false',
      ]);
    expect(job).toBeDefined();
    expect(job!.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const c = job!.spec.template.spec.containers[0];
    expect(c.args.slice(0, 2)).toEqual(['node', '-e']);
    expect(c.args[2]).toContain("require('./libs/persistence/dist')");
    expect(c.args[2]).toContain('{ migrate: true }');
    expect(job!.spec.template.spec.restartPolicy).toBe('Never');
    // A hook runs before the release's own Secret exists: it must read a Secret that does.
    const ref = env(c).get('DATABASE_URL').valueFrom.secretKeyRef;
    const hookSecret = ofKind(objs, 'Secret').find((s) => s.metadata.name === ref.name);
    if (values.secrets.existingSecret) expect(ref.name).toBe(values.secrets.existingSecret);
    else expect(hookSecret?.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    if (hookSecret)
      expect(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
        Number(job!.metadata.annotations!['helm.sh/hook-weight']),
      );
    expect(env(c).get('DATABASE_SCHEMA')?.value).toBe(values.config.databaseSchema);
  });

  it("every Deployment's environment is made of known variables and passes the service's config validation", () => {
    const placeholders: Record<string, string> = {
      DATABASE_URL: 'postgres://u:p@db:5432/jobplane',
      AMQP_URL: 'amqp://u:p@mq:5672',
      REDIS_URL: 'redis://cache:6379',
    };
    for (const d of deployments) {
      const c = mainContainer(d);
      const fromConfigMaps = Object.assign(
        {},
        ...(c.envFrom ?? []).map(
          (f: any) =>
            ofKind(objs, 'ConfigMap').find((m) => m.metadata.name === f.configMapRef.name)?.data ?? {},
        ),
      );
      const direct = Object.fromEntries(
        [...env(c).values()]
          .filter((v: any) => !v.valueFrom?.secretKeyRef?.optional) // absent from the Secret: unset
          .map((v: any) => [v.name, v.value ?? placeholders[v.name]]),
      );
      const all: Record<string, string> = { ...fromConfigMaps, ...direct };
      const unknown = Object.keys(all).filter(
        (k) => !(k in config.VARIABLES) && !(k in (values.config.extraEnv ?? {})),
      );
      expect([d.metadata.name, unknown]).toEqual([d.metadata.name, []]);
      const secretVars = [...env(c).values()]
        .filter((v: any) => v.valueFrom?.secretKeyRef && !v.valueFrom.secretKeyRef.optional)
        .map((v: any) => v.name as string);
      const loaded = config.loadConfig(all, { required: secretVars });
      if (d.metadata.labels!['app.kubernetes.io/component'] === 'worker')
        expect(loaded.WORKER_POOLS).toBe(all.WORKER_POOLS);
      expect(loaded.MIGRATE_ON_START).toBe(false);
    }
  });

  it('one worker Deployment per pool, each with WORKER_POOLS=<pool>:<concurrency> and its drain time', () => {
    const pools: any[] = values.workers.pools;
    expect(workers.map((d) => d.metadata.name).sort()).toEqual(
      pools.map((p) => `jobplane-worker-${p.name}`).sort(),
    );
    for (const pool of pools) {
      const d = workers.find((w) => w.metadata.name === `jobplane-worker-${pool.name}`)!;
      const e = env(mainContainer(d));
      const drain = pool.drainSeconds ?? values.workers.drainSeconds;
      expect(e.get('WORKER_POOLS')?.value).toBe(`${pool.name}:${pool.concurrency}`);
      expect(e.get('WORKER_DRAIN_SECONDS')?.value).toBe(String(drain));
      expect(d.spec.selector.matchLabels['jobplane.io/pool']).toBe(pool.name);
      expect(d.spec.template.metadata.labels['jobplane.io/pool']).toBe(pool.name);
      // Pools must not select each other's pods.
      for (const other of workers.filter((w) => w !== d))
        expect(selects(d.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('workers get time to drain: terminationGracePeriodSeconds >= WORKER_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_MS', () => {
    for (const d of workers) {
      const drain = Number(env(mainContainer(d)).get('WORKER_DRAIN_SECONDS').value);
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        drain + shutdownSeconds,
      );
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain + 15);
      expect(d.spec.template.metadata.annotations['controller.kubernetes.io/pod-deletion-cost']).toMatch(
        /^-?\d+$/,
      );
    }
  });

  it('the api sleeps in preStop before SIGTERM, within its grace period', () => {
    const api = deployments.find((d) => d.metadata.name === 'jobplane-api')!;
    const sleep = Number(mainContainer(api).lifecycle.preStop.exec.command[1]);
    expect(sleep).toBeGreaterThan(0);
    expect(api.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      sleep + shutdownSeconds,
    );
  });

  it('each process gets only the connection URLs it reads, from a Secret that has them', () => {
    // What each app requires at start, read from its entry point (apps/<app>/src/main.ts).
    const wants: Record<string, string[]> = Object.fromEntries(
      ['api', 'scheduler', 'audit', 'worker'].map((app) => {
        const main = readFileSync(join(ROOT, 'apps', app, 'src', 'main.ts'), 'utf8');
        const required = /loadConfig\(process\.env, \{ required: \[([^\]]*)\]/.exec(main)?.[1];
        if (required === undefined)
          throw new Error(`apps/${app}/src/main.ts: no loadConfig(process.env, { required: [...] })`);
        return [
          app,
          [...required.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!).filter((v) => v.endsWith('_URL')),
        ];
      }),
    );
    const keys = values.secrets.keys;
    const keyOf: Record<string, string> = {
      DATABASE_URL: keys.databaseUrl,
      AMQP_URL: keys.amqpUrl,
      REDIS_URL: keys.redisUrl,
    };
    for (const d of deployments) {
      // Optional references (BOOTSTRAP_ADMIN_KEY) are not connection URLs the app requires.
      const e = [...env(mainContainer(d)).values()].filter(
        (v: any) => v.valueFrom?.secretKeyRef && !v.valueFrom.secretKeyRef.optional,
      );
      expect([d.metadata.name, e.map((v: any) => v.name).sort()]).toEqual([
        d.metadata.name,
        wants[d.metadata.labels!['app.kubernetes.io/component']!]!.sort(),
      ]);
      for (const v of e) {
        const ref = v.valueFrom.secretKeyRef;
        expect(ref.key).toBe(keyOf[v.name]);
        if (values.secrets.existingSecret) expect(ref.name).toBe(values.secrets.existingSecret);
        else
          expect(
            ofKind(objs, 'Secret').find((s) => s.metadata.name === ref.name)?.stringData?.[ref.key],
          ).toBeTruthy();
      }
    }
  });

  it('Services, PDBs and autoscalers point at rendered Deployments and declared ports', () => {
    const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
    for (const s of ofKind(objs, 'Service')) {
      const targets = deployments.filter((d) => selects(s.spec.selector, d.spec.template.metadata.labels));
      expect([s.metadata.name, targets.map((d) => d.metadata.name)]).toEqual([
        s.metadata.name,
        [s.metadata.name],
      ]);
      const ports = new Set(mainContainer(targets[0]!).ports.map((p: any) => p.name));
      for (const p of s.spec.ports)
        expect([s.metadata.name, p.targetPort, ports.has(p.targetPort)]).toEqual([
          s.metadata.name,
          p.targetPort,
          true,
        ]);
      expect(s.spec.ports.some((p: any) => p.name === 'metrics')).toBe(true);
    }
    for (const pdb of ofKind(objs, 'PodDisruptionBudget')) {
      expect(
        deployments.filter((d) => selects(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels))
          .length,
      ).toBe(1);
    }
    const scaled = [
      ...ofKind(objs, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name as string),
      ...ofKind(objs, 'ScaledObject').map((s) => s.spec.scaleTargetRef.name as string),
    ];
    expect(new Set(scaled).size).toBe(scaled.length);
    for (const name of scaled) {
      expect([name, byName.has(name)]).toEqual([name, true]);
      // The autoscaler owns replicas; a value in the Deployment would reset them on every upgrade.
      expect([name, byName.get(name)!.spec.replicas]).toEqual([name, undefined]);
    }
    for (const d of deployments)
      if (!scaled.includes(d.metadata.name))
        expect([d.metadata.name, d.spec.replicas]).toEqual([d.metadata.name, expect.any(Number)]);
  });

  it('NetworkPolicies (when enabled) admit the api port and metrics ports only, on declared ports', () => {
    const policies = ofKind(objs, 'NetworkPolicy');
    expect(policies.length).toBe(values.networkPolicy.enabled ? deployments.length : 0);
    for (const np of policies) {
      const target = deployments.filter((d) =>
        selects(np.spec.podSelector.matchLabels, d.spec.template.metadata.labels),
      );
      expect(target.length).toBe(1);
      expect(np.spec.policyTypes).toEqual(['Ingress']);
      const ports = new Set(mainContainer(target[0]!).ports.map((p: any) => p.name));
      for (const rule of np.spec.ingress)
        for (const p of rule.ports)
          expect([np.metadata.name, p.port, ports.has(p.port)]).toEqual([np.metadata.name, p.port, true]);
    }
  });

  it('custom resources (ServiceMonitor, PrometheusRule, ScaledObject) are well formed', () => {
    const crds = objs.filter((o) => CRD_KINDS.includes(typeKey(o)));
    const services = ofKind(objs, 'Service');
    const runbookAnchors = anchorsOf(join(ROOT, 'docs', 'operations', 'runbook.md'));
    for (const o of crds) {
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('jobplane');
      switch (o.kind) {
        case 'ServiceMonitor': {
          const selected = services.filter((s) => selects(o.spec.selector.matchLabels, s.metadata.labels));
          expect(selected.length).toBe(deployments.length);
          for (const ep of o.spec.endpoints) {
            expect(ep.path).toBe('/metrics');
            for (const s of selected) expect(s.spec.ports.map((p: any) => p.name)).toContain(ep.port);
          }
          break;
        }
        case 'PrometheusRule': {
          const rules = o.spec.groups.flatMap((g: any) => g.rules);
          expect(rules.length).toBeGreaterThanOrEqual(3);
          for (const r of rules) {
            expect(r.alert).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
            expect(r.expr.trim().length).toBeGreaterThan(0);
            expect(r.expr).not.toContain('{{');
            expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
            const url: string = r.annotations.runbook_url;
            expect(url).toMatch(/\/docs\/operations\/runbook\.md#[a-z0-9-]+$/);
            // The anchor must be a heading of the runbook.
            expect([r.alert, runbookAnchors.has(url.split('#')[1]!)]).toEqual([r.alert, true]);
          }
          expect(rules.map((r: any) => r.alert)).toEqual(
            expect.arrayContaining(['JobplaneApiErrorRate', 'JobplaneWorkerDown', 'JobplaneOutboxGrowing']),
          );
          break;
        }
        case 'ScaledObject': {
          const target = deployments.find((d) => d.metadata.name === o.spec.scaleTargetRef.name)!;
          const pool = target.metadata.labels!['jobplane.io/pool']!;
          expect(o.spec.minReplicaCount).toBeLessThanOrEqual(o.spec.maxReplicaCount);
          expect(o.spec.triggers.length).toBeGreaterThan(0);
          for (const t of o.spec.triggers) {
            expect(t.type).toBe('prometheus');
            expect(t.metadata.serverAddress).toMatch(/^https?:\/\//);
            expect(t.metadata.query).toContain(`pool="${pool}"`);
            expect(typeof t.metadata.threshold).toBe('string');
            expect(Number.isFinite(Number(t.metadata.threshold))).toBe(true);
          }
          expect(o.spec.triggers.map((t: any) => t.metadata.query).join(' ')).toMatch(
            /jobplane_backlog_depth.*jobplane_backlog_oldest_age_seconds/,
          );
          break;
        }
        default:
          throw new Error(`unexpected custom resource ${typeKey(o)}`);
      }
    }
  });

  it('dashboards (when enabled) are ConfigMaps with the sidecar label and valid Grafana JSON', () => {
    const dashboards = ofKind(objs, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards.length > 0).toBe(!!values.dashboards.enabled);
    for (const cm of dashboards) {
      for (const [file, json] of Object.entries(cm.data ?? {})) {
        expect(file).toMatch(/\.json$/);
        const d = JSON.parse(json);
        expect(d.uid).toBeTruthy();
        const exprs: string[] = d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
        expect(exprs.length).toBeGreaterThan(0);
        // Which metric names they may use: promql.spec.ts.
      }
    }
  });
});

describe('example-specific renders', () => {
  it('production: two worker pools, KEDA for both, api HPA, monitoring and NetworkPolicies', () => {
    const objs = render(['charts/jobplane/examples/production.yaml']);
    expect(
      ofKind(objs, 'ScaledObject')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['jobplane-worker-default', 'jobplane-worker-heavy']);
    expect(ofKind(objs, 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(['jobplane-api']);
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'NetworkPolicy'])
      expect(ofKind(objs, kind).length).toBeGreaterThan(0);
    expect(ofKind(objs, 'Secret')).toEqual([]);
    const heavy = ofKind(objs, 'Deployment').find((d) => d.metadata.name === 'jobplane-worker-heavy')!;
    expect(heavy.spec.template.spec.terminationGracePeriodSeconds).toBe(615);
    expect(heavy.spec.template.spec.nodeSelector).toEqual({ 'jobplane.io/node-class': 'heavy' });
  });

  it('workers without KEDA fall back to a CPU HPA', () => {
    const objs = render([], ['--set', 'workers.autoscaling.enabled=true']);
    expect(ofKind(objs, 'ScaledObject')).toEqual([]);
    const hpa = ofKind(objs, 'HorizontalPodAutoscaler').find(
      (h) => h.metadata.name === 'jobplane-worker-default',
    )!;
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization' } });
  });

  it('a pool overrides worker defaults, zero and false included', () => {
    const objs = render(
      [],
      [
        '--set',
        'workers.autoscaling.enabled=true',
        '--set-json',
        'workers.pools=[{"name":"a","concurrency":1,"replicas":3,"drainSeconds":0,"podDeletionCost":0,"autoscaling":{"enabled":false},"pdb":{"enabled":false}},{"name":"b","concurrency":2,"autoscaling":{"maxReplicas":4}}]',
      ],
    );
    const a = ofKind(objs, 'Deployment').find((d) => d.metadata.name === 'jobplane-worker-a')!;
    expect(a.spec.replicas).toBe(3);
    expect(env(a.spec.template.spec.containers[0]).get('WORKER_DRAIN_SECONDS')?.value).toBe('0');
    expect(a.spec.template.metadata.annotations['controller.kubernetes.io/pod-deletion-cost']).toBe('0');
    expect(ofKind(objs, 'PodDisruptionBudget').map((p) => p.metadata.name)).not.toContain(
      'jobplane-worker-a',
    );
    expect(
      ofKind(objs, 'HorizontalPodAutoscaler').map((h) => [
        h.metadata.name,
        h.spec.minReplicas,
        h.spec.maxReplicas,
      ]),
    ).toEqual([['jobplane-worker-b', 1, 4]]);
  });

  it('serves gRPC on its own port by default (GRPC_PORT), and turns it off with GRPC_PORT=0', () => {
    const api = (objs: K8sObject[]) =>
      ofKind(objs, 'Service').find((s) => s.metadata.name === 'jobplane-api')!;
    const apiEnv = (objs: K8sObject[]) =>
      env(firstContainer(ofKind(objs, 'Deployment').find((d) => d.metadata.name === 'jobplane-api')!));
    const on = render();
    expect(api(on).spec.ports).toContainEqual(expect.objectContaining({ name: 'grpc', port: 50051 }));
    expect(apiEnv(on).get('GRPC_PORT')).toMatchObject({ value: '50051' });
    const off = render([], ['--set', 'api.grpc.enabled=false']);
    expect(api(off).spec.ports.map((p: any) => p.name)).toEqual(['http', 'metrics']);
    expect(apiEnv(off).get('GRPC_PORT')).toMatchObject({ value: '0' });
  });

  it('a pool runs an image of its own (its CMD unless it sets args) with resources of its own', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const objs = render(
      [],
      [
        '--set-json',
        `workers.pools=${JSON.stringify([
          { name: 'default', concurrency: 8 },
          {
            name: 'custom',
            concurrency: 2,
            image: { repository: 'registry.example.com/my-worker', tag: '1.2.3', pullPolicy: 'Always' },
            resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { memory: '4Gi' } },
          },
          {
            name: 'pinned',
            concurrency: 1,
            image: { repository: 'registry.example.com/other', digest },
            args: ['node', 'dist/worker.js'],
          },
        ])}`,
      ],
    );
    const worker = (pool: string) =>
      firstContainer(ofKind(objs, 'Deployment').find((d) => d.metadata.name === `jobplane-worker-${pool}`)!);
    expect(worker('custom')).toMatchObject({
      image: 'registry.example.com/my-worker:1.2.3',
      imagePullPolicy: 'Always',
      resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { memory: '4Gi' } },
    });
    expect(worker('custom').args).toBeUndefined();
    expect(worker('pinned')).toMatchObject({
      image: `registry.example.com/other@${digest}`,
      imagePullPolicy: 'IfNotPresent',
      args: ['node', 'dist/worker.js'],
    });
    const chartImage = firstContainer(
      ofKind(objs, 'Deployment').find((d) => d.metadata.name === 'jobplane-api')!,
    );
    expect(worker('default')).toMatchObject({
      image: chartImage.image,
      args: ['node', 'apps/worker/dist/main.js'],
      resources: { requests: { cpu: '250m', memory: '256Mi' } },
    });
    for (const d of ofKind(objs, 'Deployment'))
      expect([d.metadata.name, schemaErrors(d)]).toEqual([d.metadata.name, []]);
  });

  it('passes an optional bootstrap admin key from the Secret to the api only', () => {
    const objs = render([], ['--set', `secrets.bootstrapAdminKey=jp_${'a'.repeat(16)}_${'b'.repeat(43)}`]);
    const api = ofKind(objs, 'Deployment').find((d) => d.metadata.name === 'jobplane-api')!;
    expect(env(firstContainer(api)).get('BOOTSTRAP_ADMIN_KEY')).toMatchObject({
      valueFrom: { secretKeyRef: { key: 'BOOTSTRAP_ADMIN_KEY', optional: true } },
    });
    expect(ofKind(objs, 'Secret')[0]!.stringData).toHaveProperty('BOOTSTRAP_ADMIN_KEY');
    for (const d of ofKind(objs, 'Deployment').filter((x) => x.metadata.name !== 'jobplane-api'))
      expect(env(firstContainer(d)).has('BOOTSTRAP_ADMIN_KEY')).toBe(false);
  });
});

function firstContainer(d: K8sObject): any {
  return d.spec.template.spec.containers[0];
}
