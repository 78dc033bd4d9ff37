import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, REPO_ROOT, type ServiceProcess } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

const FIXTURE_WORKER = join(REPO_ROOT, 'e2e', 'fixtures', 'worker', 'main.js');
const JOBS = 6;
const LOST_AFTER_MS = 2_500;

/**
 * Finding 4 of docs/reliability.md at small size: a worker killed with its jobs in flight and
 * restarted under the same WORKER_ID. The broker redelivers the interrupted attempts and the
 * watchdog sees them lost; attempt claims leave each attempt exactly one owner, so every job runs
 * at most twice in all (the killed run and one recovery) and succeeds once.
 */
describe('attempt claims after a worker crash (distributed)', () => {
  const ctx = useStack({
    workers: 0,
    env: {
      WORKER_HEARTBEAT_MS: '300',
      WORKER_LOST_AFTER_MS: String(LOST_AFTER_MS),
      WATCHDOG_INTERVAL_MS: '250',
      CANCEL_GRACE_MS: '500',
      TENANT_RATE_LIMIT: '*:1000',
    },
  });
  const ledger = join(mkdtempSync(join(tmpdir(), 'jobplane-claims-')), 'runs.log');
  const runs = () =>
    readFileSync(ledger, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]!);
  const startWorker = (name: string, pool: string): Promise<ServiceProcess> =>
    ctx.stack.startWorker(
      name,
      { WORKER_POOLS: `${pool}:${JOBS}`, FIXTURE_RUN_LEDGER: ledger },
      FIXTURE_WORKER,
    );

  async function crashWithJobsInFlight(name: string, pool: string) {
    writeFileSync(ledger, '');
    const worker = await startWorker(name, pool);
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, () =>
        submit(ctx.api, { type: 'test.ledgered', pool, payload: { ms: 3_000 }, maxAttempts: 3 }),
      ),
    );
    await eventually(async () => runs().length, {
      until: (n) => n === JOBS,
      timeoutMs: 30_000,
      what: 'all running',
    });
    worker.child.kill('SIGKILL');
    return jobs.map((j) => j.id);
  }

  async function outcomes(ids: string[]) {
    const done = await Promise.all(ids.map((id) => waitForState(ctx.api, id, TERMINAL, 60_000)));
    const ends = await ctx.pg.query(
      `SELECT job_id, count(*)::int AS n FROM job_events
       WHERE job_id = ANY($1) AND type IN ('succeeded','failed','timeout','cancelled') GROUP BY job_id`,
      [ids],
    );
    const perJob = ids.map((id) => runs().filter((r) => r === id).length);
    return { done, ends: ends.rows.map((r: { n: number }) => r.n), perJob };
  }

  it('restarted after the watchdog gave the attempts up: the redeliveries are refused', async () => {
    // The watchdog acts only while it hears some worker: one on another pool keeps heartbeats flowing.
    await startWorker('bystander', 'idle');
    const ids = await crashWithJobsInFlight('crashy', 'claims-late');
    // Past the heartbeat timeout: the watchdog abandons every attempt and dispatches the next one.
    await eventually(
      async () =>
        (await ctx.pg.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND attempt = 2`, [ids]))
          .rows[0].n,
      { until: (n) => n === JOBS, timeoutMs: 30_000, what: 'next attempts dispatched' },
    );
    await startWorker('crashy', 'claims-late');
    const { done, ends, perJob } = await outcomes(ids);
    console.log(`claims, late restart: runs per job ${perJob.join(',')}`);
    expect(done.map((j) => j.state)).toEqual(ids.map(() => 'succeeded'));
    expect(ends).toEqual(ids.map(() => 1));
    expect(perJob).toEqual(ids.map(() => 2)); // the killed run and attempt 2; attempt 1 never again
  }, 120_000);

  it('restarted at once: each attempt recovered once, by its claim or by the watchdog, never both', async () => {
    const ids = await crashWithJobsInFlight('quick', 'claims-early');
    await startWorker('quick', 'claims-early');
    const { done, ends, perJob } = await outcomes(ids);
    console.log(`claims, quick restart: runs per job ${perJob.join(',')}`);
    expect(done.map((j) => j.state)).toEqual(ids.map(() => 'succeeded'));
    // The restarted worker's claim and the watchdog (which sees the restart) race for each attempt:
    // a granted claim keeps attempt 1, an abandonment first dispatches attempt 2 and refuses the claim.
    expect(done.every((j) => j.attempt === 1 || j.attempt === 2)).toBe(true);
    expect(ends).toEqual(ids.map(() => 1));
    expect(perJob).toEqual(ids.map(() => 2));
  }, 120_000);
});
