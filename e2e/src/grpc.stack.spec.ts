import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { JobEventView } from '@jobplane/contracts';
import { collect, grpcClients, GrpcClients } from './grpc-client';
import { submit, useStack, waitForState } from './jobs';

/** A ServiceError's code and message, for one-line expectations. */
async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: number; details: string };
    return { code: e.code, details: e.details };
  }
  throw new Error('expected the call to fail');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The gRPC surface of the distributed stack through a real @grpc/grpc-js client. */
describe('gRPC (distributed stack)', () => {
  const ctx = useStack({ workers: 1 });
  let grpc: GrpcClients;

  beforeAll(() => {
    // The auth branch lets startStack hand out a key; the open authenticator needs none.
    grpc = grpcClients(ctx.stack.grpcAddress, ctx.stack.adminKey);
  });
  afterAll(() => grpc?.close());

  async function restEvents(id: string): Promise<JobEventView[]> {
    return (await ctx.api.get<{ items: JobEventView[] }>(`/v1/jobs/${id}/events`)).body.items;
  }

  it('answers the standard health check SERVING and lists its services by reflection', async () => {
    expect(await grpc.health('')).toEqual({ status: 'SERVING' });
    expect(await grpc.health('jobplane.v1.JobService')).toEqual({ status: 'SERVING' });
    expect(await failure(grpc.health('no.such.Service'))).toMatchObject({ code: status.NOT_FOUND });
    expect(await grpc.listServices()).toEqual(
      expect.arrayContaining(['jobplane.v1.JobService', 'grpc.health.v1.Health']),
    );
  });

  it('submits a job, gets it, and watches it from the start to its terminal event', async () => {
    const payload = { hello: 'grpc', n: [1, 2.5, null, true], deep: { s: '' } };
    const res = await grpc.call('SubmitJob', {
      type: 'debug.echo',
      payload: { structValue: { fields: toFields(payload) } },
      labels: { via: 'grpc' },
    });
    expect(res.created).toBe(true);
    expect(res.job).toMatchObject({ type: 'debug.echo', pool: 'default', labels: { via: 'grpc' } });
    const id: string = res.job.id;

    const events = await collect(grpc.watch({ id }));
    expect(events.at(-1).type).toBe('succeeded');
    const history = await restEvents(id);
    expect(events.map((e) => [e.jobId, Number(e.seq), e.type])).toEqual(
      history.map((e) => [e.jobId, e.seq, e.type]),
    );

    const job = await grpc.call('GetJob', { id });
    expect(job).toMatchObject({ id, state: 'JOB_STATE_SUCCEEDED', attempt: 1 });
    expect(fromValue(job.result)).toEqual(payload);
    expect(fromValue(job.payload)).toEqual(payload);
  });

  it('resumes WatchJob after a seq with exactly the events that followed, and streams live ones', async () => {
    const res = await grpc.call('SubmitJob', {
      type: 'sleep',
      payload: { structValue: { fields: { seconds: { numberValue: 2 } } } },
    });
    const id: string = res.job.id;
    const live = await collect(grpc.watch({ id, afterSeq: 0 }));
    const history = await restEvents(id);
    expect(live.map((e) => Number(e.seq))).toEqual(history.map((e) => e.seq));
    expect(live.some((e) => e.type === 'progress')).toBe(true);
    expect(live.at(-1).type).toBe('succeeded');

    const from = Math.floor(history.length / 2);
    const resumed = await collect(grpc.watch({ id, afterSeq: from }));
    expect(resumed.map((e) => Number(e.seq))).toEqual(history.slice(from).map((e) => e.seq));
    expect(new Set(resumed.map((e) => e.seq)).size).toBe(resumed.length);
  });

  it('answers a repeated idempotency key with the first job', async () => {
    const key = `grpc-${randomUUID()}`;
    const first = await grpc.call('SubmitJob', { type: 'debug.echo', idempotencyKey: key });
    const again = await grpc.call('SubmitJob', { type: 'debug.echo', idempotencyKey: key });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
  });

  it('submits a batch with a result per job in request order, invalid ones named', async () => {
    const res = await grpc.call('SubmitJobs', {
      jobs: [
        { type: 'debug.echo' },
        { type: 'debug.echo', priority: 1000 },
        { type: 'debug.echo', pool: 'x' },
      ],
    });
    expect(res.results.map((r: { index?: number }) => r.index ?? 0)).toEqual([0, 1, 2]);
    expect(res.results[0]).toMatchObject({ created: true, job: { type: 'debug.echo' } });
    expect(res.results[1]).toMatchObject({ errorCode: 'validation_failed' });
    expect(res.results[1].errorMessage).toMatch(/priority/);
    expect(res.results[1].job).toBeUndefined();
    expect(res.results[2]).toMatchObject({ created: true, job: { pool: 'x' } });
    expect(await failure(grpc.call('SubmitJobs', { jobs: [] }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/jobs/),
    });
  });

  it('lists jobs with filters and cursor paging, each job once', async () => {
    const type = `grpc.list-${randomUUID().slice(0, 8)}`;
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await grpc.call('SubmitJob', { type, pool: 'nobody' })).job.id);
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await grpc.call('ListJobs', { type, limit: 2, cursor });
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j: { id: string }) => j.id));
      cursor = page.nextCursor ?? '';
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    const queued = await grpc.call('ListJobs', { type, state: 'JOB_STATE_QUEUED', limit: 10 });
    expect(queued.jobs).toHaveLength(5);
    expect(await grpc.call('ListJobs', { type, state: 'JOB_STATE_RUNNING' })).toEqual({ nextCursor: '' });
  });

  it('cancels a running job: the stream ends with cancelled; cancelling again is FAILED_PRECONDITION', async () => {
    const res = await grpc.call('SubmitJob', {
      type: 'sleep',
      payload: { structValue: { fields: { seconds: { numberValue: 60 } } } },
    });
    const id: string = res.job.id;
    await waitForState(ctx.api, id, ['running']);
    const watching = collect(grpc.watch({ id }));
    const cancelled = await grpc.call('CancelJob', { id, reason: 'test' });
    expect(cancelled.cancelRequested).toBe(true);
    expect((await watching).at(-1).type).toBe('cancelled');
    expect(await failure(grpc.call('CancelJob', { id }))).toMatchObject({ code: status.FAILED_PRECONDITION });
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['SubmitJob', {}, /type/],
      ['SubmitJob', { type: 'debug.echo', priority: 1000 }, /priority/],
      ['SubmitJob', { type: 'debug.echo', pool: 'Not A Pool' }, /pool/],
      ['SubmitJob', { type: 'debug.echo', backoff: { type: 'sideways' } }, /backoff\.type/],
      ['SubmitJob', { type: 'debug.echo', labels: { ['x'.repeat(300)]: 'y' } }, /labels/],
      ['ListJobs', { limit: 100_000 }, /limit/],
      ['ListJobs', { cursor: 'not-a-cursor' }, /cursor/],
    ];
    for (const [method, req, field] of cases) {
      const f = await failure(grpc.call(method, req));
      expect({ method, ...f }).toEqual({
        method,
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(field),
      });
    }
    const watch = await failure(collect(grpc.watch({ id: randomUUID(), afterSeq: -1 })));
    expect(watch).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/afterSeq/),
    });
  });

  it('answers NOT_FOUND for unknown and malformed job ids on every job RPC', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '']) {
      for (const method of ['GetJob', 'CancelJob']) {
        expect({ method, id, ...(await failure(grpc.call(method, { id }))) }).toMatchObject({
          method,
          id,
          code: status.NOT_FOUND,
        });
      }
      expect(await failure(collect(grpc.watch({ id })))).toMatchObject({ code: status.NOT_FOUND });
    }
  });

  it('retries a failed job as a new attempt; NOT_FOUND and FAILED_PRECONDITION otherwise', async () => {
    const res = await grpc.call('SubmitJob', { type: 'fail', maxAttempts: 1 });
    const id: string = res.job.id;
    const first = await collect(grpc.watch({ id }));
    expect(first.at(-1).type).toBe('failed');
    const retried = await grpc.call('RetryJob', { id, reason: 'try again' });
    expect(retried).toMatchObject({ id, state: 'JOB_STATE_QUEUED' });
    const second = await collect(grpc.watch({ id, afterSeq: Number(first.at(-1).seq) }));
    expect(second.at(-1)).toMatchObject({ type: 'failed', attempt: 2 });
    expect(await grpc.call('GetJob', { id })).toMatchObject({ state: 'JOB_STATE_FAILED', attempt: 2 });

    const ok = await grpc.call('SubmitJob', { type: 'debug.echo' });
    await collect(grpc.watch({ id: ok.job.id }));
    expect(await failure(grpc.call('RetryJob', { id: ok.job.id }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    for (const unknown of [randomUUID(), 'not-a-uuid'])
      expect(await failure(grpc.call('RetryJob', { id: unknown }))).toMatchObject({ code: status.NOT_FOUND });
  });

  it('measures submit latency over 1,000 sequential calls, gRPC and REST', async () => {
    const n = Number(process.env.SUBMIT_LATENCY_N ?? 300);
    // A pool no worker serves: the jobs only queue, so running them does not skew the numbers.
    const body = { type: 'debug.echo', pool: 'bench' };
    const time = async (submitOne: () => Promise<unknown>, into: number[]) => {
      const t = process.hrtime.bigint();
      await submitOne();
      into.push(Number(process.hrtime.bigint() - t) / 1e6);
    };
    // Interleaved, so both surfaces see the same load on a shared machine.
    const grpcMs: number[] = [];
    const restMs: number[] = [];
    for (let i = 0; i < n; i++) {
      await time(() => grpc.call('SubmitJob', body), grpcMs);
      await time(() => submit(ctx.api, body), restMs);
    }
    const stats = (ms: number[]) => {
      ms.sort((a, b) => a - b);
      return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
    };
    const viaGrpc = stats(grpcMs);
    const viaRest = stats(restMs);
    const fmt = (x: { p50: number; p99: number }) => `p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`;
    process.stdout.write(
      `\nsubmit latency over ${n} sequential calls: gRPC ${fmt(viaGrpc)}; REST ${fmt(viaRest)}\n`,
    );
    const listed = await grpc.call('ListJobs', { pool: 'bench', limit: 500 });
    expect(listed.jobs).toHaveLength(Math.min(500, 2 * n));
  });
});

function toFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)]));
}

/** JSON -> google.protobuf.Value, written out here so the test does not trust the code under test. */
function toValue(v: unknown): unknown {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return { structValue: { fields: toFields(v as Record<string, unknown>) } };
}

function fromValue(v: any): unknown {
  if (v.structValue)
    return Object.fromEntries(Object.entries(v.structValue.fields ?? {}).map(([k, x]) => [k, fromValue(x)]));
  if (v.listValue) return (v.listValue.values ?? []).map(fromValue);
  if ('nullValue' in v) return null;
  return v.numberValue ?? v.stringValue ?? v.boolValue;
}
