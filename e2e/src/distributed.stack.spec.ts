import * as amqp from 'amqplib';
import { DEAD_LETTER_QUEUE, WORK_EXCHANGE } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** The distributed stack: api, scheduler, audit and two workers as OS processes on real servers. */
describe('distributed stack', () => {
  const ctx = useStack({ workers: 2, workerPools: 'default:8' });

  it('runs one job end to end', async () => {
    const t0 = Date.now();
    const job = await submit(ctx.api, { type: 'debug.echo', payload: { n: 1 } });
    const done = await waitForState(ctx.api, job.id, TERMINAL);
    console.log(`distributed submit -> succeeded round trip (incl. 25 ms polling): ${Date.now() - t0} ms`);
    expect(done).toMatchObject({ state: 'succeeded', result: { n: 1 }, attempt: 1 });
  });

  it('runs 200 jobs submitted over REST, each to exactly one terminal event', async () => {
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const jobs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          submit(ctx.api, { type: 'debug.echo', payload: { i: batch * 20 + i } }),
        ),
      );
      ids.push(...jobs.map((j) => j.id));
    }
    expect(new Set(ids).size).toBe(200);
    await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'succeeded'`,
            [ids],
          )
        ).rows[0].n,
      { until: (n) => n === 200, timeoutMs: 60_000, what: '200 jobs succeeded' },
    );
    const terminal = await ctx.pg.query(
      `SELECT job_id, count(*)::int AS n FROM job_events WHERE job_id = ANY($1) AND type IN ('succeeded','failed','cancelled','timeout') GROUP BY job_id`,
      [ids],
    );
    expect(terminal.rows).toHaveLength(200);
    expect(terminal.rows.every((r) => r.n === 1)).toBe(true);
    const started = await ctx.pg.query(
      `SELECT count(*)::int AS n FROM job_events WHERE job_id = ANY($1) AND type = 'started'`,
      [ids],
    );
    expect(started.rows[0].n).toBe(200); // no job ran twice
    // Both workers took part.
    const workers = await ctx.pg.query(
      `SELECT DISTINCT data->>'workerId' AS w FROM job_events WHERE job_id = ANY($1) AND type = 'started'`,
      [ids],
    );
    expect(workers.rows.length).toBe(2);
    // The audit trail received every lifecycle message of these jobs.
    await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM audit_records WHERE job_id = ANY($1) AND type = 'job.succeeded'`,
            [ids],
          )
        ).rows[0].n,
      { until: (n) => n === 200, timeoutMs: 30_000, what: 'audit has 200 job.succeeded records' },
    );
  });

  it('dead-letters a malformed work message and keeps working', async () => {
    const conn = await amqp.connect(ctx.stack.amqpUrl);
    const ch = await conn.createConfirmChannel();
    try {
      const marker = `garbage-${Date.now()}`;
      ch.publish(WORK_EXCHANGE, 'default', Buffer.from(`{"this is": "${marker}"`), { persistent: true });
      ch.publish(
        WORK_EXCHANGE,
        'default',
        Buffer.from(JSON.stringify({ v: 1, type: 'job.dispatch', marker })),
        { persistent: true },
      );
      await ch.waitForConfirms();
      const dead: string[] = [];
      await eventually(
        async () => {
          const msg = await ch.get(DEAD_LETTER_QUEUE, { noAck: true });
          if (msg) dead.push(msg.content.toString());
          return dead.filter((d) => d.includes(marker)).length;
        },
        {
          until: (n) => n === 2,
          timeoutMs: 15_000,
          intervalMs: 20,
          what: 'both malformed messages dead-lettered',
        },
      );
      const job = await submit(ctx.api, { type: 'debug.echo', payload: { after: 'poison' } });
      expect((await waitForState(ctx.api, job.id, TERMINAL)).state).toBe('succeeded');
      expect(ctx.stack.processes.every((p) => p.child.exitCode === null)).toBe(true);
    } finally {
      await ch.close();
      await conn.close();
    }
  });

  it('cancels a running job across processes', async () => {
    const job = await submit(ctx.api, { type: 'sleep', payload: { seconds: 30 } });
    await waitForState(ctx.api, job.id, ['running']);
    expect((await ctx.api.post(`/v1/jobs/${job.id}:cancel`)).status).toBe(202);
    expect((await waitForState(ctx.api, job.id, TERMINAL, 5_000)).state).toBe('cancelled');
  });

  it('exports scheduler metrics: dispatches, pool gauges, leader', async () => {
    const scheduler = ctx.stack.processes.find((p) => p.name === 'scheduler')!;
    const text = await (await fetch(scheduler.healthUrl.replace('/health/ready', '/metrics'))).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1]);
    expect(value('jobplane_dispatches_total')).toBeGreaterThanOrEqual(202);
    expect(value('jobplane_scheduler_leader')).toBe(1);
    expect(text).toMatch(/^jobplane_pool_capacity\{[^}]*pool="default"[^}]*\} 100$/m);
    expect(text).toMatch(/^jobplane_backlog_depth\{[^}]*pool="default"[^}]*\} 0$/m);
    expect(text).toMatch(/^jobplane_pool_in_flight\{[^}]*pool="default"[^}]*\} \d+$/m);
  });

  it('reports dependency health on every service', async () => {
    for (const p of ctx.stack.processes) {
      const res = await fetch(p.healthUrl);
      expect(res.status).toBe(200);
    }
  });
});
