import type { JobView } from '@jobplane/contracts';
import { Client } from 'pg';
import { ApiClient, eventually, Stack, StackOptions, startStack } from '@jobplane/testing';

export const TERMINAL = ['succeeded', 'failed', 'timeout', 'cancelled'];

export async function submit(api: ApiClient, body: Record<string, unknown>): Promise<JobView> {
  const res = await api.post<JobView>('/v1/jobs', body);
  if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitForState(
  api: ApiClient,
  id: string,
  states: string[],
  timeoutMs = 20_000,
): Promise<JobView> {
  return eventually(async () => (await api.get<JobView>(`/v1/jobs/${id}`)).body, {
    until: (job) => states.includes(job.state),
    timeoutMs,
    intervalMs: 25,
    what: `job ${id} in ${states.join('|')}`,
  });
}

/**
 * Starts a distributed stack for the enclosing `describe` (with a Postgres client on its schema)
 * and tears it down after, stack first so no process writes into a dropped schema.
 */
export function useStack(opts: StackOptions): { stack: Stack; api: ApiClient; pg: Client } {
  const ctx = {} as { stack: Stack; api: ApiClient; pg: Client };
  beforeAll(async () => {
    ctx.stack = await startStack(opts);
    ctx.api = new ApiClient(ctx.stack.apiUrl, ctx.stack.adminKey);
    ctx.pg = new Client({ connectionString: ctx.stack.databaseUrl });
    await ctx.pg.connect();
    // The registry's schema, then the audit service's own (audit_records).
    await ctx.pg.query(`SET search_path TO "${ctx.stack.schema}", "${ctx.stack.auditSchema}"`);
  }, 180_000);
  afterAll(async () => {
    await ctx.stack?.stop();
    await ctx.pg?.query(`DROP SCHEMA IF EXISTS "${ctx.stack.schema}", "${ctx.stack.auditSchema}" CASCADE`);
    await ctx.pg?.end();
  });
  return ctx;
}
