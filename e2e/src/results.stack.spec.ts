import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobView } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, useStack, waitForState } from './jobs';

const PG = process.env.STACK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Results and the configurable built-in handlers through the distributed stack: big results go
 * to the result store and come back whole from GET /v1/jobs/{id}/result.
 */
describe('results and built-in handlers (distributed)', () => {
  const ctx = useStack({ workers: 0, env: { RESULT_INLINE_MAX_BYTES: '65536' } });

  beforeAll(async () => {
    // The crud handler works in the stack's own schema, so the test leaves nothing in public.
    const handlerDb = `${PG}?options=${encodeURIComponent(`-c search_path=${ctx.stack.schema}`)}`;
    await ctx.stack.startWorker('worker-h', {
      HANDLER_DATABASE_URL: handlerDb,
      PROCESS_EXEC_ALLOW: '/bin/echo',
      // 127.0.0.2 is loopback too: allowlisting it alone shows the list is exact.
      HTTP_REQUEST_ALLOW_HOSTS: '127.0.0.2',
    });
  }, 60_000);

  const run = async (body: Record<string, unknown>) =>
    waitForState(ctx.api, (await submit(ctx.api, body)).id, ['succeeded', 'failed'], 30_000);

  it('stores a 200 KB result in the result store and serves it whole', async () => {
    const payload = { blob: 'x'.repeat(200_000), n: 42 };
    const job = await run({ type: 'debug.echo', payload });
    expect(job.state).toBe('succeeded');
    expect(job.result).toBeNull();
    const size = Buffer.byteLength(JSON.stringify(payload));
    expect(job.resultRef).toEqual({ sizeBytes: size, url: `/v1/jobs/${job.id}/result` });
    const stored = await ctx.pg.query('SELECT size_bytes, tenant FROM job_results WHERE job_id = $1', [
      job.id,
    ]);
    expect(stored.rows).toEqual([{ size_bytes: size, tenant: 'default' }]);

    const res = await fetch(`${ctx.stack.apiUrl}${job.resultRef!.url}`, {
      headers: { authorization: `Bearer ${ctx.stack.adminKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Number(res.headers.get('content-length'))).toBe(size);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(payload);

    // The append-only audit trail keeps the digest of exactly the stored bytes, not a second copy.
    const audited = await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT body->'data' AS data FROM audit_records WHERE job_id = $1 AND type = 'job.succeeded'`,
            [job.id],
          )
        ).rows,
      { until: (rows) => rows.length === 1, what: 'the audited job.succeeded' },
    );
    expect(audited[0].data).toEqual({
      attempt: 1,
      durationMs: expect.any(Number),
      resultDigest: {
        sizeBytes: size,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
    });
  });

  it('keeps a small result inline, serves it at the same URL, and 404s without a result', async () => {
    const job = await run({ type: 'debug.echo', payload: { small: true } });
    expect(job).toMatchObject({ state: 'succeeded', result: { small: true } });
    expect(job.resultRef).toBeUndefined();
    const res = await ctx.api.get(`/v1/jobs/${job.id}/result`);
    expect(res).toMatchObject({ status: 200, body: { small: true } });

    const failed = await run({ type: 'fail', payload: {} });
    const none = await ctx.api.get(`/v1/jobs/${failed.id}/result`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toMatch(/problem\+json/);
    expect(none.body).toMatchObject({ code: 'not_found', title: 'Result not available' });
    expect((await ctx.api.get('/v1/jobs/00000000-0000-7000-8000-000000000000/result')).status).toBe(404);
  });

  it('runs crud against the handler database', async () => {
    const job = await run({ type: 'crud', payload: { name: 'e2e', data: { k: 'v' } } });
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ lifecycle: ['created', 'verified', 'updated', 'deleted'] });
    const left = await ctx.pg.query('SELECT count(*)::int AS n FROM jobplane_crud_items');
    expect(left.rows).toEqual([{ n: 0 }]);
  });

  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://10.0.0.1/', '10.0.0.1'],
    ['http://localhost/', 'localhost resolves to it'],
  ])('refuses http.request to %s at once, naming the address and the allowlist', async (url, named) => {
    const job = await run({ type: 'http.request', payload: { url }, maxAttempts: 3 });
    expect(job).toMatchObject({ state: 'failed', attempt: 1, error: { code: 'http_address_refused' } });
    expect(job.error!.message).toContain(named);
    expect(job.error!.message).toContain('HTTP_REQUEST_ALLOW_HOSTS');
  });

  it('makes a real http.request to an allowlisted loopback address', async () => {
    const server = createServer((req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
    try {
      const url = `http://127.0.0.2:${(server.address() as AddressInfo).port}/ping?x=1`;
      const job = await run({ type: 'http.request', payload: { url } });
      expect(job).toMatchObject({
        state: 'succeeded',
        result: { status: 200, body: { path: '/ping?x=1' }, address: '127.0.0.2' },
      });
    } finally {
      server.close();
    }
  });

  it('runs an allowlisted process.exec and refuses another command', async () => {
    const ok = await run({ type: 'process.exec', payload: { command: '/bin/echo', args: ['a;b', '$(id)'] } });
    expect(ok.result).toMatchObject({ exitCode: 0, stdout: 'a;b $(id)\n' });
    const refused = await run({ type: 'process.exec', payload: { command: '/bin/sh', args: ['-c', 'id'] } });
    expect(refused).toMatchObject({ state: 'failed', error: { code: 'command_refused' } });
  });

  it('runs simulation.mock reproducibly and keeps its last progress', async () => {
    const body = { type: 'simulation.mock', payload: { steps: 5, seed: 7, stepMs: 10 } };
    const [a, b] = await Promise.all([run(body), run(body)]);
    expect(a.state).toBe('succeeded');
    expect(b.result).toEqual(a.result);
    expect((a.result as { series: unknown[] }).series).toHaveLength(5);
    const jobView = (await ctx.api.get<JobView>(`/v1/jobs/${a.id}`)).body;
    expect(jobView.progress).toMatchObject({ percent: 100, step: '5/5' });
  });
});
