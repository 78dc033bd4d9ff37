import { ERROR_CODES, Principal, submitJobRequestSchema, actorIdOf } from '@jobplane/contracts';
import { toJobView } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import type { RawData, WebSocket } from 'ws';
import { Authenticator, requireScope } from '../auth/authenticator';
import { JobsService } from '../jobs.service';
import { ApiProblem, parseInput, toProblem } from '../problems';
import type { JobEventFeed } from './job-event-feed';
import { clientFrameSchema, ClientFrame, ServerFrame } from './ws-protocol';

export interface SessionDeps {
  jobs: JobsService;
  feed: JobEventFeed;
  auth: Authenticator;
  logger: Logger;
  /** Above this many bytes queued on the socket, streams wait; past `stallMs` the socket is closed. */
  maxBufferedBytes: number;
  stallMs: number;
}

/** Close code for a client that stopped reading (RFC 6455 1013: try again later). */
export const SLOW_CONSUMER = 1013;

/**
 * One WebSocket connection: commands in, job and event frames out. Streams belong to the socket
 * and stop with it; the jobs they follow keep running, and `reconnect_job` picks them up again.
 */
export class WsSession {
  private readonly streams = new Map<string, AbortController>();
  private readonly closed = new AbortController();

  constructor(
    private readonly ws: WebSocket,
    private principal: Principal | undefined,
    private readonly d: SessionDeps,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.fail(new ApiProblem(400, ERROR_CODES.validation, 'Text frames only'));
      void this.handle(textOf(data));
    });
    ws.on('close', () => {
      this.closed.abort();
      for (const s of this.streams.values()) s.abort();
      this.streams.clear();
    });
    if (principal) this.send({ type: 'ready', tenant: principal.tenant });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private async handle(text: string): Promise<void> {
    let frame: ClientFrame;
    try {
      frame = parseInput(clientFrameSchema, parseJson(text), 'frame');
    } catch (err) {
      return this.fail(err);
    }
    try {
      await this.run(frame);
    } catch (err) {
      this.fail(err, frame.ref);
    }
  }

  private async run(frame: ClientFrame): Promise<void> {
    if (frame.op === 'auth') {
      this.principal = await this.d.auth.authenticate(frame.token);
      this.send({ type: 'ready', tenant: this.principal.tenant });
      return;
    }
    const p = this.principal;
    if (!p) throw new ApiProblem(401, ERROR_CODES.unauthenticated, 'Send {"op":"auth","token":...} first');
    switch (frame.op) {
      case 'run_job': {
        requireScope(p, 'jobs:write');
        const input = parseInput(submitJobRequestSchema, frame.job ?? {}, 'job');
        const [result] = await this.d.jobs.submit(p.tenant, [input]);
        const job = toJobView(result!.job);
        this.send({ type: 'job', job, ...ref(frame.ref) });
        return this.follow(p.tenant, job.id, 0);
      }
      case 'reconnect_job':
        requireScope(p, 'jobs:read');
        return this.follow(p.tenant, frame.jobId, frame.afterSeq);
      case 'cancel_job': {
        requireScope(p, 'jobs:write');
        const job = await this.d.jobs.cancel(p.tenant, frame.jobId, frame.reason, actorIdOf(p));
        this.send({ type: 'job', job, ...ref(frame.ref) });
        return;
      }
    }
  }

  /** Streams a job's events after `afterSeq`; a newer request for the same job replaces the old. */
  private async follow(tenant: string, jobId: string, afterSeq: number): Promise<void> {
    this.streams.get(jobId)?.abort();
    const stop = new AbortController();
    this.streams.set(jobId, stop);
    try {
      const events = await this.d.feed.openJob(
        tenant,
        jobId,
        afterSeq,
        AbortSignal.any([stop.signal, this.closed.signal]),
      );
      for await (const event of events) {
        if (!(await this.sendPaced({ type: 'event', event }))) return;
      }
      if (!stop.signal.aborted) this.send({ type: 'end', jobId });
    } catch (err) {
      if (!stop.signal.aborted) this.fail(err, undefined, jobId);
    } finally {
      if (this.streams.get(jobId) === stop) this.streams.delete(jobId);
    }
  }

  /** Sends once the socket's buffer is below the limit; false when the client is gone or stalled. */
  private async sendPaced(frame: ServerFrame): Promise<boolean> {
    const deadline = Date.now() + this.d.stallMs;
    while (this.ws.bufferedAmount > this.d.maxBufferedBytes) {
      if (this.closed.signal.aborted) return false;
      if (Date.now() > deadline) {
        this.ws.close(SLOW_CONSUMER, 'client reads too slowly; reconnect_job to resume');
        return false;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.send(frame);
  }

  private send(frame: ServerFrame): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private fail(err: unknown, reference?: string, jobId?: string): void {
    const problem = toProblem(err);
    if (problem.status >= 500) this.d.logger.error({ err }, 'websocket command failed');
    this.send({
      type: 'error',
      error: { code: problem.code, message: problem.detail ?? problem.title, status: problem.status },
      ...ref(reference),
      ...(jobId ? { jobId } : {}),
    });
  }
}

function ref(value: string | undefined): { ref?: string } {
  return value === undefined ? {} : { ref: value };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiProblem(400, ERROR_CODES.validation, 'Frame is not valid JSON');
  }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
