import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessage, MessageData, MessageType } from '@jobplane/contracts';
import { createLogger } from '@jobplane/telemetry';
import { AttemptRunner } from '../attempt-runner';
import { EventPublisher } from '../event-publisher';
import { AnyHandlerDefinition, HandlerDefinition } from '../handler';
import { Isolate } from './isolate';
import type { IsolatedJob } from './protocol';

// The isolate runs compiled code: the built child entry and a plain-JS fixture module.
const ENTRY = join(__dirname, '..', '..', 'dist', 'isolation', 'child-entry.js');
const FIXTURES = join(__dirname, '..', '..', 'test-fixtures', 'isolated-handlers.js');

class Recorder extends EventPublisher {
  readonly published: { type: MessageType; data: unknown }[] = [];
  constructor() {
    super(null as never);
  }
  override async publish<T extends MessageType>(type: T, _job: unknown, data: MessageData<T>) {
    this.published.push({ type, data });
  }
}

const job = (type: string, payload: unknown = null): IsolatedJob => ({
  jobId: '0190a0a0-0000-7000-8000-000000000001',
  tenant: 't1',
  type,
  pool: 'default',
  attempt: 1,
  maxAttempts: 3,
  payload,
  labels: {},
});

function dispatch(type: string, timeouts: { softMs?: number; hardMs?: number } | null = null) {
  return createMessage('job.dispatch', {
    jobId: job(type).jobId,
    tenant: 't1',
    data: { type, pool: 'default', payload: null, attempt: 1, maxAttempts: 3, timeouts },
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const logger = createLogger('isolation-test', 'silent');
// Starting an isolate takes a while on a loaded machine.
jest.setTimeout(20_000);

describe.each(['thread', 'process'] as const)('isolated execution in a %s', (mode) => {
  beforeAll(() => {
    if (!existsSync(ENTRY)) throw new Error(`build worker-service first: ${ENTRY} is missing`);
  });

  function runner(
    type: string,
    events: Recorder,
    opts: { timeouts?: { hardMs: number }; graceMs?: number } = {},
  ) {
    const def: AnyHandlerDefinition = { type, execution: mode, module: FIXTURES, handle: async () => null };
    return new AttemptRunner(
      dispatch(type, opts.timeouts ?? null),
      def as HandlerDefinition,
      events,
      logger,
      {
        workerId: 'w1',
        graceMs: opts.graceMs ?? 300,
        progressIntervalMs: 0,
        isolateEntry: ENTRY,
      },
    );
  }

  it('runs the handler from its module and relays progress, logs and heartbeats', async () => {
    const progress: unknown[] = [];
    const logs: unknown[] = [];
    let beats = 0;
    const isolate = new Isolate(
      FIXTURES,
      job('fixture.report', { n: 21 }),
      { progress: (p) => progress.push(p), log: (...l) => logs.push(l), heartbeat: () => beats++ },
      { mode, entry: ENTRY },
    );
    const result = (await isolate.result) as { doubled: number; pid: number };
    expect(result.doubled).toBe(42);
    expect(mode === 'process' ? result.pid !== process.pid : result.pid === process.pid).toBe(true);
    expect(progress).toEqual([
      { percent: 25, step: 'step-1' },
      { percent: 50, step: 'step-2' },
      { percent: 75, step: 'step-3' },
    ]);
    expect(logs).toEqual([['info', 'hello from the isolate', { pid: result.pid }]]);
    expect(beats).toBe(1);
  });

  it('carries a structured non-retryable error across the boundary', async () => {
    const events = new Recorder();
    const outcome = await runner('fixture.refuse', events).run();
    expect(outcome).toEqual({
      kind: 'failed',
      error: { code: 'account_missing', message: 'no such account', retryable: false },
    });
  });

  it('ends a handler that honours its signal as cancelled, well within the grace', async () => {
    const events = new Recorder();
    const r = runner('fixture.polite', events, { graceMs: 5_000 });
    const outcome = r.run();
    await waitFor(() => events.published.some((e) => e.type === 'job.progress'), 10_000);
    const t0 = Date.now();
    r.stop('cancel', 'user asked');
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1_000);
  }, 15_000);

  it('kills a handler that ignores its cancel once the grace is over', async () => {
    const pids: number[] = [];
    const isolate = new Isolate(
      FIXTURES,
      job('fixture.stubborn'),
      {
        progress: () => undefined,
        log: (_l, _m, f) => pids.push(f?.pid as number),
        heartbeat: () => undefined,
      },
      { mode, entry: ENTRY },
    );
    const settled = isolate.result.catch((e: Error) => e);
    await waitFor(() => pids.length > 0, 10_000);
    isolate.abort('cancelled');
    await new Promise((res) => setTimeout(res, 200));
    isolate.kill();
    const err = (await settled) as Error & { code: string };
    expect(err.code).toBe('isolate_crashed');
    if (mode === 'process') await waitFor(() => !alive(pids[0]!));

    const r = runner('fixture.stubborn', new Recorder(), { graceMs: 300 });
    const outcome = r.run();
    await new Promise((res) => setTimeout(res, 300));
    const t0 = Date.now();
    r.stop('cancel', 'user asked');
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('times out a stubborn handler at its hard limit', async () => {
    const outcome = await runner('fixture.stubborn', new Recorder(), { timeouts: { hardMs: 300 } }).run();
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'timed_out', retryable: false } });
  });

  it('fails the attempt (retryable) when the isolate exits without a result', async () => {
    const outcome = await runner('fixture.exit', new Recorder()).run();
    expect(outcome).toMatchObject({
      kind: 'failed',
      error: { code: 'isolate_crashed', retryable: true, details: { execution: mode } },
    });
  });

  it('fails the attempt as out of memory past its memory limit', async () => {
    const def: AnyHandlerDefinition = {
      type: 'fixture.hog',
      execution: mode,
      module: FIXTURES,
      memoryLimitMb: 32,
      handle: async () => null,
    };
    const r = new AttemptRunner(dispatch('fixture.hog'), def as HandlerDefinition, new Recorder(), logger, {
      workerId: 'w1',
      graceMs: 300,
      progressIntervalMs: 0,
      isolateEntry: ENTRY,
    });
    expect(await r.run()).toMatchObject({
      kind: 'failed',
      error: { code: 'isolate_out_of_memory', retryable: true },
    });
  }, 30_000);
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 20));
  }
}
