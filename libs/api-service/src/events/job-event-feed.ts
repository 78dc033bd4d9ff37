import {
  isTerminal,
  JOB_STATES,
  JobEventNote,
  JobEventView,
  JobState,
  viewOfNote,
} from '@jobplane/contracts';
import { JobsService } from '../jobs.service';
import type { EventHub } from './event-hub';
import type { NoteQueue } from './note-queue';

/** A tenant stream's event: the job's view plus what dashboards group by. */
export type LiveJobEvent = JobEventView & { jobType: string; pool: string };

export interface TenantFilter {
  type?: string;
  pool?: string;
}

/**
 * Live job events for every streaming surface (SSE, WebSocket, gRPC WatchJob): what was missed after
 * `afterSeq` first, then live, ending after the job's terminal event. Tenant checks happen here, so
 * another tenant's job id fails like an unknown one (JobNotFoundError).
 */
export interface JobEventFeed {
  watchJob(tenant: string, jobId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<JobEventView>;
  /**
   * `watchJob`, but the tenant check and the first registry read happen before it resolves, so a
   * surface can answer 404 before it commits to a stream (SSE headers, a gRPC stream's metadata).
   */
  openJob(
    tenant: string,
    jobId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<JobEventView>>;
  /**
   * Live events of every job of `tenant` (matching `filter`) from now on; no replay. Throws
   * StreamOverflowError when the consumer falls too far behind (it cannot catch up from anywhere).
   */
  watchTenant(tenant: string, filter: TenantFilter, signal: AbortSignal): AsyncIterable<LiveJobEvent>;
}

export const JOB_EVENT_FEED = Symbol('JOB_EVENT_FEED');

/** Terminal events are named after the terminal state they record (`succeeded`, `cancelled`, ...). */
export function isTerminalEvent(e: JobEventView): boolean {
  return (JOB_STATES as readonly string[]).includes(e.type) && isTerminal(e.type as JobState);
}

/** The consumer of a live-only stream fell further behind than its buffer. */
export class StreamOverflowError extends Error {
  constructor() {
    super('the client read events too slowly; reconnect to continue');
  }
}

export interface FeedOptions {
  /** Without a notification for this long, a job stream re-reads the registry (lost notes). */
  resyncAfterMs?: number;
}

/**
 * The feed on this replica's EventHub. A job stream subscribes first, then reads the registry, so
 * no event falls between the two; after that live notes are deduplicated by seq, and a gap (a lost
 * or overflowed note) or a long silence is filled from the registry.
 */
export class BusJobEventFeed implements JobEventFeed {
  private readonly resyncAfterMs: number;

  constructor(
    private readonly jobs: JobsService,
    private readonly hub: EventHub,
    options: FeedOptions = {},
  ) {
    this.resyncAfterMs = options.resyncAfterMs ?? 10_000;
  }

  async *watchJob(tenant: string, jobId: string, afterSeq: number, signal: AbortSignal) {
    yield* await this.openJob(tenant, jobId, afterSeq, signal);
  }

  async openJob(tenant: string, jobId: string, afterSeq: number, signal: AbortSignal) {
    const sub = this.hub.subscribeJob(jobId);
    const stop = this.linked(signal);
    // A generator that is never iterated never runs its `finally`: the abort releases it too.
    stop.addEventListener('abort', sub.close, { once: true });
    try {
      // One event more than asked for: resuming right after the terminal event ends at once,
      // unless the job went on since (a retry re-queued it).
      const read = await this.jobs.events(tenant, jobId, Math.max(0, afterSeq - 1));
      if (read.length === 1 && read[0]!.seq === afterSeq && isTerminalEvent(read[0]!)) {
        sub.close();
        return none();
      }
      return this.follow(tenant, jobId, afterSeq, read, sub, stop);
    } catch (err) {
      sub.close();
      throw err;
    }
  }

  async *watchTenant(tenant: string, filter: TenantFilter, signal: AbortSignal) {
    const sub = this.hub.subscribeTenant(tenant);
    const stop = this.linked(signal);
    try {
      for (;;) {
        const next = await sub.queue.next(stop, this.resyncAfterMs);
        if (next === 'aborted') return;
        if (next === 'overflow') throw new StreamOverflowError();
        if (next === 'idle') continue;
        if (filter.type !== undefined && next.jobType !== filter.type) continue;
        if (filter.pool !== undefined && next.pool !== filter.pool) continue;
        yield { ...viewOfNote(next), jobType: next.jobType, pool: next.pool };
      }
    } finally {
      sub.close();
    }
  }

  private async *follow(
    tenant: string,
    jobId: string,
    afterSeq: number,
    missed: JobEventView[],
    sub: { queue: NoteQueue; close: () => void },
    signal: AbortSignal,
  ): AsyncGenerator<JobEventView> {
    try {
      let last = afterSeq;
      let pending = missed;
      for (;;) {
        for (const e of pending) {
          if (e.seq <= last) continue; // already sent (a note and a re-read can overlap)
          last = e.seq;
          yield e;
          if (isTerminalEvent(e)) return;
        }
        const next: JobEventNote | string = await sub.queue.next(signal, this.resyncAfterMs);
        if (next === 'aborted') return;
        if (typeof next === 'string') pending = await this.jobs.events(tenant, jobId, last);
        else if (next.seq <= last) pending = [];
        else if (next.seq === last + 1) pending = [viewOfNote(next)];
        else pending = await this.jobs.events(tenant, jobId, last); // a note went missing
      }
    } finally {
      sub.close();
    }
  }

  /** Ends the stream on the caller's abort or on shutdown. */
  private linked(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, this.hub.shutdownSignal]);
  }
}

async function* none(): AsyncGenerator<JobEventView> {}
