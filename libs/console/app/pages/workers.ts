/** Workers: the live list from GET /v1/workers, polled. */
import { ApiError, describeError } from '../api';
import { h, replace } from '../dom';
import { formatRelative } from '../format';
import type { Items, WorkerInfo } from '../types';
import { messageLine, poll, table, type Page, type PageContext } from '../ui';

const POLL_MS = 3000;

export function workersPage(ctx: PageContext): Page {
  const message = messageLine();
  const { element: tableEl, body } = table('Workers', [
    'Worker',
    'State',
    'Pools (busy / concurrency)',
    'Handlers',
    'Version',
    'Last heartbeat',
    'Started',
  ]);
  let stop: () => void = () => undefined;

  function renderRow(w: WorkerInfo, now: number): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-worker': w.id, 'data-state': w.state },
      h(
        'th',
        { scope: 'row' },
        h('span', { class: 'mono' }, w.id),
        h('br'),
        h('small', null, `${w.host} · pid ${w.pid}`),
      ),
      h('td', null, h('span', { class: `badge worker-${w.state}` }, w.state)),
      h(
        'td',
        null,
        h(
          'ul',
          { class: 'plain' },
          w.pools.map((p) =>
            h(
              'li',
              null,
              h('meter', {
                min: 0,
                max: Math.max(1, p.concurrency),
                value: p.busy,
                'aria-label': `${p.pool} busy slots`,
              }),
              ` ${p.pool}: ${p.busy} / ${p.concurrency}`,
            ),
          ),
        ),
      ),
      h('td', { class: 'wrap' }, h('small', null, w.handlers.join(', ') || '—')),
      h('td', null, w.version),
      h('td', null, h('time', { datetime: w.lastHeartbeatAt }, formatRelative(w.lastHeartbeatAt, now))),
      h('td', null, h('time', { datetime: w.startedAt }, formatRelative(w.startedAt, now))),
    );
  }

  async function refresh(): Promise<void> {
    try {
      const { items } = await ctx.api.get<Items<WorkerInfo>>('/v1/workers');
      const now = Date.now();
      if (items.length === 0)
        replace(body, h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No workers.')));
      else
        replace(
          body,
          items.map((w) => renderRow(w, now)),
        );
      message.show('');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        stop();
        message.show('Worker list not available: this server does not offer GET /v1/workers.');
        replace(body);
        return;
      }
      message.show(describeError(err), 'error');
    }
  }

  stop = poll(refresh, POLL_MS);
  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title', tabindex: -1 }, 'Workers'),
    message.element,
    tableEl,
  );
  return { title: 'Workers', element, dispose: () => stop() };
}
