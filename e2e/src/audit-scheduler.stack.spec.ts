import type { AuditRecordView } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

type Page = { items: AuditRecordView[]; nextCursor: string | null };
type EventRow = { event_id: string; type: string };

/**
 * The lifecycle message behind a registry event, when a message caused it (its audit record keeps the
 * message's type); a transition the scheduler decided itself is recorded as `job.<event>`.
 */
const CAUSING_MESSAGES: Record<string, string[]> = {
  retrying: ['job.failed'],
  timeout: ['job.failed'],
  failed: ['job.failed'],
  rate_limited: ['job.failed'],
  cancelled: ['job.cancelled', 'job.cancel_requested'],
};

/**
 * Transitions the scheduler decides itself (the watchdog's timeouts and retries, dispatches) reach the
 * audit trail: a job's trail holds every one of its job_events, by event id, in the registry's order.
 */
describe('audit trail of scheduler decisions (distributed)', () => {
  const ctx = useStack({
    workers: 1,
    workerPools: 'default:8',
    env: { WATCHDOG_INTERVAL_MS: '250', CANCEL_GRACE_MS: '500' },
  });

  async function eventsOf(jobId: string): Promise<EventRow[]> {
    return (
      await ctx.pg.query<EventRow>(`SELECT event_id, type FROM job_events WHERE job_id = $1 ORDER BY seq`, [
        jobId,
      ])
    ).rows;
  }

  /** The job's trail once it holds every registry event (extra records: messages the registry fenced). */
  async function trailOf(jobId: string, events: EventRow[]): Promise<AuditRecordView[]> {
    const ids = new Set(events.map((e) => e.event_id));
    const records = await eventually(
      async () => (await ctx.api.get<Page>(`/v1/audit/records?jobId=${jobId}&limit=100`)).body.items,
      {
        until: (r) => r.filter((x) => ids.has(x.eventId)).length === ids.size,
        timeoutMs: 20_000,
        what: `audit holds every event of ${jobId}`,
      },
    );
    return records.filter((r) => ids.has(r.eventId));
  }

  it('records the watchdog timeout and retry of jobs whose worker went silent, in job_events order', async () => {
    const worker = ctx.stack.processes.find((p) => p.name.startsWith('worker'))!;
    const retried = await submit(ctx.api, {
      type: 'sleep',
      maxAttempts: 2,
      payload: { seconds: 30 },
      timeouts: { hardMs: 1_000, retryOnTimeout: true },
      backoff: { type: 'fixed', baseMs: 10 },
    });
    const hung = await submit(ctx.api, {
      type: 'debug.hang',
      payload: { seconds: 30 },
      timeouts: { hardMs: 1_000 },
    });
    for (const job of [retried, hung]) await waitForState(ctx.api, job.id, ['running']);
    // A paused worker reports nothing: past the hard limit only the scheduler's watchdog can decide.
    worker.child.kill('SIGSTOP');
    try {
      await waitForState(ctx.api, hung.id, ['timeout'], 15_000);
      await eventually(async () => (await eventsOf(retried.id)).map((e) => e.type), {
        until: (types) => types.includes('retrying'),
        timeoutMs: 15_000,
        what: 'the watchdog retried the job',
      });
    } finally {
      worker.child.kill('SIGCONT');
    }
    await waitForState(ctx.api, retried.id, TERMINAL, 20_000);

    for (const job of [retried, hung]) {
      const events = await eventsOf(job.id);
      const trail = await trailOf(job.id, events);
      expect(trail.map((r) => r.eventId)).toEqual(events.map((e) => e.event_id));
      trail.forEach((r, i) => {
        const e = events[i]!;
        if (r.actor === 'system') expect(r.type).toBe(`job.${e.type}`);
        else expect([`job.${e.type}`, ...(CAUSING_MESSAGES[e.type] ?? [])]).toContain(r.type);
      });
      for (let i = 1; i < trail.length; i++) expect(trail[i]!.seq).toBeGreaterThan(trail[i - 1]!.seq);
    }
    const decided = async (jobId: string) =>
      (await ctx.api.get<Page>(`/v1/audit/records?jobId=${jobId}&actor=system`)).body.items.map(
        (r) => r.type,
      );
    expect(await decided(hung.id)).toEqual(['job.dispatched', 'job.timeout']);
    expect((await decided(retried.id)).slice(0, 3)).toEqual([
      'job.dispatched',
      'job.retrying',
      'job.dispatched',
    ]);
    expect((await ctx.api.get('/v1/audit/verify')).body).toMatchObject({ intact: true, brokenAt: null });
  });
});
