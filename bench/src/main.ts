import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { mkdirSync } from 'node:fs';
import { Stack, startStack } from '@jobplane/testing';
import { DispatchShare } from './dispatch-share';
import { GrpcSubmitter } from './grpc-submitter';
import { PeerResult, runPeers } from './peers';
import { measureRun } from './run-jobs';
import { cpuPerJob, rssMb, sampleRss } from './rss';
import { watchEvents } from './sse-watchers';
import { slope } from './stats';
import { Submitter } from './submitter';

/**
 * `pnpm bench`: starts the distributed stack as processes (api, scheduler, audit, one worker with
 * concurrency 50) on this machine's Postgres, RabbitMQ and Redis, runs the scenarios and prints one
 * JSON line each. Every scenario verifies its jobs (all succeeded, each terminal exactly once).
 */
const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'idle,burst,paced' },
    /** Burst sizes, comma-separated (several: a `linearity` line compares their jobs/s). */
    n: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '50' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    /** SSE clients of the `fanout` scenario. */
    watchers: { type: 'string', default: '100' },
    /** Also run the peer drivers (BullMQ, Celery, ...) after our scenarios, and print our ratios. */
    peers: { type: 'boolean', default: false },
    'peers-dir': { type: 'string', default: join(__dirname, '..', '..', '..', 'shared', 'peers') },
    /** Only the peers whose system name matches this regular expression. */
    'peers-only': { type: 'string', default: '.' },
    /** Run the services of another checkout (its built dist), e.g. a baseline, against this bench. */
    root: { type: 'string' },
    /** Write a V8 CPU profile of every stack process into this directory (at stack stop). */
    'cpu-prof': { type: 'string' },
  },
});
const scenarios = values.scenarios.split(',');
const concurrency = Number(values.concurrency);
const sizes = values.n.split(',').map(Number);
const print = (o: object) => console.log(JSON.stringify({ ...o, at: new Date().toISOString() }));

type Jobs = { type: string; payload: unknown; labels: Record<string, string> }[];

async function main() {
  if (values['cpu-prof']) mkdirSync(resolve(values['cpu-prof']), { recursive: true });
  const stack = await startStack({
    workers: 1,
    workerPools: `default:${concurrency}`,
    ...(values.root ? { root: resolve(values.root) } : {}),
    env: {
      LOG_LEVEL: 'warn',
      // The bench measures the pipeline, not the per-tenant request limit.
      TENANT_RATE_LIMIT: '*:1000000',
      DEFAULT_POOL_CAPACITY: String(concurrency * 4),
      ...(values['cpu-prof']
        ? {
            NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profiler.js')}`,
            BENCH_CPU_PROF_DIR: resolve(values['cpu-prof']),
          }
        : {}),
    },
  });
  const pg = new Client({ connectionString: stack.databaseUrl });
  await pg.connect();
  await pg.query(`SET search_path TO "${stack.schema}"`);
  const submitter = new Submitter(stack.apiUrl, { authorization: `Bearer ${stack.adminKey}` });
  const pids = Object.fromEntries(stack.processes.map((p) => [p.name, p.child.pid]));
  const scheduler = stack.processes.find((p) => p.name === 'scheduler');
  shares = new DispatchShare(scheduler?.healthUrl.replace('/health/ready', '/metrics'));
  const ours: Record<string, Record<string, unknown>> = {};
  try {
    await submitter.one({ type: 'debug.echo', labels: { bench: 'warmup' } });
    for (const s of scenarios) {
      if (s === 'idle') {
        await new Promise((r) => setTimeout(r, 3_000));
        print({
          scenario: 'idle',
          rssMb: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, rssMb(pid)])),
        });
      } else if (s === 'burst') {
        const runs = [];
        for (const n of sizes) {
          const r = await burst(pg, n, pids, 'rest', async (jobs) => (await submitter.many(jobs)).ids);
          runs.push(r);
          print(r);
        }
        ours.burst = runs[0]!;
        if (runs.length > 1) print(linearity(runs));
      } else if (s === 'grpc') {
        const grpc = new GrpcSubmitter(stack.grpcAddress, stack.adminKey);
        try {
          print(await burst(pg, sizes[0]!, pids, 'grpc', (jobs) => grpc.many(jobs)));
        } finally {
          grpc.close();
        }
      } else if (s === 'fanout') {
        const watchers = watchEvents(stack.apiUrl, stack.adminKey, Number(values.watchers));
        await new Promise((r) => setTimeout(r, 1_000)); // let every stream open before the burst
        const r = await burst(pg, sizes[0]!, pids, 'rest', async (jobs) => (await submitter.many(jobs)).ids);
        // Every job's submitted, dispatched, started and succeeded reach every client.
        const expected = r.n * 4;
        await watchers.settled(expected, 30_000);
        print({ ...r, scenario: 'fanout', sse: { expectedPerClient: expected, ...(await watchers.stop()) } });
      } else if (s === 'paced') {
        ours.paced = await paced(pg, submitter, Number(values.rate), Number(values.seconds), pids);
        print(ours.paced);
      } else throw new Error(`unknown scenario ${s} (idle, burst, grpc, fanout, paced)`);
    }
  } finally {
    await pg.end();
    await stack.stop();
    const cleanup = new Client({ connectionString: stack.databaseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP SCHEMA IF EXISTS "${stack.schema}" CASCADE`);
    await cleanup.end();
  }
  if (values.peers) await peers(stack, ours);
}

/** The scheduler's dispatch counters (set once the stack runs). */
let shares = new DispatchShare(undefined);

async function burst(
  pg: Client,
  n: number,
  pids: Record<string, number | undefined>,
  via: 'rest' | 'grpc',
  submit: (jobs: Jobs) => Promise<string[]>,
) {
  const runId = `burst-${randomBytes(4).toString('hex')}`;
  const jobs = Array.from({ length: n }, () => ({
    type: 'debug.echo',
    payload: {},
    labels: { bench: runId },
  }));
  const rss = sampleRss(pids);
  const cpu = cpuPerJob(pids);
  const share = await shares.start();
  const t0 = Date.now();
  const ids = await submit(jobs);
  if (ids.length !== n) throw new Error(`submitted ${ids.length} of ${n}`);
  const submitS = (Date.now() - t0) / 1000;
  const m = await measureRun(pg, runId, n, t0, Math.max(120_000, n * 100));
  const { peak } = rss.stop();
  const cpuMsPerJob = cpu(n);
  return {
    scenario: via === 'grpc' ? 'grpc' : 'burst',
    n,
    concurrency,
    submitS,
    ...m,
    dispatch: await share(),
    cpuMsPerJob,
    peakRssMb: peak,
  };
}

/** Cost grows linearly when jobs/s stays within 20% across burst sizes. */
function linearity(runs: { n: number; jobsPerS: number }[]) {
  const best = Math.max(...runs.map((r) => r.jobsPerS));
  const worst = Math.min(...runs.map((r) => r.jobsPerS));
  const spreadPct = Math.round(((best - worst) / best) * 1000) / 10;
  return {
    scenario: 'linearity',
    jobsPerS: Object.fromEntries(runs.map((r) => [r.n, r.jobsPerS])),
    spreadPct,
    linear: spreadPct <= 20,
  };
}

/** A steady `rate` jobs/s for `seconds`: the latency users feel when the system is not saturated. */
async function paced(
  pg: Client,
  submitter: Submitter,
  rate: number,
  seconds: number,
  pids: Record<string, number | undefined>,
) {
  const runId = `paced-${randomBytes(4).toString('hex')}`;
  const n = rate * seconds;
  const rss = sampleRss(pids, 1_000);
  const cpu = cpuPerJob(pids);
  const share = await shares.start();
  const t0 = Date.now();
  const inflight: Promise<string>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const submitted = submitter.one({ type: 'debug.echo', payload: {}, labels: { bench: runId } });
    submitted.catch(() => undefined); // counted below; not an unhandled rejection meanwhile
    inflight.push(submitted);
  }
  // An overloaded api may refuse some submits: count them, and verify every job it accepted.
  const settled = await Promise.allSettled(inflight);
  const refused = settled.filter((r) => r.status === 'rejected');
  const accepted = n - refused.length;
  const submitErrors = refused.length
    ? { count: refused.length, first: String((refused[0] as PromiseRejectedResult).reason).slice(0, 200) }
    : undefined;
  const m = await measureRun(pg, runId, accepted, t0, 120_000);
  const { peak, series } = rss.stop();
  const rssSlopeMbPerMin = Object.fromEntries(
    Object.entries(series).map(([k, pts]) => [k, Math.round(slope(pts) * 100) / 100]),
  );
  const cpuMsPerJob = cpu(n);
  return {
    scenario: 'paced',
    rate,
    seconds,
    n,
    ...(submitErrors ? { submitErrors } : {}),
    ...m,
    dispatch: await share(),
    cpuMsPerJob,
    peakRssMb: peak,
    rssSlopeMbPerMin,
  };
}

/**
 * The peers on this machine right after our scenarios (our stack stopped): a burst of the same N
 * and concurrency, and a paced run (100 jobs/s, as the peers' own table), then our ratios.
 */
async function peers(stack: Stack, ours: Record<string, Record<string, unknown>>) {
  const url = new URL(stack.databaseUrl);
  const admin = new Client({ connectionString: stack.databaseUrl });
  await admin.connect();
  // The Postgres-based peers get a database of their own, away from everything else on the server.
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'jobplane_peers'`);
  if (!rowCount) await admin.query('CREATE DATABASE jobplane_peers');
  await admin.end();
  url.pathname = '/jobplane_peers';
  process.env.PEERS_PG_URL ??= url.toString();
  const only = new RegExp(values['peers-only']);
  const workDir = join(__dirname, '..', '..', '.stack', 'peers');
  const source = resolve(values['peers-dir']);
  const n = sizes[0]!;
  const bursts = runPeers(source, workDir, n, concurrency, only);
  process.env.PACE_MS = '10';
  const pacedRuns = runPeers(source, workDir, 300, concurrency, only);
  delete process.env.PACE_MS;
  for (const p of bursts) print({ scenario: 'peer-burst', ...p });
  for (const p of pacedRuns) print({ scenario: 'peer-paced-100/s', ...p });
  const jobsPerS = Number(ours.burst?.jobsPerS);
  const pickup = ours.paced?.submitToStartMs as { p50: number; p99: number } | undefined;
  print({
    scenario: 'ratios',
    note: 'ours / peer: jobs/s above 1 is faster; pickup above 1 is slower',
    burstJobsPerS: ratioBy(bursts, (p) =>
      Number.isFinite(jobsPerS) ? jobsPerS / Number(p.jobs_per_s) : NaN,
    ),
    pacedPickupP50: ratioBy(pacedRuns, (p) => (pickup ? pickup.p50 / Number(p.lat_p50_ms) : NaN)),
    pacedPickupP99: ratioBy(pacedRuns, (p) => (pickup ? pickup.p99 / Number(p.lat_p99_ms) : NaN)),
  });
}

function ratioBy(peers: PeerResult[], f: (p: PeerResult) => number) {
  return Object.fromEntries(
    peers.filter((p) => p.jobs_per_s !== undefined).map((p) => [p.system, Math.round(f(p) * 100) / 100]),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
