import type { JobEventView } from '@jobplane/contracts';
import { submit, useStack } from './jobs';
import { WsClient, useLiveKey } from './live';

/** The WebSocket surface (`/v1/ws`) against the distributed stack. */
describe('live events over WebSocket', () => {
  const ctx = useStack({ workers: 1, workerPools: 'default:8' });
  beforeAll(() => useLiveKey(ctx.stack.adminKey));
  const wsUrl = () => `${ctx.stack.apiUrl.replace('http', 'ws')}/v1/ws`;
  const open = async () => {
    const c = await WsClient.open(wsUrl());
    expect(await c.next((f) => f.type === 'ready')).toEqual({ type: 'ready', tenant: 'default' });
    return c;
  };
  const eventsOf = async (c: WsClient, jobId: string): Promise<JobEventView[]> => {
    const out: JobEventView[] = [];
    for (;;) {
      const f = await c.next((x) => (x.type === 'event' && x.event.jobId === jobId) || x.type === 'end');
      if (f.type === 'end') return out;
      out.push(f.event);
    }
  };

  it('runs a job, survives a dropped socket, and resumes from the last seq without losing events', async () => {
    const first = await open();
    first.send({ op: 'run_job', job: { type: 'sleep', payload: { seconds: 3 } }, ref: 'r1' });
    const { job } = await first.next((f) => f.type === 'job');
    expect(job).toMatchObject({ type: 'sleep', state: 'queued' });
    const before: JobEventView[] = [];
    while (before.length < 4) before.push((await first.next((f) => f.type === 'event')).event);
    first.drop();

    const second = await open();
    second.send({ op: 'reconnect_job', jobId: job.id, afterSeq: before.at(-1)!.seq });
    const after = await eventsOf(second, job.id);
    const full = (await ctx.api.get(`/v1/jobs/${job.id}/events`)).body.items;
    expect([...before, ...after]).toEqual(full);
    expect(full.at(-1).type).toBe('succeeded'); // the job kept running while no socket was open
    second.close();
  });

  it('cancels a job and streams its cancellation', async () => {
    const job = await submit(ctx.api, { type: 'sleep', payload: { seconds: 60 } });
    const c = await open();
    c.send({ op: 'reconnect_job', jobId: job.id, afterSeq: 0 });
    await c.next((f) => f.type === 'event' && f.event.type === 'started', 20_000);
    c.send({ op: 'cancel_job', jobId: job.id, reason: 'test', ref: 'c1' });
    expect(await c.next((f) => f.type === 'job')).toMatchObject({ ref: 'c1', job: { id: job.id } });
    const rest = await eventsOf(c, job.id);
    expect(rest.at(-1)).toMatchObject({ type: 'cancelled' });
    expect((await ctx.api.get(`/v1/jobs/${job.id}`)).body.state).toBe('cancelled');
    c.close();
  });

  it('answers malformed frames with error frames and keeps the socket', async () => {
    const c = await open();
    const expectError = async (frame: unknown, code: string) => {
      c.send(frame);
      const f = await c.next((x) => x.type === 'error');
      expect(f.error).toMatchObject({ code });
      expect(typeof f.error.message).toBe('string');
    };
    await expectError('not json', 'validation_failed');
    await expectError({ op: 'explode' }, 'validation_failed');
    await expectError({ op: 'reconnect_job', jobId: 'nope' }, 'validation_failed');
    await expectError(
      { op: 'cancel_job', jobId: '0190a1b2-0000-7000-8000-000000000000', extra: 1 },
      'validation_failed',
    );
    await expectError({ op: 'run_job', job: { type: 42 } }, 'validation_failed');
    await expectError({ op: 'reconnect_job', jobId: '0190a1b2-0000-7000-8000-000000000000' }, 'not_found');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next((x) => x.type === 'error')).error.code).toBe('validation_failed');
    // Still usable after all that.
    c.send({ op: 'run_job', job: { type: 'debug.echo', payload: { ok: true } } });
    const { job } = await c.next((f) => f.type === 'job');
    expect((await eventsOf(c, job.id)).at(-1)).toMatchObject({ type: 'succeeded' });
    c.close();
  });

  it('refuses upgrades on other paths', async () => {
    await expect(WsClient.open(`${ctx.stack.apiUrl.replace('http', 'ws')}/v1/nope`)).rejects.toThrow('404');
  });
});
