import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { Database } from '@jobplane/persistence';
import { REPO_ROOT, Stack, startService, startStack } from '@jobplane/testing';
import { ChartConfig, chartConfig } from './harness/chart-config';
import { HarnessExpand1763899999000 } from './harness/expand-migration';
import { Fleet } from './harness/fleet';
import { PhaseFigures, settle, startsByWorkerVersion, watchLockWaits } from './harness/ledger';
import { SteadyLoad } from './harness/load';
import { runMigrationJob } from './harness/migrate-job';
import { oldBuild } from './harness/old-build';

/**
 * Issue 7 item 4: what `kubectl scale` and `helm upgrade` do to the chart's Deployments, replayed
 * with real processes on one host. Every process gets the env the rendered chart gives its pod,
 * is stopped like the kubelet stops a pod, and a steady load runs through all phases:
 *   scale     workers 1 -> 5 -> 1 (SIGTERM: graceful drain);
 *   migrate   the upgrade's migration (the chart's hook Job of the new build, when an old build is
 *             given) and a test-only expand step, applied while the old version serves;
 *   rolling   every Deployment rolled one replica at a time (new ready, then old stopped), so old
 *             and new processes share the queues and the registry.
 * Every job reaches exactly one terminal state; the figures per phase are printed.
 * JOBPLANE_HARNESS_OLD_REF (or _OLD_ROOT) names the previous release to upgrade from; without it
 * the current build rolls onto itself (same code; restarts and migration still proven).
 */
const RATE = Number(process.env.HARNESS_RATE ?? 10);
const POOL = 'default';

describe('kubernetes harness: scale, migrate and roll under load (processes behind the chart config)', () => {
  const chart: ChartConfig = chartConfig();
  const old = oldBuild();
  const from = old ? { name: 'old', root: old.root } : { name: 'blue', root: REPO_ROOT };
  const to = old ? { name: 'new', root: REPO_ROOT } : { name: 'green', root: REPO_ROOT };
  let stack: Stack;
  let pg: Client;
  let load: SteadyLoad | undefined;
  let fleet: Fleet;
  let firstMigrationMs = 0;

  beforeAll(async () => {
    stack = await startStack({
      root: from.root,
      env: chart.api.env,
      workers: 0,
      // The pre-install hook: the chart's migration Job, before any pod starts.
      prepare: async (env) => void (firstMigrationMs = await runMigrationJob(chart, from.root, env)),
    });
    // startStack started one api, scheduler and audit (with chart.api.env, asserted equal below);
    // the fleet takes them over and adds the chart's other replicas.
    fleet = new Fleet(stack, chart, () => load);
    for (const p of stack.processes) {
      const app = p.name as 'api' | 'scheduler' | 'audit';
      fleet.replicas.push({
        app,
        version: from.name,
        process: p,
        url: app === 'api' ? stack.apiUrl : undefined,
      });
    }
    await Promise.all([
      ...(['api', 'scheduler', 'audit'] as const).flatMap((app) =>
        Array.from({ length: chart[app].replicas - fleet.of(app).length }, () => fleet.start(app, from)),
      ),
      fleet.start('worker', from),
    ]);
    pg = new Client({ connectionString: stack.databaseUrl });
    await pg.connect();
    await pg.query(`SET search_path TO "${stack.schema}"`);
  }, 180_000);

  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await stack?.stop();
    await pg?.query(`DROP SCHEMA IF EXISTS "${stack.schema}", "${stack.auditSchema}" CASCADE`);
    await pg?.end();
  });

  it('runs its processes with the config the chart sets, and the chart waits out the worker drain', () => {
    // One env for api, scheduler and audit (startStack gives its first processes one env).
    expect(chart.scheduler.env).toEqual(chart.api.env);
    expect(chart.audit.env).toEqual(chart.api.env);
    // Pods do not migrate: the hook Job does, and the processes wait for the schema.
    expect(chart.api.env.MIGRATE_ON_START).toBe('false');
    expect(chart.worker.env.WORKER_POOLS).toMatch(new RegExp(`^${POOL}:\\d+`));
    const drain = Number(chart.worker.env.WORKER_DRAIN_SECONDS);
    expect(drain).toBeGreaterThan(0);
    expect(chart.worker.terminationGracePeriodSeconds).toBeGreaterThan(drain);
    const shutdown = Number(chart.api.env.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(chart.api.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      chart.api.preStopSleepSeconds + shutdown,
    );
    for (const app of ['scheduler', 'audit'] as const)
      expect(chart[app].terminationGracePeriodSeconds).toBeGreaterThanOrEqual(shutdown);
  });

  it('scales workers 1 -> 5 -> 1, applies a migration under the old version, rolls every Deployment: each job ends once', async () => {
    const t0 = Date.now();
    const marks: Record<string, number> = {};
    const phase = (name: string) => {
      load!.phase = name;
      marks[name] = Date.now();
    };
    load = new SteadyLoad(fleet.apiUrls(), { ratePerSecond: RATE, pool: POOL, apiKey: stack.adminKey });
    load.start();
    phase('warmup');
    await sleep(2_000);

    // (a) kubectl scale --replicas=5, then back to 1: new pods start, the removed ones get SIGTERM.
    phase('scale');
    await Promise.all([1, 2, 3, 4].map(() => fleet.start('worker', from)));
    await sleep(4_000);
    while (fleet.of('worker').length > 1) await fleet.stop(fleet.of('worker')[0]!);
    await sleep(2_000);

    // (c) helm upgrade, step 1: the pre-upgrade hook migrates while the old version still serves.
    phase('migrate');
    const locks = watchLockWaits(pg, stack.schema);
    const hookMs = old ? await runMigrationJob(chart, to.root, stack.env) : undefined;
    const m0 = Date.now();
    const db = await Database.open(
      { kind: 'postgres', url: stack.databaseUrl, schema: stack.schema },
      { migrate: true, extraMigrations: [HarnessExpand1763899999000] },
    );
    await db.close();
    const expandMs = Date.now() - m0;
    const lockWaits = await locks.stop();
    await sleep(3_000);
    const applied = await pg.query<{ name: string }>('SELECT name FROM typeorm_migrations');
    expect(applied.rows.map((r) => r.name)).toContain('HarnessExpand1763899999000');

    // (b) helm upgrade, step 2: the Deployments roll at once, each one replica at a time.
    phase('rolling');
    await Promise.all((['api', 'scheduler', 'audit', 'worker'] as const).map((app) => fleet.roll(app, to)));
    await sleep(3_000);
    expect(fleet.replicas.every((r) => r.version === to.name)).toBe(true);

    phase('cooldown');
    await sleep(2_000);
    await load.stop();
    const loadMs = Date.now() - t0;
    const figures = await settle(pg, load.jobs);
    const rollingIds = load.jobs.filter((j) => j.phase === 'rolling').map((j) => j.id);
    const rollingStartsBy = await startsByWorkerVersion(pg, rollingIds);

    const report = {
      versions: old
        ? `${old.ref} -> current`
        : 'current -> current (set JOBPLANE_HARNESS_OLD_REF to upgrade from a release)',
      oldBuildMs: old?.buildMs,
      ratePerSecond: RATE,
      loadSeconds: Math.round(loadMs / 1000),
      submitRetries: load.retries,
      migrations: { installHookMs: firstMigrationMs, upgradeHookMs: hookMs, expandMs, ...lockWaits },
      stopped: fleet.stopped.map(
        (s) => `${s.name}: exit ${s.code} in ${s.ms} ms (grace ${s.graceSeconds} s)`,
      ),
      rollingStartsByWorkerVersion: rollingStartsBy,
      phases: figures,
    };
    console.log(`k8s harness:\n${JSON.stringify(report, null, 2)}\n${table(figures)}`);

    for (const f of figures) {
      expect(f.jobs).toBeGreaterThan(0);
      expect({
        phase: f.phase,
        lost: f.lost,
        duplicated: f.duplicated,
        notSucceeded: f.notSucceeded,
      }).toEqual({
        phase: f.phase,
        lost: 0,
        duplicated: 0,
        notSucceeded: 0,
      });
    }
    // Old and new workers both ran jobs of the rolling phase: the versions really overlapped.
    expect(rollingStartsBy[from.name]).toBeGreaterThan(0);
    expect(rollingStartsBy[to.name]).toBeGreaterThan(0);
    // Roughly the paced rate was kept (a stalled api would show as a shortfall).
    expect(load.jobs.length).toBeGreaterThan(((marks.cooldown! - marks.warmup!) / 1000) * RATE * 0.8);
    // Every stopped process ended within the pod's grace period (no SIGKILL); this build's drained
    // and exited 0 (an old release may carry a since-fixed exit code bug: reported above, not judged).
    for (const s of fleet.stopped) {
      expect(s.ms).toBeLessThan(s.graceSeconds * 1000);
      expect(s.code).not.toBe('SIGKILL');
      if (s.version !== 'old') expect(s).toMatchObject({ code: 0 });
    }
  }, 300_000);

  it('with MIGRATE_ON_START=false, waits for the schema (the hook Job) and refuses to run on one that stays behind', async () => {
    const schema = `${stack.schema}_behind`;
    const env = { ...stack.env, ...chart.api.env, DATABASE_SCHEMA: schema };
    // From the stack's own block: a random port could be another (parallel) stack's.
    const ports = [stack.port(), stack.port()];
    try {
      // Nothing migrates this schema: the api exits after SCHEMA_WAIT_SECONDS, naming what is missing.
      const t0 = Date.now();
      const refused = spawnSync(process.execPath, [join(REPO_ROOT, 'apps', 'api', 'dist', 'main.js')], {
        env: { ...process.env, ...env, SCHEMA_WAIT_SECONDS: '2', PORT: String(ports[0]), GRPC_PORT: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(refused.status).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
      expect(refused.stderr).toMatch(
        /schema is behind this build: \d+ pending migration\(s\) \(InitialSchema1763800000000/,
      );

      // The hook Job migrates while the next pod waits: that pod becomes ready without a restart.
      const port = ports[1]!;
      const waiting = startService({
        name: 'api-waiting',
        app: 'api',
        env: {
          ...env,
          SCHEMA_WAIT_SECONDS: '60',
          PORT: String(port),
          HEALTH_PORT: String(port),
          GRPC_PORT: '0',
        },
        healthPort: port,
        logDir: `${REPO_ROOT}/.stack/logs/${schema}`,
      });
      await sleep(1_500);
      await runMigrationJob(chart, REPO_ROOT, { ...stack.env, DATABASE_SCHEMA: schema });
      const api = await waiting;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/jobs?limit=1`, {
          headers: { authorization: `Bearer ${stack.adminKey}` },
        });
        expect(res.status).toBe(200);
      } finally {
        api.child.kill('SIGTERM');
        await api.exited;
      }
    } finally {
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function table(figures: PhaseFigures[]): string {
  const head = '| phase | jobs | lost | duplicated | repeated | not succeeded | max wait (ms) |';
  const rows = figures.map(
    (f) =>
      `| ${f.phase} | ${f.jobs} | ${f.lost} | ${f.duplicated} | ${f.repeated} | ${f.notSucceeded} | ${f.maxWaitMs} |`,
  );
  return [head, '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
