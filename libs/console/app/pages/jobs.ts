/** Jobs: a filtered, cursor-paged table that follows the tenant's live events. */
import { describeError } from '../api';
import { h, replace } from '../dom';
import {
  apiJobQuery,
  eventMatches,
  filtersFromSearch,
  filtersToSearch,
  parseLabels,
  TIME_PRESETS,
  type JobFilters,
  type TimePreset,
} from '../filters';
import { formatTime, shortId } from '../format';
import { applyEvent } from '../job-state';
import { JOB_EVENT_TYPES } from '../job-stream';
import { pathOf } from '../router';
import { JOB_STATES, type Job, type JobEvent, type JobPage } from '../types';
import { field, messageLine, progressBar, stateBadge, table, type Page, type PageContext } from '../ui';

const PAGE_SIZE = 50;
const REFRESH_AFTER_SUBMIT_MS = 1500;
const TIME_LABELS: Record<TimePreset, string> = {
  '': 'Any time',
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
};

export function jobsPage(ctx: PageContext): Page {
  const filters = filtersFromSearch(ctx.search);
  const cursors: (string | null)[] = [null]; // cursor of each page seen, for "Previous"
  let rows = new Map<string, { job: Job; row: HTMLTableRowElement }>();
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  let firstRender = true;
  let currentPage = 0;
  let reconnecting = false;
  const message = messageLine();
  const { element: tableEl, body } = table('Jobs, newest first', [
    'Job',
    'Type',
    'Pool',
    'State',
    'Progress',
    'Attempt',
    'Created',
  ]);
  const pageInfo = h('span', { class: 'page-info', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'secondary', disabled: true }, '← Newer');
  const next = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Older →');
  const live = h('span', { class: 'live-status', 'aria-live': 'polite' }, 'Connecting…');

  const state = h(
    'select',
    { name: 'state' },
    h('option', { value: '' }, 'Any state'),
    JOB_STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)),
  );
  const type = h('input', {
    name: 'type',
    value: filters.type,
    placeholder: 'e.g. sleep',
    autocomplete: 'off',
  });
  const pool = h('input', {
    name: 'pool',
    value: filters.pool,
    placeholder: 'e.g. default',
    autocomplete: 'off',
  });
  const labels = h('input', {
    name: 'labels',
    value: filters.labels.join(', '),
    placeholder: 'team:a, env:prod',
  });
  const within = h(
    'select',
    { name: 'within' },
    (Object.keys(TIME_PRESETS) as TimePreset[]).map((p) =>
      h('option', { value: p, selected: filters.within === p }, TIME_LABELS[p]),
    ),
  );
  const from = h('input', { type: 'datetime-local', name: 'from', value: filters.from, step: 1 });
  const to = h('input', { type: 'datetime-local', name: 'to', value: filters.to, step: 1 });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    field('f-state', 'State', state).element,
    field('f-type', 'Type', type).element,
    field('f-pool', 'Pool', pool).element,
    field('f-labels', 'Labels', labels).element,
    field('f-within', 'Created', within).element,
    field('f-from', 'From', from).element,
    field('f-to', 'To', to).element,
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear'),
    ),
  );

  const readFilters = (): JobFilters => ({
    state: state.value as JobFilters['state'],
    type: type.value.trim(),
    pool: pool.value.trim(),
    labels: parseLabels(labels.value),
    within: within.value as TimePreset,
    from: from.value,
    to: to.value,
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate(pathOf({ page: 'jobs' }) + filtersToSearch(readFilters()));
  });
  form.addEventListener('reset', (e) => {
    e.preventDefault();
    ctx.navigate(pathOf({ page: 'jobs' }));
  });

  function renderRow(job: Job): HTMLTableRowElement {
    const link = h('a', { href: pathOf({ page: 'job', id: job.id }), title: job.id }, shortId(job.id));
    return h(
      'tr',
      { 'data-job-id': job.id, 'data-state': job.state },
      h('td', { class: 'mono' }, link),
      h('td', null, job.type),
      h('td', null, job.pool),
      h('td', null, stateBadge(job.state, job.cancelRequested)),
      h('td', null, progressBar(job.progress, job.state, `Progress of job ${shortId(job.id)}`)),
      h('td', { class: 'num' }, `${job.attempt}/${job.maxAttempts}`),
      h('td', null, h('time', { datetime: job.createdAt }, formatTime(job.createdAt))),
    );
  }

  async function load(pageIndex: number): Promise<void> {
    const cursor = cursors[pageIndex] ?? null;
    try {
      const page = await ctx.api.get<JobPage>(
        `/v1/jobs${apiJobQuery(filters, Date.now(), cursor, PAGE_SIZE)}`,
      );
      rows = new Map();
      replace(
        body,
        page.items.map((job) => {
          const row = renderRow(job);
          rows.set(job.id, { job, row });
          return row;
        }),
      );
      if (page.items.length === 0)
        replace(body, h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No jobs match.')));
      currentPage = pageIndex;
      cursors.length = pageIndex + 1;
      if (page.nextCursor) cursors.push(page.nextCursor);
      prev.disabled = pageIndex === 0;
      next.disabled = !page.nextCursor;
      prev.onclick = () => void load(pageIndex - 1);
      next.onclick = () => void load(pageIndex + 1);
      pageInfo.textContent = `Page ${pageIndex + 1} · ${page.items.length} jobs`;
      message.show('');
      if (firstRender) {
        firstRender = false;
        performance.mark('console:jobs-rendered');
      }
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }

  function onEvent(event: JobEvent): void {
    const entry = rows.get(event.jobId);
    if (entry) {
      const job = applyEvent(entry.job, event);
      const row = renderRow(job);
      entry.row.replaceWith(row);
      rows.set(job.id, { job, row });
      return;
    }
    // A new job on the first page: refresh shortly (batched, so a burst of submits is one request).
    if (event.type === 'submitted' && currentPage === 0 && eventMatches(filters, event.jobType, event.pool)) {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        void load(0);
      }, REFRESH_AFTER_SUBMIT_MS);
    }
  }

  const source = new EventSource(
    ctx.api.streamUrl('/v1/events', { type: filters.type || undefined, pool: filters.pool || undefined }),
  );
  for (const t of JOB_EVENT_TYPES) {
    source.addEventListener(t, (m) => {
      try {
        onEvent(JSON.parse((m as MessageEvent<string>).data) as JobEvent);
      } catch {
        /* a malformed event is skipped, the next refresh shows the truth */
      }
    });
  }
  source.onopen = () => {
    live.textContent = '● Live';
    // No replay on this stream: after a reconnect, re-read the page to catch up.
    if (reconnecting) void load(currentPage);
    reconnecting = false;
  };
  source.onerror = () => {
    reconnecting = true;
    live.textContent = 'Reconnecting…';
  };

  void load(0);

  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Jobs'), live),
    form,
    message.element,
    tableEl,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, pageInfo, next),
  );
  return {
    title: 'Jobs',
    element,
    dispose() {
      source.close();
      if (refreshTimer) clearTimeout(refreshTimer);
    },
  };
}
