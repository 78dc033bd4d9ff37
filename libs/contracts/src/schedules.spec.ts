import { createScheduleRequestSchema, nextRuns } from './schedules';
import { formatIssues } from './messages';

describe('schedules', () => {
  it('computes cron fire times in a time zone', () => {
    const after = new Date('2026-03-28T12:00:00Z');
    // 09:00 in Berlin is 08:00 UTC before the DST switch on 29 March and 07:00 UTC after it.
    const runs = nextRuns({ cron: '0 9 * * *', timezone: 'Europe/Berlin', everySeconds: null }, after, 2);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('aligns every-N-seconds ticks to the epoch', () => {
    const runs = nextRuns(
      { cron: null, timezone: null, everySeconds: 5 },
      new Date('2026-01-01T00:00:03.200Z'),
      3,
    );
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
    ]);
  });

  it.each([
    [{ job: { type: 'x' } }, 'exactly one of cron or everySeconds'],
    [{ cron: '* * * * *', everySeconds: 3, job: { type: 'x' } }, 'exactly one'],
    [{ cron: '61 * * * *', job: { type: 'x' } }, 'not a cron expression'],
    [{ cron: '* * * * *', timezone: 'Mars/Olympus', job: { type: 'x' } }, 'unknown IANA time zone'],
    [{ everySeconds: 1, job: { type: 'x', idempotencyKey: 'k' } }, 'idempotencyKey'],
  ])('rejects %j', (body, message) => {
    const r = createScheduleRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    if (!r.success) expect(formatIssues(r.error)).toContain(message);
  });
});
