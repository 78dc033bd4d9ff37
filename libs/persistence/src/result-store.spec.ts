import { randomBytes } from 'node:crypto';
import { submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { JobNotFoundError, JobRegistry } from './job-registry';
import { toJobView } from './job-record';
import { applyGuardedUpdate } from './job-updates';
import { placeResult, ResultNotAvailableError, ResultStore, storeResult } from './result-store';
import { purgeExpiredJobs } from './retention';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const INLINE_MAX = 1024;

describe.each(backends)('result store on %s', (_name, options) => {
  let db: Database;
  let registry: JobRegistry;
  let results: ResultStore;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    registry = new JobRegistry(db);
    results = new ResultStore(db);
  });

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  const submitOne = async (tenant: string) =>
    (
      await registry.submit([
        { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant, pool: 'default' },
      ])
    )[0]!.job;

  /** A job that ran and succeeded with `result`, placed as the scheduler places it. */
  async function succeed(result: unknown, tenant = 't1', finishedAt = new Date()) {
    const job = await submitOne(tenant);
    const placed = placeResult(result, INLINE_MAX);
    return db.transaction(async (tx) => {
      const done = await applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['queued'],
        set: {
          state: 'succeeded',
          ...('inline' in placed ? { result: placed.inline } : { result: null, resultRef: placed.ref }),
          finishedAt,
        },
        event: { id: uuidv7(), type: 'succeeded', attempt: 1, data: {}, occurredAt: finishedAt },
      });
      if ('ref' in placed)
        await storeResult(tx, { jobId: job.id, tenant, contentType: 'application/json', body: placed.body });
      return done!;
    });
  }

  it('keeps a small result inline and serves it as JSON', async () => {
    const job = await succeed({ small: true });
    expect(job.result).toEqual({ small: true });
    expect(toJobView(job).resultRef).toBeUndefined();
    const got = await results.get('t1', job.id);
    expect(got.stored).toBe(false);
    expect(JSON.parse(got.body.toString())).toEqual({ small: true });
    expect(await db.query('SELECT 1 FROM job_results WHERE job_id = $1', [job.id])).toHaveLength(0);
  });

  it('stores a big result byte for byte and leaves a reference on the job', async () => {
    const big = { rows: Array.from({ length: 200 }, (_, i) => ({ i, text: `ünïcødé ${i} \u2603` })) };
    const json = JSON.stringify(big);
    const job = await succeed(big);
    expect(job.result).toBeNull();
    expect(job.resultRef).toEqual({ sizeBytes: Buffer.byteLength(json), contentType: 'application/json' });
    expect(toJobView(job).resultRef).toEqual({
      sizeBytes: Buffer.byteLength(json),
      url: `/v1/jobs/${job.id}/result`,
    });
    const again = await registry.get('t1', job.id);
    expect(again.resultRef).toEqual(job.resultRef);
    const got = await results.get('t1', job.id);
    expect(got.stored).toBe(true);
    expect(got.body.toString('utf8')).toBe(json);
  });

  it('keeps a result of exactly the limit inline and one byte more in the store', () => {
    const atLimit = 'x'.repeat(INLINE_MAX - 2); // the JSON string adds two quotes
    expect(placeResult(atLimit, INLINE_MAX)).toEqual({ inline: atLimit });
    expect(placeResult(`${atLimit}x`, INLINE_MAX)).toMatchObject({ ref: { sizeBytes: INLINE_MAX + 1 } });
  });

  it("answers not found for another tenant's job and not available before success", async () => {
    const job = await succeed({ big: 'y'.repeat(2000) });
    await expect(results.get('other', job.id)).rejects.toBeInstanceOf(JobNotFoundError);
    const queued = await submitOne('t1');
    await expect(results.get('t1', queued.id)).rejects.toBeInstanceOf(ResultNotAvailableError);
  });

  it('purges stored results with their job (retention)', async () => {
    const old = await succeed({ big: 'z'.repeat(5000) }, 'purge', new Date(Date.now() - 3_600_000));
    const recent = await succeed({ big: 'z'.repeat(5000) }, 'purge');
    const stored = () =>
      db.query<{ job_id: string }>(`SELECT job_id FROM job_results WHERE tenant = 'purge' ORDER BY job_id`);
    expect((await stored()).map((r) => r.job_id)).toEqual([old.id, recent.id].sort());
    expect(await purgeExpiredJobs(db, 60)).toBeGreaterThanOrEqual(1);
    expect((await stored()).map((r) => r.job_id)).toEqual([recent.id]);
    await expect(results.get('purge', old.id)).rejects.toBeInstanceOf(JobNotFoundError);
  });
});
