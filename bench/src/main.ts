import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Stack, startStack } from '@jobplane/testing';
import { measureRun } from './run-jobs';
import { rssMb, sampleRss } from './rss';
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
    n: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '50' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
  },
});
const scenarios = values.scenarios.split(',');
const concurrency = Number(values.concurrency);

async function main() {
  const stack = await startStack({
    workers: 1,
    workerPools: `default:${concurrency}`,
    env: { LOG_LEVEL: 'warn', DEFAULT_POOL_CAPACITY: String(concurrency * 4) },
  });
  const pg = new Client({ connectionString: stack.databaseUrl });
  await pg.connect();
  await pg.query(`SET search_path TO "${stack.schema}"`);
  const submitter = new Submitter(stack.apiUrl, { authorization: `Bearer ${stack.adminKey}` });
  const pids = Object.fromEntries(stack.processes.map((p) => [p.name, p.child.pid]));
  const print = (o: object) => console.log(JSON.stringify({ ...o, at: new Date().toISOString() }));
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
        for (const n of values.n.split(',').map(Number)) print(await burst(stack, pg, submitter, n, pids));
      } else if (s === 'paced') {
        print(await paced(pg, submitter, Number(values.rate), Number(values.seconds), pids));
      } else throw new Error(`unknown scenario ${s} (idle, burst, paced)`);
    }
  } finally {
    await pg.end();
    await stack.stop();
    const cleanup = new Client({ connectionString: stack.databaseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP SCHEMA IF EXISTS "${stack.schema}" CASCADE`);
    await cleanup.end();
  }
}

async function burst(
  _stack: Stack,
  pg: Client,
  submitter: Submitter,
  n: number,
  pids: Record<string, number | undefined>,
) {
  const runId = `burst-${randomBytes(4).toString('hex')}`;
  const jobs = Array.from({ length: n }, () => ({
    type: 'debug.echo',
    payload: {},
    labels: { bench: runId },
  }));
  const rss = sampleRss(pids);
  const t0 = Date.now();
  const { mode } = await submitter.many(jobs);
  const submitS = (Date.now() - t0) / 1000;
  const m = await measureRun(pg, runId, n, t0, Math.max(120_000, n * 20));
  const { peak } = rss.stop();
  return { scenario: 'burst', n, concurrency, submitMode: mode, submitS, ...m, peakRssMb: peak };
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
  const t0 = Date.now();
  const inflight: Promise<string>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(submitter.one({ type: 'debug.echo', payload: {}, labels: { bench: runId } }));
  }
  await Promise.all(inflight);
  const m = await measureRun(pg, runId, n, t0, 120_000);
  const { peak, series } = rss.stop();
  const rssSlopeMbPerMin = Object.fromEntries(
    Object.entries(series).map(([k, pts]) => [k, Math.round(slope(pts) * 100) / 100]),
  );
  return { scenario: 'paced', rate, seconds, n, ...m, peakRssMb: peak, rssSlopeMbPerMin };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
