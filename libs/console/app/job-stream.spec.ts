import { JobEventStream, type EventSourceLike } from './job-stream';
import type { JobEvent } from './types';

class FakeSource implements EventSourceLike {
  readyState = 0;
  onerror: ((event: Event) => void) | null = null;
  onopen: ((event: Event) => void) | null = null;
  closed = false;
  private readonly listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: (e: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }

  emit(event: Partial<JobEvent> & { seq: number; type: string }): void {
    const data = JSON.stringify({
      jobId: 'j',
      attempt: 1,
      data: {},
      occurredAt: '2026-11-22T00:00:00Z',
      ...event,
    });
    for (const l of this.listeners.get(event.type) ?? []) l({ data } as MessageEvent<string>);
  }

  /** The browser retries by itself (readyState CONNECTING) or gives up (CLOSED). */
  fail(givesUp: boolean): void {
    this.readyState = givesUp ? 2 : 0;
    this.onerror?.({} as Event);
  }
}

function setup() {
  const sources: FakeSource[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const events: JobEvent[] = [];
  const statuses: string[] = [];
  const stream = new JobEventStream(
    {
      url: (last) => `/v1/jobs/j/events?lastEventId=${last}`,
      open: (url) => {
        const s = new FakeSource(url);
        sources.push(s);
        return s;
      },
      schedule: (fn, ms) => timers.push({ fn, ms }),
      cancelSchedule: () => undefined,
      minDelayMs: 1000,
      maxDelayMs: 4000,
    },
    { onEvent: (e) => events.push(e), onStatus: (s) => statuses.push(s) },
  );
  return { stream, sources, timers, events, statuses };
}

describe('JobEventStream', () => {
  it('starts after the history it was given and drops replays at or below the last seq', () => {
    const { stream, sources, events } = setup();
    stream.start(2);
    expect(sources[0]!.url).toBe('/v1/jobs/j/events?lastEventId=2');
    sources[0]!.open();
    sources[0]!.emit({ seq: 2, type: 'dispatched' });
    sources[0]!.emit({ seq: 3, type: 'started' });
    sources[0]!.emit({ seq: 3, type: 'started' });
    sources[0]!.emit({ seq: 4, type: 'progress' });
    expect(events.map((e) => e.seq)).toEqual([3, 4]);
    expect(stream.lastEventId).toBe(4);
  });

  it('leaves a transient drop to the browser (it resends Last-Event-ID itself)', () => {
    const { stream, sources, timers, statuses } = setup();
    stream.start();
    sources[0]!.open();
    sources[0]!.fail(false);
    expect(sources).toHaveLength(1);
    expect(timers).toHaveLength(0);
    expect(statuses).toEqual(['live', 'reconnecting']);
  });

  it('reopens from the last seq with a growing delay when the browser gives up', () => {
    const { stream, sources, timers, events } = setup();
    stream.start();
    sources[0]!.open();
    sources[0]!.emit({ seq: 1, type: 'submitted' });
    sources[0]!.emit({ seq: 2, type: 'started' });
    sources[0]!.fail(true);
    expect(sources[0]!.closed).toBe(true);
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    timers[0]!.fn();
    expect(sources[1]!.url).toBe('/v1/jobs/j/events?lastEventId=2');
    sources[1]!.fail(true); // fails again before opening
    timers[1]!.fn();
    sources[2]!.fail(true);
    timers[2]!.fn();
    sources[3]!.fail(true);
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 4000]);
    timers[3]!.fn();
    sources[4]!.open(); // success resets the backoff
    sources[4]!.emit({ seq: 2, type: 'started' }); // replayed by the server: ignored
    sources[4]!.emit({ seq: 3, type: 'succeeded' });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('closes itself on a terminal event so the browser does not reconnect and replay', () => {
    const { stream, sources, statuses } = setup();
    stream.start();
    sources[0]!.open();
    sources[0]!.emit({ seq: 1, type: 'cancelled' });
    expect(sources[0]!.closed).toBe(true);
    expect(statuses.at(-1)).toBe('ended');
    sources[0]!.fail(true); // the server's close arriving late changes nothing
    expect(sources).toHaveLength(1);
  });

  it('does not reconnect after stop()', () => {
    const { stream, sources, timers } = setup();
    stream.start();
    sources[0]!.fail(true);
    stream.stop();
    timers[0]!.fn();
    expect(sources).toHaveLength(1);
  });
});
