import { randomBytes } from 'node:crypto';
import { createWorkerHeartbeat, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { ClaimRequest, decideClaim } from './attempt-claims';
import { Database, DatabaseOptions } from './database';
import { JobRegistry } from './job-registry';
import { applyGuardedUpdate } from './job-updates';
import { jobsOfLostWorkers, WorkerStore } from './worker-store';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const LOST_AFTER_MS = 60_000;
const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

/** The claim decision: one owner per attempt, against PGlite and real Postgres. */
describe.each(backends)('attempt claims on %s', (_name, options) => {
  let db: Database;
  let registry: JobRegistry;
  let workers: WorkerStore;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    registry = new JobRegistry(db);
    workers = new WorkerStore(db);
  }, 60_000);

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  /** A job at attempt 1: dispatched (queued) or running on `workerId` since an hour ago. */
  async function jobAt(state: 'queued' | 'running', workerId: string | null = null): Promise<string> {
    const [r] = await registry.submit([
      {
        ...submitJobRequestSchema.parse({ type: 'debug.echo', payload: {} }),
        tenant: 't1',
        pool: 'default',
      },
    ]);
    const id = r!.job.id;
    await db.query(`UPDATE jobs SET attempt = 1, state = $2, worker_id = $3, started_at = $4 WHERE id = $1`, [
      id,
      state,
      workerId,
      state === 'running' ? HOUR_AGO() : null,
    ]);
    return id;
  }

  async function heartbeat(workerId: string, startedAt: string, draining = false): Promise<void> {
    await workers.record([
      createWorkerHeartbeat(workerId, {
        host: 'h',
        pid: 1,
        version: '1',
        pools: [{ pool: 'default', concurrency: 1 }],
        running: [],
        draining,
        startedAt,
      }),
    ]);
  }

  const claim = (jobId: string, over: Partial<ClaimRequest> = {}) =>
    db.transaction((tx) =>
      decideClaim(tx, { jobId, attempt: 1, workerId: 'w-new', republished: false, ...over }, LOST_AFTER_MS),
    );
  const row = async (id: string) =>
    (await db.query<{ worker_id: string; started_at: Date }>(`SELECT * FROM jobs WHERE id = $1`, [id]))[0]!;

  it('grants a dispatched attempt nobody started yet, without taking it over', async () => {
    const id = await jobAt('queued');
    expect(await claim(id)).toEqual({ granted: true });
    expect((await row(id)).worker_id).toBeNull();
  });

  it('grants a redelivered running attempt and moves its ownership to the claimer', async () => {
    const id = await jobAt('running', 'w-dead');
    expect(await claim(id)).toEqual({ granted: true });
    const after = await row(id);
    expect(after.worker_id).toBe('w-new');
    expect(Date.now() - new Date(after.started_at).getTime()).toBeLessThan(30_000);
  });

  it('keeps a granted attempt away from the watchdog that would have abandoned it', async () => {
    const id = await jobAt('running', 'w-gone');
    const lost = () => db.transaction((tx) => jobsOfLostWorkers(tx, LOST_AFTER_MS, 10_000));
    expect((await lost()).map((j) => j.id)).toContain(id);
    await claim(id);
    expect((await lost()).map((j) => j.id)).not.toContain(id);
  });

  it('refuses an attempt the watchdog already gave up (job queued for its next attempt)', async () => {
    const id = await jobAt('running', 'w-dead');
    await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['running'],
        attempt: 1,
        set: { state: 'queued' },
        event: { id: uuidv7(), type: 'worker_lost', attempt: 1, data: {}, occurredAt: new Date() },
      }),
    );
    expect(await claim(id)).toEqual({ granted: false, reason: 'attempt_ended' });
  });

  it('refuses a superseded attempt, a finished job and a job with a cancel requested', async () => {
    const next = await jobAt('running', 'w-dead');
    await db.query(`UPDATE jobs SET attempt = 2 WHERE id = $1`, [next]);
    expect(await claim(next)).toEqual({ granted: false, reason: 'attempt_superseded' });
    const done = await jobAt('running', 'w-dead');
    await db.query(`UPDATE jobs SET state = 'succeeded' WHERE id = $1`, [done]);
    expect(await claim(done)).toEqual({ granted: false, reason: 'job_finished' });
    const cancelling = await jobAt('running', 'w-dead');
    await db.query(`UPDATE jobs SET cancel_requested_at = now() WHERE id = $1`, [cancelling]);
    expect(await claim(cancelling)).toEqual({ granted: false, reason: 'cancel_requested' });
    expect((await row(cancelling)).worker_id).toBe('w-dead');
  });

  it('refuses a republished dispatch while another live worker runs the attempt', async () => {
    const id = await jobAt('running', 'w-live');
    await heartbeat('w-live', new Date(Date.now() - 7_200_000).toISOString());
    expect(await claim(id, { republished: true })).toEqual({ granted: false, reason: 'running_elsewhere' });
    expect((await row(id)).worker_id).toBe('w-live');
    // The same owner asking again (its own delivery came back) is granted.
    expect(await claim(id, { republished: true, workerId: 'w-live' })).toEqual({ granted: true });
  });

  it('grants a republished dispatch when the owner restarted since, or is draining', async () => {
    const restarted = await jobAt('running', 'w-restarted');
    await heartbeat('w-restarted', new Date().toISOString());
    expect(await claim(restarted, { republished: true })).toEqual({ granted: true });
    const draining = await jobAt('running', 'w-draining');
    await heartbeat('w-draining', new Date(Date.now() - 7_200_000).toISOString(), true);
    expect(await claim(draining, { republished: true })).toEqual({ granted: true });
  });

  it('refuses an unknown job', async () => {
    expect(await claim(uuidv7())).toEqual({ granted: false, reason: 'unknown_job' });
  });
});
