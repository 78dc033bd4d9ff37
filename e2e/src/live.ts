import type { JobEventView } from '@jobplane/contracts';
import { WebSocket } from 'ws';

let liveKey: string | undefined;

/** The API key streams and sockets send unless a test passes its own `authorization`. */
export function useLiveKey(key: string | undefined): void {
  liveKey = key;
}

function withKey(headers: Record<string, string>): Record<string, string> {
  return liveKey && !('authorization' in headers)
    ? { authorization: `Bearer ${liveKey}`, ...headers }
    : headers;
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A `text/event-stream` response read event by event (Node's fetch; no EventSource in Node 20). */
export class SseStream {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private ended = false;
  comments = 0;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    readonly body: string,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...withKey(headers) },
      signal: abort.signal,
    });
    if (!res.headers.get('content-type')?.startsWith('text/event-stream'))
      return new SseStream(res.status, res.headers, undefined, await res.text(), abort);
    return new SseStream(res.status, res.headers, res.body!.getReader(), '', abort);
  }

  /** True once the server ended the response. */
  get closed(): boolean {
    return this.ended;
  }

  /** The next event; undefined when the server closed the stream. */
  async next(timeoutMs = 15_000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.take();
      if (event) return event;
      if (this.ended || !this.reader) return undefined;
      const chunk = await withTimeout(this.reader.read(), deadline - Date.now());
      if (chunk.done) {
        this.ended = true;
        continue;
      }
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Every event until the server closes the stream. */
  async rest(timeoutMs = 30_000): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    const deadline = Date.now() + timeoutMs;
    for (let e = await this.next(timeoutMs); e; e = await this.next(deadline - Date.now())) out.push(e);
    return out;
  }

  /** Drops the connection the way a network failure or a closed tab would. */
  disconnect(): void {
    this.abort.abort();
    this.ended = true;
  }

  private take(): SseEvent | undefined {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return undefined;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const sep = line.indexOf(':');
        const name = sep < 0 ? line : line.slice(0, sep);
        const value = sep < 0 ? '' : line.slice(sep + 1).replace(/^ /, '');
        if (name === 'id') event.id = value;
        else if (name === 'event') event.event = value;
        else if (name === 'data') event.data += value;
        else continue;
        fields++;
      }
      if (fields > 0 && event.data !== '') return event;
    }
  }
}

/** The job events carried by SSE events (ids checked against the payload's seq). */
export function jobEvents(events: SseEvent[]): JobEventView[] {
  return events.map((e) => {
    const view = JSON.parse(e.data) as JobEventView;
    if (e.id !== String(view.seq)) throw new Error(`SSE id ${e.id} does not match seq ${view.seq}`);
    if (e.event !== view.type) throw new Error(`SSE event ${e.event} does not match type ${view.type}`);
    return view;
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no SSE data within ${ms} ms`)), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A WebSocket test client that queues incoming JSON frames. */
export class WsClient {
  private readonly frames: any[] = [];
  private waiter: (() => void) | undefined;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()));
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.waiter?.();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers: withKey(headers) });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `pred` (earlier non-matching frames stay queued). */
  async next(pred: (f: any) => boolean = () => true, timeoutMs = 15_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode}) before a matching frame`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms; have ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Drops the TCP connection without a closing handshake (a network failure). */
  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close();
  }
}

/** Parses `jobplane_live_subscribers` from a /metrics body. */
export function liveSubscribers(metrics: string): number {
  const m = /^jobplane_live_subscribers(?:\{[^}]*\})? (\d+)/m.exec(metrics);
  if (!m) throw new Error('jobplane_live_subscribers missing from /metrics');
  return Number(m[1]);
}

export async function metricsOf(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}
