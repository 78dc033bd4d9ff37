import { isTerminal, JOB_STATES, JobEventView, JobState } from '@jobplane/contracts';
import { JobsService } from '../jobs.service';

/**
 * Live job events for every streaming surface (SSE, WebSocket, gRPC WatchJob): what was missed after
 * `afterSeq` first, then live, ending after the job's terminal event. Tenant checks happen here, so
 * another tenant's job id fails like an unknown one (JobNotFoundError).
 */
export interface JobEventFeed {
  watchJob(tenant: string, jobId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<JobEventView>;
}

export const JOB_EVENT_FEED = Symbol('JOB_EVENT_FEED');

/** Terminal events are named after the terminal state they record (`succeeded`, `cancelled`, ...). */
export function isTerminalEvent(e: JobEventView): boolean {
  return (JOB_STATES as readonly string[]).includes(e.type) && isTerminal(e.type as JobState);
}

/** Reads the registry every `intervalMs`: correct everywhere, but each watcher costs a query a tick. */
export class PollingJobEventFeed implements JobEventFeed {
  constructor(
    private readonly jobs: JobsService,
    private readonly intervalMs = 250,
  ) {}

  async *watchJob(tenant: string, jobId: string, afterSeq: number, signal: AbortSignal) {
    let seq = afterSeq;
    while (!signal.aborted) {
      for (const e of await this.jobs.events(tenant, jobId, seq)) {
        seq = e.seq;
        yield e;
        if (isTerminalEvent(e)) return;
      }
      await sleep(this.intervalMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
