import { parseRoute, pathOf, type Route } from './router';

describe('router', () => {
  it('maps console paths to pages', () => {
    expect(parseRoute('/console/')).toEqual({ page: 'jobs' });
    expect(parseRoute('/console')).toEqual({ page: 'jobs' });
    expect(parseRoute('/console/jobs')).toEqual({ page: 'jobs' });
    expect(parseRoute('/console/jobs/0193-ab')).toEqual({ page: 'job', id: '0193-ab' });
    expect(parseRoute('/console/pools/')).toEqual({ page: 'pools' });
    expect(parseRoute('/console/submit')).toEqual({ page: 'submit' });
    expect(parseRoute('/console/nope')).toEqual({ page: 'not-found', path: '/console/nope' });
    expect(parseRoute('/console/pools/x')).toEqual({ page: 'not-found', path: '/console/pools/x' });
    expect(parseRoute('/console/jobs/a/b')).toEqual({ page: 'not-found', path: '/console/jobs/a/b' });
  });

  it('builds paths that parse back to the same route', () => {
    const routes: Route[] = [
      { page: 'jobs' },
      { page: 'job', id: 'id with/slash' },
      { page: 'pools' },
      { page: 'workers' },
      { page: 'schedules' },
      { page: 'submit' },
    ];
    for (const route of routes) expect(parseRoute(pathOf(route))).toEqual(route);
  });
});
