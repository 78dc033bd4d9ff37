import type { AuditRecordView } from '@jobplane/contracts';
import { eventually, ServiceProcess } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

type Page = { items: AuditRecordView[]; nextCursor: string | null };

/** How long the trail may lag the registry: 10 s ran out for a cancel on a loaded 2-core CI machine. */
const AUDIT_LAG_MS = 30_000;

/** The audit trail on the distributed stack: complete, verifiable, and nothing lost while it is down. */
describe('audit trail (distributed)', () => {
  const ctx = useStack({ workers: 1, workerPools: 'default:16' });
  const audit = (): ServiceProcess => ctx.stack.processes.filter((p) => p.name.startsWith('audit')).at(-1)!;

  async function recordsOf(jobId: string): Promise<AuditRecordView[]> {
    return (await ctx.api.get<Page>(`/v1/audit/records?jobId=${jobId}&limit=100`)).body.items;
  }

  it('records every lifecycle message and admin action in order, and the chain verifies', async () => {
    const job = await submit(ctx.api, { type: 'debug.echo', payload: { n: 1 } });
    await waitForState(ctx.api, job.id, TERMINAL);
    const records = await eventually(() => recordsOf(job.id), {
      until: (r) => r.some((x) => x.type === 'job.succeeded'),
      timeoutMs: AUDIT_LAG_MS,
      what: 'audit has the job outcome',
    });
    expect(records.map((r) => r.type)).toEqual([
      'job.submitted',
      'job.dispatched',
      'job.started',
      'job.succeeded',
    ]);
    expect(records[1]!.actor).toBe('system'); // the scheduler decided the dispatch
    expect(records[2]!.actor).toMatch(/^worker:/);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);

    const patched = await ctx.api.request('PATCH', '/v1/pools/audited', { capacity: 7 });
    expect(patched.status).toBe(200);
    const admin = await eventually(
      async () => (await ctx.api.get<Page>('/v1/audit/records?type=admin.pool.updated')).body.items,
      { until: (r) => r.length === 1, timeoutMs: AUDIT_LAG_MS, what: 'audit has the pool change' },
    );
    expect(admin[0]!.body).toMatchObject({ action: 'pool.updated', target: { kind: 'pool', id: 'audited' } });
    const adminKeyId = admin[0]!.actor!;
    expect(adminKeyId).toMatch(/^[0-9a-f-]{36}$/); // the bootstrap key's id, never the key itself

    // Key management and a cancel name the same actor.
    const created = await ctx.api.post('/v1/api-keys', {
      tenant: 'audited',
      name: 'ci',
      scopes: ['jobs:read'],
    });
    expect(created.status).toBe(201);
    const sleeper = await submit(ctx.api, { type: 'sleep', payload: { seconds: 30 } });
    expect((await ctx.api.post(`/v1/jobs/${sleeper.id}:cancel`, {})).status).toBe(202);
    const byActor = await eventually(
      async () => (await ctx.api.get<Page>(`/v1/audit/records?actor=${adminKeyId}`)).body.items,
      { until: (r) => r.length >= 3, timeoutMs: AUDIT_LAG_MS, what: 'audit has the admin actions' },
    );
    expect(byActor.map((r) => r.type)).toEqual(
      expect.arrayContaining(['admin.pool.updated', 'admin.api_key.created', 'job.cancel_requested']),
    );
    const keyRecord = byActor.find((r) => r.type === 'admin.api_key.created')!;
    expect(keyRecord.body).toMatchObject({ target: { kind: 'api_key', id: created.body.id } });
    expect(JSON.stringify(keyRecord.body)).not.toContain(created.body.key.split('_')[2]);

    // The cancel ends with the job's `job.cancelled` (the scheduler's, if it never ran): let it land
    // before the trail is verified and exported, so both see the same records.
    await eventually(() => recordsOf(sleeper.id), {
      until: (r) => r.some((x) => x.type === 'job.cancelled'),
      timeoutMs: AUDIT_LAG_MS,
      what: 'audit has the cancel',
    });
    const verify = await ctx.api.get('/v1/audit/verify');
    expect(verify.body).toMatchObject({ intact: true, brokenAt: null });
    const exported = await fetch(`${ctx.stack.apiUrl}/v1/audit/export`, {
      headers: { authorization: `Bearer ${ctx.stack.adminKey}` },
    });
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await exported.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecordView);
    expect(lines).toHaveLength(verify.body.checked);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));

    const bad = await ctx.api.get('/v1/audit/records?limit=0&bogus=1');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('loses nothing while the audit service is down for 30 s under load', async () => {
    const crashed = audit();
    crashed.child.kill('SIGKILL');
    expect(await crashed.exited).toBe('SIGKILL');
    const downAt = Date.now();
    const ids: string[] = [];
    while (Date.now() - downAt < 30_000 && ids.length < 600) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, () => submit(ctx.api, { type: 'debug.echo', payload: {} })),
      );
      ids.push(...batch.map((j) => j.id));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'succeeded'`,
            [ids],
          )
        ).rows[0].n as number,
      { until: (n) => n === ids.length, timeoutMs: 60_000, what: 'all jobs succeeded while audit was down' },
    );
    const during = await ctx.pg.query(`SELECT count(*)::int AS n FROM audit_records WHERE job_id = ANY($1)`, [
      ids,
    ]);
    expect(during.rows[0].n).toBe(0);
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - downAt))));

    await ctx.stack.startAudit('audit-2');
    const counts = await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT type, count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_ids
             FROM audit_records WHERE job_id = ANY($1) GROUP BY type ORDER BY type`,
            [ids],
          )
        ).rows as { type: string; n: number; distinct_ids: number }[],
      {
        until: (rows) => rows.length === 4 && rows.every((r) => r.n === ids.length),
        timeoutMs: 60_000,
        what: 'audit caught up',
      },
    );
    expect(counts).toEqual(
      ['job.dispatched', 'job.started', 'job.submitted', 'job.succeeded'].map((type) => ({
        type,
        n: ids.length,
        distinct_ids: ids.length,
      })),
    );
    expect((await ctx.api.get('/v1/audit/verify')).body).toMatchObject({ intact: true });
    console.log(
      `audit down ${Math.round((Date.now() - downAt) / 1000)} s; ${ids.length} jobs, ${ids.length * 4} records caught up`,
    );
  }, 180_000);
});
