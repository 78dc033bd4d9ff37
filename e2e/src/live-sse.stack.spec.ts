import type { JobEventView } from '@jobplane/contracts';
import { ApiClient, eventually } from '@jobplane/testing';
import { submit, useStack, waitForState } from './jobs';
import { jobEvents, liveSubscribers, metricsOf, SseEvent, SseStream, useLiveKey } from './live';

/** Live job events over SSE against the distributed stack (events travel scheduler -> notify -> api). */
describe('live events over SSE', () => {
  const ctx = useStack({
    workers: 1,
    workerPools: 'default:8,side:2',
    // No silence resync within a test: whatever arrives promptly arrived live.
    env: { SSE_HEARTBEAT_MS: '200', LIVE_RESYNC_MS: '60000' },
  });
  beforeAll(() => useLiveKey(ctx.stack.adminKey));
  const history = async (api: ApiClient, id: string): Promise<JobEventView[]> =>
    (await api.get<{ items: JobEventView[] }>(`/v1/jobs/${id}/events`)).body.items;
  const streamUrl = (id: string, query = '') => `${ctx.stack.apiUrl}/v1/jobs/${id}/events${query}`;

  it('resumes after a forced disconnect with Last-Event-ID and loses no event', async () => {
    const job = await submit(ctx.api, { type: 'sleep', payload: { seconds: 3 } });
    const first = await SseStream.open(streamUrl(job.id));
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toContain('no-cache');
    expect(first.headers.get('x-accel-buffering')).toBe('no');
    const before: SseEvent[] = [];
    for (let i = 0; i < 4; i++) before.push((await first.next())!);
    first.disconnect();
    const lastId = before.at(-1)!.id!;

    const second = await SseStream.open(streamUrl(job.id), { 'last-event-id': lastId });
    const after = await second.rest();
    expect(second.closed).toBe(true);

    const streamed = jobEvents([...before, ...after]);
    const full = await history(ctx.api, job.id);
    expect(streamed).toEqual(full);
    expect(full.map((e) => e.seq)).toEqual(full.map((_, i) => i + 1));
    expect(full.filter((e) => e.type === 'progress').length).toBeGreaterThanOrEqual(2);
    expect(streamed.at(-1)!.type).toBe('succeeded');
  });

  it('replays a finished job and closes; ?lastEventId= works like the header', async () => {
    const job = await submit(ctx.api, { type: 'debug.echo', payload: { x: 1 } });
    await waitForState(ctx.api, job.id, ['succeeded']);
    const all = jobEvents(await (await SseStream.open(streamUrl(job.id))).rest());
    expect(all).toEqual(await history(ctx.api, job.id));
    const tail = jobEvents(await (await SseStream.open(streamUrl(job.id, '?lastEventId=2'))).rest());
    expect(tail).toEqual(all.slice(2));
    const last = String(all.at(-1)!.seq);
    const after = await SseStream.open(streamUrl(job.id), { 'last-event-id': last });
    expect(await after.rest(5_000)).toEqual([]); // nothing after the terminal event: closed at once
    expect(after.closed).toBe(true);
  });

  it('answers JSON without the SSE Accept header, and problems before a stream opens', async () => {
    const job = await submit(ctx.api, { type: 'debug.echo', payload: {} });
    const json = await ctx.api.get(`/v1/jobs/${job.id}/events`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(json.body.items[0]).toMatchObject({ jobId: job.id, seq: 1, type: 'submitted' });

    const unknown = await SseStream.open(streamUrl('0190a1b2-0000-7000-8000-000000000000'));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'not_found' });
    const badId = await SseStream.open(streamUrl(job.id), { 'last-event-id': 'abc' });
    expect(badId.status).toBe(400);
    const badQuery = await SseStream.open(streamUrl(job.id, '?bogus=1'));
    expect(badQuery.status).toBe(400);
  });

  it('delivers live events on replica A for a job submitted on replica B', async () => {
    const b = await ctx.stack.startApi('api-b');
    const apiB = new ApiClient(b.url, ctx.stack.adminKey);
    const job = await submit(apiB, { type: 'sleep', payload: { seconds: 2 } });
    // Subscribed after seq 1, so everything this stream gets must come live through A's hub.
    const onA = await SseStream.open(streamUrl(job.id), { 'last-event-id': '1' });
    const received: { event: JobEventView; at: number }[] = [];
    for (let e = await onA.next(); e; e = await onA.next())
      received.push({ event: jobEvents([e])[0]!, at: Date.now() });
    expect(received.map((r) => r.event)).toEqual((await history(apiB, job.id)).slice(1));
    // Live, not found later by a registry re-read (none for 60 s): each arrived soon after it happened.
    for (const r of received) expect(r.at - Date.parse(r.event.occurredAt)).toBeLessThan(3_000);
    const notes = /^jobplane_live_notes_received(?:\{[^}]*\})? (\d+)/m.exec(
      await metricsOf(ctx.stack.apiUrl),
    );
    expect(Number(notes?.[1])).toBeGreaterThan(0);
  });

  it("streams a tenant's live events, filtered by type and pool", async () => {
    const all = await SseStream.open(`${ctx.stack.apiUrl}/v1/events`);
    const sleeps = await SseStream.open(`${ctx.stack.apiUrl}/v1/events?type=sleep`);
    const side = await SseStream.open(`${ctx.stack.apiUrl}/v1/events?pool=side`);
    expect([all.status, sleeps.status, side.status]).toEqual([200, 200, 200]);
    const echo = await submit(ctx.api, { type: 'debug.echo', payload: {} });
    const sleep = await submit(ctx.api, { type: 'sleep', payload: { seconds: 0 }, pool: 'side' });
    await waitForState(ctx.api, echo.id, ['succeeded']);
    await waitForState(ctx.api, sleep.id, ['succeeded']);

    const collect = async (s: SseStream, jobs: number) => {
      const seen: (JobEventView & { jobType: string; pool: string })[] = [];
      while (seen.filter((e) => e.type === 'succeeded').length < jobs)
        seen.push(JSON.parse((await s.next())!.data));
      s.disconnect();
      return seen;
    };
    const everything = await collect(all, 2);
    expect(new Set(everything.map((e) => e.jobId))).toEqual(new Set([echo.id, sleep.id]));
    for (const id of [echo.id, sleep.id]) {
      const mine = everything.filter((e) => e.jobId === id).map(({ jobType: _t, pool: _p, ...view }) => view);
      expect(mine).toEqual(await history(ctx.api, id));
    }
    for (const s of [sleeps, side]) {
      const events = await collect(s, 1);
      expect(new Set(events.map((e) => e.jobId))).toEqual(new Set([sleep.id]));
      expect(events.every((e) => e.jobType === 'sleep' && e.pool === 'side')).toBe(true);
    }
    expect((await SseStream.open(`${ctx.stack.apiUrl}/v1/events?colour=red`)).status).toBe(400);
  });

  it('lets go of every subscription when clients disconnect', async () => {
    const job = await submit(ctx.api, { type: 'sleep', payload: { seconds: 30 } });
    const base = liveSubscribers(await metricsOf(ctx.stack.apiUrl));
    const streams = await Promise.all(Array.from({ length: 20 }, () => SseStream.open(streamUrl(job.id))));
    const tenant = await SseStream.open(`${ctx.stack.apiUrl}/v1/events`);
    await eventually(async () => liveSubscribers(await metricsOf(ctx.stack.apiUrl)), {
      until: (n) => n === base + 21,
      what: '21 more subscribers',
    });
    for (const s of [...streams, tenant]) s.disconnect();
    await eventually(async () => liveSubscribers(await metricsOf(ctx.stack.apiUrl)), {
      until: (n) => n === base,
      what: 'subscribers back to where they were',
    });
    await ctx.api.post(`/v1/jobs/${job.id}:cancel`, {});
  });

  it('keeps an idle stream alive with heartbeat comments', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const job = await submit(ctx.api, { type: 'debug.echo', payload: {}, runAt });
    const stream = await SseStream.open(streamUrl(job.id), { 'last-event-id': '1' });
    await expect(stream.next(1_000)).rejects.toThrow('no SSE data');
    expect(stream.comments).toBeGreaterThanOrEqual(3);
    stream.disconnect();
    await ctx.api.post(`/v1/jobs/${job.id}:cancel`, {});
  });
});
