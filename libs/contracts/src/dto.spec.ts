import { listJobsQuerySchema, submitJobRequestSchema } from './dto';
import { formatIssues } from './messages';

describe('submit job DTO', () => {
  it('applies defaults, leaving pool, attempts and limits to the handler registry', () => {
    const parsed = submitJobRequestSchema.parse({ type: 'debug.echo' });
    expect(parsed).toEqual({ type: 'debug.echo', payload: {}, priority: 10, labels: {} });
  });

  it('rejects unknown fields instead of dropping them', () => {
    const r = submitJobRequestSchema.safeParse({ type: 'debug.echo', prio: 3 });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatIssues(r.error)).toMatch(/prio/);
  });

  it.each([
    [{ type: '' }, 'type'],
    [{ type: 'x', priority: 21 }, 'priority'],
    [{ type: 'x', priority: 1.5 }, 'priority'],
    [{ type: 'x', pool: 'Bad Pool' }, 'pool'],
    [{ type: 'x', runAt: 'tomorrow' }, 'runAt'],
    [{ type: 'x', maxAttempts: 0 }, 'maxAttempts'],
    [{ type: 'x', backoff: { type: 'linear', baseMs: 1 } }, 'backoff.type'],
    [{ type: 'x', labels: { k: 5 } }, 'labels.k'],
  ])('rejects %j naming %s', (body, path) => {
    const r = submitJobRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    if (!r.success) expect(formatIssues(r.error)).toContain(path);
  });

  it('coerces list query limits from strings and bounds them', () => {
    expect(listJobsQuerySchema.parse({ limit: '20' }).limit).toBe(20);
    expect(listJobsQuerySchema.safeParse({ limit: '5000' }).success).toBe(false);
    expect(listJobsQuerySchema.safeParse({ state: 'exploded' }).success).toBe(false);
  });
});
