import type {
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import {
  cancelJobRequestSchema,
  ERROR_CODES,
  formatIssues,
  listJobsQuerySchema,
  Principal,
  retryJobRequestSchema,
  Scope,
  submitJobRequestSchema,
  submitJobsRequestSchema,
  SubmitJob,
  actorIdOf,
} from '@jobplane/contracts';
import { toJobView } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import { z } from 'zod';
import { Authenticator, credentialFrom, requireScope } from '../auth/authenticator';
import { JobEventFeed } from '../events/job-event-feed';
import { parseInput } from '../problems';
import { JobsPort } from './jobs-port';
import {
  listQueryOf,
  ListJobsMessage,
  submitBodyOf,
  SubmitJobMessage,
  toJobEventMessage,
  toJobMessage,
} from './mapping';
import { toGrpcStatus } from './status';

interface IdMessage {
  id?: string;
  reason?: string;
}
interface WatchMessage {
  id?: string;
  afterSeq?: number;
}

const watchRequestSchema = z.strictObject({ afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

/** Why a watch stream was aborted: the client left, or this server is stopping. */
const SHUTDOWN = 'shutdown';

/** jobplane.v1.JobService: the REST use cases behind the same validation, auth and error codes. */
export class JobServiceHandlers {
  private readonly watches = new Set<AbortController>();

  constructor(
    private readonly jobs: JobsPort,
    private readonly feed: JobEventFeed,
    private readonly auth: Authenticator,
    private readonly logger: Logger,
  ) {}

  implementation(): UntypedServiceImplementation {
    return {
      SubmitJob: this.unary<SubmitJobMessage>('jobs:write', async (p, req) => {
        const input = parseInput(submitJobRequestSchema, submitBodyOf(req), 'request');
        const [result] = await this.jobs.submit(p.tenant, [input]);
        return { job: toJobMessage(toJobView(result!.job)), created: result!.created };
      }),
      SubmitJobs: this.unary<{ jobs?: SubmitJobMessage[] }>('jobs:write', (p, req) =>
        this.submitJobs(p, req),
      ),
      GetJob: this.unary<IdMessage>('jobs:read', async (p, req) =>
        toJobMessage(await this.jobs.get(p.tenant, req.id ?? '')),
      ),
      ListJobs: this.unary<ListJobsMessage>('jobs:read', async (p, req) => {
        const page = await this.jobs.list(
          p.tenant,
          parseInput(listJobsQuerySchema, listQueryOf(req), 'request'),
        );
        return { jobs: page.items.map(toJobMessage), nextCursor: page.nextCursor ?? '' };
      }),
      CancelJob: this.unary<IdMessage>('jobs:write', async (p, req) => {
        const { reason } = parseInput(cancelJobRequestSchema, reasonOf(req), 'request');
        return toJobMessage(await this.jobs.cancel(p.tenant, req.id ?? '', reason, actorIdOf(p)));
      }),
      RetryJob: this.unary<IdMessage>('jobs:write', async (p, req) => {
        const { reason } = parseInput(retryJobRequestSchema, reasonOf(req), 'request');
        return toJobMessage(await this.jobs.retry(p.tenant, req.id ?? '', reason, actorIdOf(p)));
      }),
      WatchJob: ((call: ServerWritableStream<WatchMessage, unknown>) => {
        void this.watch(call);
      }) as handleServerStreamingCall<WatchMessage, unknown>,
    };
  }

  /** Ends every open WatchJob stream with UNAVAILABLE, so clients resume elsewhere from their last seq. */
  abortWatches(): void {
    for (const ac of this.watches) ac.abort(SHUTDOWN);
  }

  /** Each job validated on its own; the valid ones submitted together; answers in request order. */
  private async submitJobs(p: Principal, req: { jobs?: SubmitJobMessage[] }) {
    const messages = req.jobs ?? [];
    parseInput(submitJobsRequestSchema, { jobs: messages }, 'request');
    const results: Record<string, unknown>[] = new Array(messages.length);
    const valid: { index: number; input: SubmitJob }[] = [];
    messages.forEach((m, index) => {
      const parsed = submitJobRequestSchema.safeParse(submitBodyOf(m));
      if (parsed.success) valid.push({ index, input: parsed.data });
      else
        results[index] = {
          index,
          errorCode: ERROR_CODES.validation,
          errorMessage: `jobs[${index}]: ${formatIssues(parsed.error)}`,
        };
    });
    if (valid.length > 0) {
      const submitted = await this.jobs.submit(
        p.tenant,
        valid.map((v) => v.input),
      );
      submitted.forEach((r, i) => {
        const index = valid[i]!.index;
        results[index] = { index, job: toJobMessage(toJobView(r.job)), created: r.created };
      });
    }
    return { results };
  }

  private async watch(call: ServerWritableStream<WatchMessage, unknown>): Promise<void> {
    const ac = new AbortController();
    const onCancelled = () => ac.abort();
    call.on('cancelled', onCancelled);
    this.watches.add(ac);
    try {
      const p = await this.principal(call.metadata, 'jobs:read');
      const { afterSeq } = parseInput(
        watchRequestSchema,
        { afterSeq: call.request.afterSeq ?? 0 },
        'request',
      );
      for await (const e of this.feed.watchJob(p.tenant, call.request.id ?? '', afterSeq, ac.signal)) {
        if (ac.signal.aborted) break;
        if (!call.write(toJobEventMessage(e))) await drained(call, ac.signal);
      }
      if (!ac.signal.aborted) call.end();
      else if (ac.signal.reason === SHUTDOWN)
        call.emit('error', {
          code: status.UNAVAILABLE,
          details: 'server shutting down; resume with after_seq',
        });
    } catch (err) {
      if (!call.cancelled) this.fail(call, err);
    } finally {
      call.off('cancelled', onCancelled);
      this.watches.delete(ac);
    }
  }

  /** Authenticates the call (before anything else) and checks its scope. */
  private async principal(metadata: Metadata, scope: Scope): Promise<Principal> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata.getMap())) if (typeof v === 'string') headers[k] = v;
    const p = await this.auth.authenticate(credentialFrom(headers));
    requireScope(p, scope);
    return p;
  }

  private unary<Req>(
    scope: Scope,
    fn: (p: Principal, req: Req) => Promise<unknown>,
  ): handleUnaryCall<Req, unknown> {
    return (call: ServerUnaryCall<Req, unknown>, callback) => {
      this.principal(call.metadata, scope)
        .then((p) => fn(p, call.request))
        .then(
          (res) => callback(null, res),
          (err: unknown) => callback(this.statusOf(err)),
        );
    };
  }

  private fail(call: ServerWritableStream<WatchMessage, unknown>, err: unknown): void {
    call.emit('error', this.statusOf(err));
  }

  private statusOf(err: unknown) {
    const s = toGrpcStatus(err);
    if (s.code === status.INTERNAL) this.logger.error({ err }, 'gRPC call failed');
    return s;
  }
}

function reasonOf(req: IdMessage): Record<string, unknown> {
  return req.reason ? { reason: req.reason } : {};
}

/** Resolves when the stream can take more (backpressure) or the watch is aborted. */
function drained(call: ServerWritableStream<WatchMessage, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
