import { DEFAULT_POOL, JobView, ListJobsQuery, SubmitJob, UUID_PATTERN } from '@jobplane/contracts';
import { JobNotFoundError, JobRegistry, OutboxRelay, SubmitResult, toJobView } from '@jobplane/persistence';

/** The api's job use cases: everything goes through the registry; messages leave via the outbox. */
export class JobsService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly relay: OutboxRelay,
    private readonly tenant: string,
  ) {}

  async submit(jobs: SubmitJob[]): Promise<SubmitResult[]> {
    const results = await this.registry.submit(jobs.map((j) => ({ ...j, tenant: this.tenant, pool: j.pool ?? DEFAULT_POOL })));
    this.relay.kick();
    return results;
  }

  async get(id: string): Promise<JobView> {
    return toJobView(await this.registry.get(this.tenant, checkId(id)));
  }

  async list(q: ListJobsQuery) {
    const page = await this.registry.list(this.tenant, q);
    return { items: page.items.map(toJobView), nextCursor: page.nextCursor };
  }

  async events(id: string) {
    const events = await this.registry.events(this.tenant, checkId(id));
    return events.map((e) => ({ seq: e.seq, type: e.type, attempt: e.attempt, data: e.data, occurredAt: e.occurredAt.toISOString() }));
  }

  async cancel(id: string, reason?: string): Promise<JobView> {
    const job = await this.registry.requestCancel(this.tenant, checkId(id), reason);
    this.relay.kick();
    return toJobView(job);
  }
}

/** Any id that is not a UUID cannot name a job: answer 404 without asking the database. */
function checkId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new JobNotFoundError(id);
  return id;
}
