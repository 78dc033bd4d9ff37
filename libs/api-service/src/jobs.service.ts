import {
  DEFAULT_POOL,
  ERROR_CODES,
  JobEventView,
  JobView,
  ListJobsQuery,
  SubmitJob,
  UUID_PATTERN,
} from '@jobplane/contracts';
import {
  JobNotFoundError,
  JobRegistry,
  OutboxRelay,
  PoolStore,
  SubmitResult,
  toJobEventView,
  toJobView,
} from '@jobplane/persistence';
import { ApiProblem } from './problems';
import { waitReasonOf } from './wait-reason';

/** The api's job use cases: everything goes through the registry; messages leave via the outbox. */
export class JobsService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly relay: OutboxRelay,
    private readonly pools: PoolStore,
    private readonly defaultCapacity: number,
    /** Tenant quotas (TENANT_MAX_IN_FLIGHT); undefined = none. */
    private readonly tenantQuota: (tenant: string) => number | undefined = () => undefined,
  ) {}

  async submit(tenant: string, jobs: SubmitJob[]): Promise<SubmitResult[]> {
    const results = await this.registry.submit(
      jobs.map((j) => ({ ...j, tenant, pool: j.pool ?? DEFAULT_POOL })),
    );
    this.relay.kick();
    return results;
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

  async cancel(tenant: string, id: string, reason?: string): Promise<JobView> {
    const job = await this.registry.requestCancel(tenant, checkId(id), reason);
    this.relay.kick();
    return toJobView(job);
  }

  /** PLACEHOLDER (gRPC branch only): the REST branch brings the real retry; keep that one at merge. */
  retry(_tenant: string, id: string, _reason?: string): Promise<JobView> {
    checkId(id);
    return Promise.reject(
      new ApiProblem(
        503,
        ERROR_CODES.unavailable,
        'Retry unavailable',
        'retry is not implemented in this build',
      ),
    );
  }
}

/** Any id that is not a UUID cannot name a job: answer 404 without asking the database. */
function checkId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new JobNotFoundError(id);
  return id;
}
