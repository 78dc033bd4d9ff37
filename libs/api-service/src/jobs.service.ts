import {
  ERROR_CODES,
  formatIssues,
  JobEventView,
  JobView,
  ListJobsQuery,
  SubmitJob,
  submitJobRequestSchema,
  SubmitJobsResponse,
  UUID_PATTERN,
} from '@jobplane/contracts';
import {
  JobNotFoundError,
  JobRecord,
  JobRegistry,
  OutboxRelay,
  PoolStore,
  SubmitResult,
  toJobEventView,
  toJobView,
} from '@jobplane/persistence';
import { inSpan, SpanKind, traceHeaders } from '@jobplane/telemetry';
import { waitReasonOf } from './wait-reason';

/**
 * The `jobs.submit` span: one per request, where every job of the trace starts. The pool of a single
 * job is set once it is known (a submit without one gets its handler's declared pool).
 */
function submitSpan<T extends { job: { pool: string } } | object>(
  tenant: string,
  jobs: { type: string }[],
  fn: () => Promise<T[]>,
) {
  const [first] = jobs;
  const attributes =
    jobs.length === 1 && first
      ? { 'jobplane.tenant': tenant, 'jobplane.job.type': first.type }
      : { 'jobplane.tenant': tenant, 'jobplane.job.count': jobs.length };
  return inSpan('jobs.submit', { kind: SpanKind.SERVER, attributes }, async (span) => {
    const results = await fn();
    const [only] = results;
    if (results.length === 1 && only && 'job' in only) span.setAttribute('jobplane.job.pool', only.job.pool);
    return results;
  });
}

/** The api's job use cases: everything goes through the registry; messages leave via the outbox. */
export class JobsService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly relay: OutboxRelay,
    private readonly pools: PoolStore,
    private readonly defaultCapacity: number,
    /** Tenant quotas (TENANT_MAX_IN_FLIGHT); undefined = none. */
    private readonly tenantQuota: (tenant: string) => number | undefined = () => undefined,
    /** Caps on queued jobs (TENANT_MAX_QUEUED); undefined = none. */
    private readonly maxQueued: (tenant: string) => number | undefined = () => undefined,
  ) {}

  /** Told of every job this service created, after its transaction committed (metrics). */
  onCreated?: (job: JobRecord) => void;

  /**
   * Creates the jobs in one transaction. A reused idempotency key returns its first job
   * (`created: false`); reused with another body it throws IdempotencyConflictError, and nothing is created.
   */
  submit(tenant: string, jobs: SubmitJob[]): Promise<SubmitResult[]> {
    return submitSpan(tenant, jobs, async () => {
      const results = await this.registry.submit(
        jobs.map((j) => ({ ...j, tenant })),
        { maxQueued: this.maxQueued },
        traceHeaders(),
      );
      this.relay.kick();
      for (const r of results) if (r.created) this.onCreated?.(r.job);
      return results;
    });
  }

  /**
   * Batch submit: each raw item is validated on its own; the valid ones are created in one
   * transaction of multi-row statements, and every item gets its own answer in request order.
   */
  async submitBatch(tenant: string, items: unknown[]): Promise<SubmitJobsResponse> {
    const answers: SubmitJobsResponse['items'] = new Array(items.length);
    const valid: { index: number; job: SubmitJob }[] = [];
    items.forEach((item, index) => {
      const parsed = submitJobRequestSchema.safeParse(item);
      if (parsed.success) valid.push({ index, job: parsed.data });
      else
        answers[index] = {
          index,
          ok: false,
          error: { code: ERROR_CODES.validation, message: formatIssues(parsed.error) },
        };
    });
    const outcomes = await submitSpan(
      tenant,
      valid.map((v) => v.job),
      () =>
        this.registry.submitEach(
          valid.map(({ job }) => ({ ...job, tenant })),
          { maxQueued: this.maxQueued },
          traceHeaders(),
        ),
    );
    outcomes.forEach((o, i) => {
      const { index } = valid[i]!;
      answers[index] =
        'conflict' in o
          ? { index, ok: false, error: { code: ERROR_CODES.conflict, message: o.conflict.message } }
          : { index, ok: true, created: o.created, job: toJobView(o.job) };
    });
    if (valid.length > 0) this.relay.kick();
    for (const o of outcomes) if (!('conflict' in o) && o.created) this.onCreated?.(o.job);
    return { items: answers };
  }

  /** Re-queues a failed, timed-out or cancelled job as a new attempt (JobStateError otherwise). */
  /** `actor` (an API key id) is recorded with the request for the audit trail. */
  async retry(tenant: string, id: string, reason?: string, actor?: string): Promise<JobView> {
    const job = await this.registry.retry(tenant, checkId(id), reason, actor);
    this.relay.kick();
    return toJobView(job);
  }

  /** The job; a queued one also says why it waits and how many of its pool's jobs go first. */
  async get(tenant: string, id: string): Promise<JobView> {
    const job = await this.registry.get(tenant, checkId(id));
    const view = toJobView(job);
    if (job.state !== 'queued') return view;
    const quota = this.tenantQuota(job.tenant);
    const [pool, inFlight, position, byTenant] = await Promise.all([
      this.pools.get(job.pool),
      this.pools.inFlight(),
      this.pools.position(job),
      quota === undefined ? null : this.pools.inFlightByTenant(),
    ]);
    const atQuota = quota !== undefined && (byTenant?.get(job.tenant) ?? 0) >= quota;
    const wait = waitReasonOf(job, pool, inFlight.get(job.pool) ?? 0, this.defaultCapacity, atQuota);
    return { ...view, ...wait, position };
  }

  async list(tenant: string, q: ListJobsQuery) {
    const page = await this.registry.list(tenant, q);
    return { items: page.items.map(toJobView), nextCursor: page.nextCursor };
  }

  /** The job's events after `afterSeq` (all by default), oldest first. */
  async events(tenant: string, id: string, afterSeq = 0): Promise<JobEventView[]> {
    const events = await this.registry.events(tenant, checkId(id), afterSeq);
    return events.map(toJobEventView);
  }

  async cancel(tenant: string, id: string, reason?: string, actor?: string): Promise<JobView> {
    const job = await this.registry.requestCancel(tenant, checkId(id), reason, actor);
    this.relay.kick();
    return toJobView(job);
  }
}

/** Any id that is not a UUID cannot name a job: answer 404 without asking the database. */
function checkId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new JobNotFoundError(id);
  return id;
}
