import type { JobEventView } from '@jobplane/contracts';
import { ApiError, Client, NetworkError, readJson } from './client';
import { SseParser } from './sse';

export const TERMINAL_EVENTS = ['succeeded', 'failed', 'timeout', 'cancelled'];

export interface WatchOptions {
  /** Start after this seq (0 = from the first event). */
  afterSeq?: number;
  /** Reconnects in a row without a new event before giving up. */
  maxReconnects?: number;
  /** Delay between polls of the JSON history (servers without SSE) and before a reconnect. */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Told about each reconnect (for a status line). */
  onReconnect?: (attempt: number, reason: string) => void;
}

/**
 * A job's events from `afterSeq` to its terminal event. Reads the SSE stream of
 * `GET /v1/jobs/{id}/events`; when the connection drops it reconnects with Last-Event-ID = the last
 * seq seen, and skips anything at or below it, so no event is lost or repeated. A server that answers
 * that route with the JSON history instead is polled.
 */
export async function* watchJobEvents(
  client: Client,
  id: string,
  o: WatchOptions = {},
): AsyncGenerator<JobEventView> {
  let last = o.afterSeq ?? 0;
  let failures = 0;
  const interval = o.intervalMs ?? 500;
  const path = `/v1/jobs/${encodeURIComponent(id)}/events`;
  for (;;) {
    let progressed = false;
    try {
      const res = await client.fetch('GET', path, {
        headers: { accept: 'text/event-stream', ...(last > 0 ? { 'last-event-id': String(last) } : {}) },
      });
      const isSse = res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
      const events = isSse ? sseEvents(res, o.signal) : jsonEvents(res);
      for await (const e of events) {
        if (e.seq <= last) continue;
        last = e.seq;
        progressed = true;
        failures = 0;
        yield e;
        if (TERMINAL_EVENTS.includes(e.type)) return;
      }
      if (!isSse) {
        await sleep(interval, o.signal);
        continue;
      }
      failures++;
      o.onReconnect?.(failures, 'stream ended before the terminal event');
    } catch (err) {
      // 4xx will not get better; 5xx (a restarting or overloaded API) and network errors may.
      if ((err instanceof ApiError && err.status < 500) || o.signal?.aborted) throw err;
      failures = progressed ? 1 : failures + 1;
      o.onReconnect?.(failures, err instanceof NetworkError ? err.message : String(err));
    }
    if (failures > (o.maxReconnects ?? 10))
      throw new NetworkError(`gave up watching job ${id} after ${failures - 1} reconnects`);
    await sleep(Math.min(interval * 2 ** (failures - 1), 10_000), o.signal);
  }
}

async function* jsonEvents(res: Response): AsyncGenerator<JobEventView> {
  const body = (await readJson(res)) as { items: JobEventView[] };
  yield* body.items;
}

async function* sseEvents(res: Response, signal?: AbortSignal): AsyncGenerator<JobEventView> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const e of parser.feed(decoder.decode(value, { stream: true }))) {
        const view = eventOf(e.data);
        if (view) yield view;
      }
    }
  } finally {
    signal?.removeEventListener('abort', abort);
    abort();
  }
}

/** A job event from an SSE data field; anything else (keep-alives, other event kinds) is skipped. */
function eventOf(data: string): JobEventView | undefined {
  try {
    const v = JSON.parse(data) as Partial<JobEventView> | null;
    return v && typeof v.seq === 'number' && typeof v.type === 'string' ? (v as JobEventView) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
