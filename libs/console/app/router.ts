/** Console routes under /console/ (history API; the server answers index.html for all of them). */
export const BASE = '/console';

export type Route =
  | { page: 'jobs' }
  | { page: 'job'; id: string }
  | { page: 'pools' }
  | { page: 'workers' }
  | { page: 'schedules' }
  | { page: 'submit' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, ...more] = parts;
  if (more.length > 0) return { page: 'not-found', path: pathname };
  if (first === undefined) return { page: 'jobs' };
  if (first === 'jobs') return second === undefined ? { page: 'jobs' } : { page: 'job', id: second };
  if (second !== undefined) return { page: 'not-found', path: pathname };
  switch (first) {
    case 'pools':
    case 'workers':
    case 'schedules':
    case 'submit':
      return { page: first };
    default:
      return { page: 'not-found', path: pathname };
  }
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case 'jobs':
      return `${BASE}/jobs`;
    case 'job':
      return `${BASE}/jobs/${encodeURIComponent(route.id)}`;
    case 'pools':
    case 'workers':
    case 'schedules':
    case 'submit':
      return `${BASE}/${route.page}`;
    case 'not-found':
      return route.path;
  }
}
