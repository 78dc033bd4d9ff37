import { submitJobRequestSchema, toProtoTimestamp, toProtoValue } from '@jobplane/contracts';
import { listQueryOf, submitBodyOf, toJobMessage } from './mapping';

describe('gRPC message mapping', () => {
  it('turns a full SubmitJobRequest into the REST body the shared schema accepts', () => {
    const body = submitBodyOf({
      type: 'sleep',
      payload: toProtoValue({ seconds: 2, tags: ['a'] }),
      pool: 'gpu',
      priority: 0,
      runAt: toProtoTimestamp('2030-01-01T00:00:00.000Z'),
      maxAttempts: 3,
      backoff: { type: 'fixed' },
      timeouts: { hardMs: 5000 },
      idempotencyKey: 'k',
      labels: { a: 'b' },
      concurrency: { key: 'tenant-x' },
    });
    expect(body).toEqual({
      type: 'sleep',
      payload: { seconds: 2, tags: ['a'] },
      pool: 'gpu',
      priority: 0,
      runAt: '2030-01-01T00:00:00.000Z',
      maxAttempts: 3,
      backoff: { type: 'fixed', baseMs: 0 },
      timeouts: { hardMs: 5000 },
      idempotencyKey: 'k',
      labels: { a: 'b' },
      concurrency: { key: 'tenant-x' },
    });
    expect(submitJobRequestSchema.safeParse(body).success).toBe(true);
  });

  it('treats proto3 defaults as unset', () => {
    expect(submitBodyOf({ type: '', pool: '', idempotencyKey: '', labels: {} })).toEqual({});
    expect(listQueryOf({ state: 'JOB_STATE_UNSPECIFIED', type: '', limit: 0, cursor: '' })).toEqual({});
    expect(listQueryOf({ state: 'JOB_STATE_RUNNING', limit: 5 })).toEqual({ state: 'running', limit: 5 });
    expect(listQueryOf({ state: 42 })).toEqual({ state: '42' });
  });

  it('renders a job view with enum states, Values and Timestamps, leaving nulls unset', () => {
    const m = toJobMessage({
      id: '00000000-0000-4000-8000-000000000001',
      tenant: 't',
      type: 'x',
      pool: 'default',
      state: 'succeeded',
      priority: 0,
      payload: { a: 1 },
      result: null,
      error: null,
      attempt: 1,
      maxAttempts: 3,
      runAt: null,
      labels: {},
      progress: null,
      cancelRequested: false,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
      startedAt: null,
      finishedAt: null,
    });
    expect(m).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', payload: toProtoValue({ a: 1 }) });
    expect(m.createdAt).toEqual({ seconds: 1767225600, nanos: 0 });
    for (const k of [
      'result',
      'error',
      'runAt',
      'progress',
      'startedAt',
      'finishedAt',
      'waitReason',
      'position',
    ])
      expect(m).not.toHaveProperty(k);
  });
});
