import type { JobView } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** Tenant quotas: at most N jobs of a tenant in flight across pools (TENANT_MAX_IN_FLIGHT). */
describe('tenant quota (distributed)', () => {
  const ctx = useStack({ workers: 1, workerPools: 'q1:8,q2:8', env: { TENANT_MAX_IN_FLIGHT: '*:3' } });

  it('never runs more than the tenant quota at once across pools, and says why a job waits', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          submit(ctx.api, { type: 'sleep', pool: i % 2 ? 'q1' : 'q2', payload: { seconds: 0.4 } }),
        ),
      )
    ).map((j) => j.id);
    const waiting = await eventually(async () => (await ctx.api.get<JobView>(`/v1/jobs/${ids[11]}`)).body, {
      until: (j) => j.waitReason === 'tenant_quota' || TERMINAL.includes(j.state),
      what: 'a job waiting on the tenant quota',
    });
    expect(waiting.waitReason).toBe('tenant_quota');
    let max = 0;
    await eventually(
      async () => {
        const r = await ctx.pg.query(
          `SELECT count(*) FILTER (WHERE state = 'running')::int AS running, count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS done
           FROM jobs WHERE id = ANY($1)`,
          [ids],
        );
        max = Math.max(max, r.rows[0].running);
        return r.rows[0].done;
      },
      { until: (n) => n === ids.length, timeoutMs: 60_000, intervalMs: 10, what: 'quota jobs done' },
    );
    console.log(`tenant quota 3 over two pools: max running ${max}`);
    expect(max).toBe(3);
    for (const id of ids) expect((await waitForState(ctx.api, id, TERMINAL)).state).toBe('succeeded');
  });
});
