import type { JobView, ListJobsQuery, SubmitJob } from '@jobplane/contracts';
import type { SubmitResult } from '@jobplane/persistence';

/** Exactly the job use cases the gRPC surface calls (JobsService implements them). */
export interface JobsPort {
  submit(tenant: string, jobs: SubmitJob[]): Promise<SubmitResult[]>;
  get(tenant: string, id: string): Promise<JobView>;
  list(tenant: string, q: ListJobsQuery): Promise<{ items: JobView[]; nextCursor: string | null }>;
  cancel(tenant: string, id: string, reason?: string, actor?: string): Promise<JobView>;
  retry(tenant: string, id: string, reason?: string, actor?: string): Promise<JobView>;
}
