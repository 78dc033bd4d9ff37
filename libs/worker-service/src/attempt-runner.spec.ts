import { createMessage, MessageData, MessageType } from '@jobplane/contracts';
import { createLogger } from '@jobplane/telemetry';
import { AttemptRunner } from './attempt-runner';
import { EventPublisher } from './event-publisher';
import type { HandlerDefinition } from './handler';

class Recorder extends EventPublisher {
  readonly published: { type: MessageType; data: unknown }[] = [];
  constructor() {
    super(null as never);
  }
  override async publish<T extends MessageType>(type: T, _job: unknown, data: MessageData<T>) {
    this.published.push({ type, data });
  }
}

const logger = createLogger('attempt-runner-test', 'silent');

function runner(
  def: HandlerDefinition,
  timeouts: { softMs?: number; hardMs?: number } | null,
  labels?: Record<string, string>,
) {
  const msg = createMessage('job.dispatch', {
    jobId: '0190a0a0-0000-7000-8000-000000000002',
    tenant: 't1',
    data: {
      type: def.type,
      pool: 'default',
      payload: null,
      attempt: 1,
      maxAttempts: 1,
      timeouts,
      ...(labels ? { labels } : {}),
    },
  });
  return new AttemptRunner(msg, def, new Recorder(), logger, {
    workerId: 'w1',
    graceMs: 100,
    progressIntervalMs: 0,
  });
}

/** Ignores its signal for `ms`. */
const deaf = (ms: number): HandlerDefinition => ({
  type: 'deaf',
  handle: () => new Promise((resolve) => setTimeout(() => resolve('late'), ms).unref()),
});

describe('AttemptRunner time limits', () => {
  it('still enforces the hard limit after the soft limit was ignored', async () => {
    const t0 = Date.now();
    const outcome = await runner(deaf(10_000), { softMs: 100, hardMs: 300 }).run();
    expect(outcome).toMatchObject({
      kind: 'failed',
      error: { code: 'timed_out', retryable: false, details: { limit: 'hard', ms: 300 } },
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("uses the handler's time limits when the job sets none, field by field", async () => {
    const def = { ...deaf(10_000), timeouts: { softMs: 5_000, hardMs: 200 } };
    expect(await runner(def, null).run()).toMatchObject({ error: { details: { limit: 'hard', ms: 200 } } });
    expect(await runner(def, { hardMs: 150 }).run()).toMatchObject({
      error: { details: { limit: 'hard', ms: 150 } },
    });
  });

  it('lets a handler that returns after its soft limit succeed', async () => {
    const def: HandlerDefinition = {
      type: 'polite',
      handle: ({ signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve('cleaned up'))),
    };
    expect(await runner(def, { softMs: 50 }).run()).toEqual({ kind: 'succeeded', result: 'cleaned up' });
  });
});

describe('AttemptRunner job context', () => {
  const labelsOf: HandlerDefinition = { type: 'labels', handle: async ({ labels }) => labels };

  it("hands the handler the job's labels", async () => {
    expect(await runner(labelsOf, null, { team: 'search' }).run()).toEqual({
      kind: 'succeeded',
      result: { team: 'search' },
    });
  });

  it('gives no labels as an empty object (dispatch from an older scheduler)', async () => {
    expect(await runner(labelsOf, null).run()).toEqual({ kind: 'succeeded', result: {} });
  });
});
