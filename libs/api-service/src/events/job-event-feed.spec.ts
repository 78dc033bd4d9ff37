import { JobEventNote, JobEventView, NOTIFY_EXCHANGE } from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology, silentLogger } from '@jobplane/messaging';
import { JobNotFoundError } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import type { JobsService } from '../jobs.service';
import { EventHub } from './event-hub';
import { BusJobEventFeed, StreamOverflowError } from './job-event-feed';

const JOB = '01890000-0000-7000-8000-000000000001';
const OTHER = '01890000-0000-7000-8000-000000000002';

const view = (jobId: string, seq: number, type: string): JobEventView => ({
  jobId,
  seq,
  type,
  attempt: seq > 1 ? 1 : null,
  data: { n: seq },
  occurredAt: new Date(1_700_000_000_000 + seq).toISOString(),
});
const note = (e: JobEventView, over: Partial<JobEventNote> = {}): JobEventNote => ({
  ...e,
  tenant: 't1',
  jobType: 'sleep',
  pool: 'default',
  ...over,
});

/** The registry side: what `JobsService.events` would answer (tenant-checked like the real one). */
class FakeRegistry {
  readonly events = new Map<string, JobEventView[]>();
  reads = 0;
  service = {
    events: (tenant: string, id: string, after = 0): Promise<JobEventView[]> => {
      this.reads++;
      const list = this.events.get(id);
      if (!list || tenant !== 't1') return Promise.reject(new JobNotFoundError(id));
      return Promise.resolve(list.filter((e) => e.seq > after));
    },
  } as unknown as JobsService;
  record(e: JobEventView): JobEventView {
    this.events.set(e.jobId, [...(this.events.get(e.jobId) ?? []), e]);
    return e;
  }
}

describe('BusJobEventFeed', () => {
  let bus: InProcessBus;
  let hub: EventHub;
  let registry: FakeRegistry;
  const publish = (...notes: JobEventNote[]) =>
    bus.publish([
      { exchange: NOTIFY_EXCHANGE, routingKey: '', body: Buffer.from(JSON.stringify({ events: notes })) },
    ]);
  const collect = async <T>(it: AsyncIterable<T>, n = Infinity): Promise<T[]> => {
    const out: T[] = [];
    for await (const x of it) {
      out.push(x);
      if (out.length >= n) break;
    }
    return out;
  };

  beforeEach(async () => {
    bus = new InProcessBus({ logger: silentLogger });
    await bus.start(jobplaneTopology());
    hub = new EventHub(bus, createLogger('test', 'silent'), 4);
    await hub.start();
    registry = new FakeRegistry();
    registry.record(view(JOB, 1, 'submitted'));
    registry.record(view(JOB, 2, 'dispatched'));
  });

  afterEach(async () => {
    await hub.stop();
    await bus.close();
  });

  it('replays what was missed, continues live, drops duplicates and ends after the terminal event', async () => {
    const feed = new BusJobEventFeed(registry.service, hub);
    const events = await feed.openJob('t1', JOB, 1, new AbortController().signal);
    const got = collect(events);
    await publish(note(view(JOB, 2, 'dispatched'))); // also in the registry read: sent once
    await publish(note(registry.record(view(JOB, 3, 'started'))));
    await publish(note(registry.record(view(JOB, 4, 'succeeded'))));
    expect((await got).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(hub.subscriberCount()).toBe(0);
  });

  it('ends at once when resumed right after the terminal event', async () => {
    registry.record(view(JOB, 3, 'succeeded'));
    const feed = new BusJobEventFeed(registry.service, hub);
    expect(await collect(await feed.openJob('t1', JOB, 3, new AbortController().signal))).toEqual([]);
    expect(await collect(feed.watchJob('t1', JOB, 2, new AbortController().signal))).toEqual([
      view(JOB, 3, 'succeeded'),
    ]);
    expect(hub.subscriberCount()).toBe(0);
  });

  it('fills a gap (a lost notification) from the registry', async () => {
    const feed = new BusJobEventFeed(registry.service, hub);
    const got = collect(await feed.openJob('t1', JOB, 2, new AbortController().signal));
    registry.record(view(JOB, 3, 'started')); // its note never arrives
    await publish(note(registry.record(view(JOB, 4, 'progress'))));
    await publish(note(registry.record(view(JOB, 5, 'failed'))));
    expect((await got).map((e) => `${e.seq}:${e.type}`)).toEqual(['3:started', '4:progress', '5:failed']);
  });

  it('re-reads the registry after a silence, so a lost terminal note cannot hang a stream', async () => {
    const feed = new BusJobEventFeed(registry.service, hub, { resyncAfterMs: 50 });
    const got = collect(await feed.openJob('t1', JOB, 2, new AbortController().signal));
    registry.record(view(JOB, 3, 'cancelled')); // no note at all
    expect((await got).map((e) => e.type)).toEqual(['cancelled']);
  });

  it("answers another tenant's job like an unknown one and keeps no subscription", async () => {
    const feed = new BusJobEventFeed(registry.service, hub);
    await expect(feed.openJob('t2', JOB, 0, new AbortController().signal)).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    await expect(collect(feed.watchJob('t1', OTHER, 0, new AbortController().signal))).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    expect(hub.subscriberCount()).toBe(0);
  });

  it('releases the subscription when the caller aborts, even if it never iterated', async () => {
    const feed = new BusJobEventFeed(registry.service, hub);
    const stop = new AbortController();
    await feed.openJob('t1', JOB, 0, stop.signal);
    const running = new AbortController();
    const got = collect(await feed.openJob('t1', JOB, 0, running.signal));
    expect(hub.subscriberCount()).toBe(2);
    stop.abort();
    running.abort();
    await got;
    expect(hub.subscriberCount()).toBe(0);
  });

  it('streams a tenant live, filtered, and fails a consumer that falls behind', async () => {
    const feed = new BusJobEventFeed(registry.service, hub);
    const stop = new AbortController();
    const sleeps = collect(feed.watchTenant('t1', { type: 'sleep', pool: 'default' }, stop.signal), 2);
    await Promise.resolve();
    await publish(
      note(view(OTHER, 1, 'submitted'), { jobType: 'debug.echo' }),
      note(view(OTHER, 2, 'submitted'), { tenant: 't2' }),
      note(view(OTHER, 3, 'submitted'), { pool: 'side' }),
      note(view(JOB, 3, 'started')),
      note(view(JOB, 4, 'succeeded')),
    );
    expect((await sleeps).map((e) => [e.jobId, e.seq, e.jobType, e.pool])).toEqual([
      [JOB, 3, 'sleep', 'default'],
      [JOB, 4, 'sleep', 'default'],
    ]);

    // Capacity 4 in this hub: more notes than that while the consumer is not reading overflow it.
    const slow = feed.watchTenant('t1', {}, stop.signal)[Symbol.asyncIterator]();
    const first = slow.next();
    await publish(note(view(JOB, 9, 'progress')));
    expect((await first).value).toMatchObject({ seq: 9 });
    await publish(...Array.from({ length: 5 }, (_, i) => note(view(JOB, 10 + i, 'progress'))));
    await new Promise((r) => setTimeout(r, 10));
    await expect(slow.next()).rejects.toBeInstanceOf(StreamOverflowError);
    stop.abort();
    expect(hub.subscriberCount()).toBe(0);
  });
});
