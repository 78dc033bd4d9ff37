import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '@jobplane/contracts';
import type { Logger } from '@jobplane/telemetry';
import { z } from 'zod';
import { AUTHENTICATOR, Authenticator } from '../auth/authenticator';
import { parseInput, toProblem } from '../problems';
import { streamPrincipal } from './credentials';
import { JOB_EVENT_FEED, JobEventFeed, StreamOverflowError } from './job-event-feed';
import { SseWriter } from './sse-writer';

export const LIVE_LOGGER = Symbol('LIVE_LOGGER');
export const SSE_OPTIONS = Symbol('SSE_OPTIONS');

const seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const jobStreamQuery = z.strictObject({ lastEventId: seq.optional(), access_token: z.string().optional() });
const tenantStreamQuery = z.strictObject({
  type: z.string().min(1).max(200).optional(),
  pool: z.string().min(1).max(200).optional(),
  access_token: z.string().optional(),
});

/** True when the client asked for a live stream rather than the JSON history. */
export function wantsEventStream(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/** The SSE surfaces: a job's events (resumable by seq) and a tenant's live events. */
@Injectable()
export class LiveSse {
  constructor(
    @Inject(JOB_EVENT_FEED) private readonly feed: JobEventFeed,
    @Inject(AUTHENTICATOR) private readonly auth: Authenticator,
    @Inject(LIVE_LOGGER) private readonly logger: Logger,
    @Inject(SSE_OPTIONS) private readonly options: { heartbeatMs?: number },
  ) {}

  /**
   * `GET /v1/jobs/{id}/events` as SSE: events after `Last-Event-ID` (or `?lastEventId=`), then live;
   * ends after the terminal event. Errors before the stream opens are plain problem+json answers.
   */
  async streamJob(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const query = parseInput(jobStreamQuery, req.query ?? {}, 'query');
    const principal = await streamPrincipal(this.auth, req.headers, query.access_token);
    const header = req.headers['last-event-id'];
    const afterSeq =
      header !== undefined ? parseInput(seq, header, 'Last-Event-ID header') : (query.lastEventId ?? 0);
    const disconnect = new AbortController();
    reply.raw.on('close', () => disconnect.abort());
    const events = await this.feed.openJob(principal.tenant, id, afterSeq, disconnect.signal);
    const sse = this.open(reply);
    await this.pump(sse, disconnect, async () => {
      for await (const e of events) if (!(await sse.send(e.type, e, e.seq))) return;
    });
  }

  /** `GET /v1/events?type=&pool=`: the tenant's live events, for dashboards. No replay. */
  async streamTenant(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = parseInput(tenantStreamQuery, req.query ?? {}, 'query');
    const principal = await streamPrincipal(this.auth, req.headers, query.access_token);
    const disconnect = new AbortController();
    reply.raw.on('close', () => disconnect.abort());
    const filter = { type: query.type, pool: query.pool };
    const sse = this.open(reply);
    await this.pump(sse, disconnect, async () => {
      // No SSE id: seqs are per job, so there is nothing a tenant stream could resume from.
      for await (const e of this.feed.watchTenant(principal.tenant, filter, disconnect.signal))
        if (!(await sse.send(e.type, e))) return;
    });
  }

  private open(reply: FastifyReply): SseWriter {
    reply.hijack(); // from here on the raw response is ours, not Fastify's
    return new SseWriter(reply.raw, this.options);
  }

  /** Runs a stream to its end; a failure mid-stream becomes a final `problem` event
   * (not `error`, which EventSource reserves for connection failures). */
  private async pump(sse: SseWriter, disconnect: AbortController, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof StreamOverflowError) {
        await sse.send('problem', {
          code: ERROR_CODES.unavailable,
          title: 'Stream overflow',
          detail: err.message,
        });
      } else {
        this.logger.error({ err }, 'live stream failed');
        await sse.send('problem', toProblem(err));
      }
    } finally {
      disconnect.abort();
      sse.end();
    }
  }
}
