/**
 * One job's live events over SSE (GET /v1/jobs/{id}/events), resuming after any disconnect.
 *
 * EventSource reconnects by itself with Last-Event-ID after a network drop, but gives up for good
 * after an HTTP error or when the server answers non-SSE (e.g. a restart behind a proxy): then we
 * open a new one ourselves with `lastEventId=<last seq>` after a growing delay. Events at or below the
 * last seq seen are dropped, so a replay never shows twice. The stream stops at a terminal event.
 */
import type { JobEvent } from './types';

export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** Every event type the server sends on a job stream, plus `problem` (a failure after it opened). */
export const JOB_EVENT_TYPES = [
  'submitted',
  'dispatched',
  'started',
  'progress',
  'retrying',
  'retry_requested',
  'rate_limited',
  'worker_lost',
  'cancel_requested',
  'succeeded',
  'failed',
  'timeout',
  'cancelled',
];
const TERMINAL = new Set(['succeeded', 'failed', 'timeout', 'cancelled']);
const CLOSED = 2;

export interface JobStreamHandlers {
  onEvent(event: JobEvent): void;
  /** Connection state for the UI: live, reconnecting (with the delay) or ended. */
  onStatus?(status: 'live' | 'reconnecting' | 'ended'): void;
  onProblem?(problem: unknown): void;
}

export interface JobStreamOptions {
  /** Builds the URL for a (re)connection; `lastEventId` is the last seq seen (0 at first). */
  url(lastEventId: number): string;
  open: EventSourceFactory;
  schedule?: (fn: () => void, ms: number) => unknown;
  cancelSchedule?: (handle: unknown) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class JobEventStream {
  private source: EventSourceLike | null = null;
  private timer: unknown = null;
  private lastSeq = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly options: JobStreamOptions,
    private readonly handlers: JobStreamHandlers,
  ) {}

  /** Starts after `afterSeq` (events already shown from the history are not repeated). */
  start(afterSeq = 0): void {
    this.lastSeq = Math.max(this.lastSeq, afterSeq);
    this.stopped = false;
    this.connect();
  }

  get lastEventId(): number {
    return this.lastSeq;
  }

  stop(status: 'ended' | null = null): void {
    this.stopped = true;
    this.source?.close();
    this.source = null;
    if (this.timer !== null) (this.options.cancelSchedule ?? clearTimeout)(this.timer as number);
    this.timer = null;
    if (status) this.handlers.onStatus?.(status);
  }

  private connect(): void {
    const source = this.options.open(this.options.url(this.lastSeq));
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.handlers.onStatus?.('live');
    };
    for (const type of JOB_EVENT_TYPES) source.addEventListener(type, (m) => this.receive(m.data));
    source.addEventListener('problem', (m) => this.handlers.onProblem?.(parse(m.data)));
    source.onerror = () => {
      if (this.stopped || source !== this.source) return;
      if (source.readyState !== CLOSED) {
        this.handlers.onStatus?.('reconnecting'); // the browser retries with Last-Event-ID itself
        return;
      }
      source.close();
      this.source = null;
      this.failures++;
      const min = this.options.minDelayMs ?? 1000;
      const delay = Math.min(this.options.maxDelayMs ?? 15_000, min * 2 ** (this.failures - 1));
      this.handlers.onStatus?.('reconnecting');
      this.timer = (this.options.schedule ?? setTimeout)(() => {
        this.timer = null;
        if (!this.stopped) this.connect();
      }, delay);
    };
  }

  private receive(data: string): void {
    const event = parse(data) as JobEvent | undefined;
    if (!event || typeof event.seq !== 'number' || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    this.handlers.onEvent(event);
    // Close ourselves: after the server ends the stream EventSource would reconnect and replay.
    if (TERMINAL.has(event.type)) this.stop('ended');
  }
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
