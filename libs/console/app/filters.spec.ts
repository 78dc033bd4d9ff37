import {
  apiJobQuery,
  EMPTY_FILTERS,
  eventMatches,
  filtersFromSearch,
  filtersToSearch,
  parseLabels,
} from './filters';

describe('job filters', () => {
  it('round-trips through the console URL', () => {
    const filters = {
      ...EMPTY_FILTERS,
      state: 'failed' as const,
      type: 'sleep',
      labels: ['team:a', 'env:prod'],
    };
    const search = filtersToSearch(filters);
    expect(search).toBe('?state=failed&type=sleep&label=team%3Aa&label=env%3Aprod');
    expect(filtersFromSearch(search)).toEqual(filters);
    expect(filtersToSearch(EMPTY_FILTERS)).toBe('');
  });

  it('ignores values the API would refuse', () => {
    expect(filtersFromSearch('?state=exploded&within=3y&label=nocolon')).toEqual(EMPTY_FILTERS);
  });

  it('parses labels typed with commas or spaces, keeping colons in values', () => {
    expect(parseLabels('team:a, env:prod  url:http://x')).toEqual(['team:a', 'env:prod', 'url:http://x']);
    expect(parseLabels('bad, :x, y:')).toEqual([]);
  });

  it('builds the GET /v1/jobs query, a preset becoming createdAfter from now', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const q = new URLSearchParams(
      apiJobQuery({ ...EMPTY_FILTERS, pool: 'gpu', within: '1h', labels: ['a:b'] }, now, 'c1', 50).slice(1),
    );
    expect(q.get('pool')).toBe('gpu');
    expect(q.getAll('label')).toEqual(['a:b']);
    expect(q.get('createdAfter')).toBe('2026-11-22T11:00:00.000Z');
    expect(q.get('createdBefore')).toBeNull();
    expect(q.get('cursor')).toBe('c1');
    expect(q.get('limit')).toBe('50');
  });

  it('uses from/to when no preset is chosen', () => {
    const q = new URLSearchParams(
      apiJobQuery({ ...EMPTY_FILTERS, from: '2026-11-01T00:00', to: 'garbage' }, 0, null, 10).slice(1),
    );
    expect(q.get('createdAfter')).toBe(new Date('2026-11-01T00:00').toISOString());
    expect(q.has('createdBefore')).toBe(false);
    expect(q.has('cursor')).toBe(false);
  });

  it('refreshes the first page only for new jobs that can match', () => {
    expect(eventMatches(EMPTY_FILTERS, 'sleep', 'default')).toBe(true);
    expect(eventMatches({ ...EMPTY_FILTERS, type: 'sleep' }, 'debug.echo', 'default')).toBe(false);
    expect(eventMatches({ ...EMPTY_FILTERS, state: 'failed' }, 'sleep', 'default')).toBe(false);
    expect(eventMatches({ ...EMPTY_FILTERS, pool: 'gpu' }, 'sleep', 'gpu')).toBe(true);
    expect(eventMatches({ ...EMPTY_FILTERS, to: '2026-01-01T00:00' }, 'sleep', 'gpu')).toBe(false);
  });
});
