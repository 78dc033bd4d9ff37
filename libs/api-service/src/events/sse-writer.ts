import type { ServerResponse } from 'node:http';

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs?: number;
  /** A client that has not drained its socket for this long is disconnected (it can resume). */
  stallMs?: number;
}

/**
 * One `text/event-stream` response on a raw Node response. Writes wait for the socket to drain, so
 * a slow reader holds back its producer instead of growing a buffer; one that stops reading for
 * `stallMs` is cut off. `signal` fires when the client goes away.
 */
export class SseWriter {
  private readonly closed = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly stallMs: number;

  constructor(
    private readonly res: ServerResponse,
    options: SseOptions = {},
  ) {
    this.stallMs = options.stallMs ?? 30_000;
    res.on('close', () => this.closed.abort());
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Sent at once so clients and proxies see the stream open; `retry` paces EventSource reconnects.
    res.write('retry: 2000\n\n');
    this.heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Sends one event; resolves once it is handed to the socket (false: the client is gone). */
  async send(event: string, data: unknown, id?: number): Promise<boolean> {
    if (this.signal.aborted) return false;
    const head = id === undefined ? '' : `id: ${id}\n`;
    // JSON never contains a raw newline, so the payload is always one `data:` line.
    if (this.res.write(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)) return true;
    return this.drained();
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.signal.removeEventListener('abort', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => {
        this.res.destroy(); // stalled: drop it, the client resumes from its Last-Event-ID
        this.closed.abort();
        done(false);
      }, this.stallMs);
      this.res.on('drain', onDrain);
      this.signal.addEventListener('abort', onClose, { once: true });
    });
  }
}
