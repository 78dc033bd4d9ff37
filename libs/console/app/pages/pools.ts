/** Pools: load, capacity, rate and pauses, polled, with a wait-time sparkline kept in the browser. */
import { ApiError, describeError } from '../api';
import { h, replace, svg } from '../dom';
import { formatDuration, formatRate, formatTime } from '../format';
import { SampleHistory, sparklinePoints } from '../sparkline';
import type { Items, Pool } from '../types';
import { confirmAction, messageLine, poll, table, type Page, type PageContext } from '../ui';

const POLL_MS = 2000;
const HISTORY = 60; // two minutes at one sample per poll
const SPARK_W = 120;
const SPARK_H = 28;

export function poolsPage(ctx: PageContext): Page {
  const history = new SampleHistory(HISTORY);
  const message = messageLine();
  const updated = h('span', { class: 'live-status', 'aria-live': 'off' });
  const { element: tableEl, body } = table('Pools', [
    'Pool',
    'Backlog',
    'In flight / capacity',
    'Rate limit',
    'State',
    'Oldest wait (last 2 min)',
    'Actions',
  ]);
  const editing = new Set<string>(); // pools whose capacity input has focus

  function sparkline(name: string, current: number): HTMLElement {
    const values = history.get(name);
    const chart = svg('svg', {
      width: SPARK_W,
      height: SPARK_H,
      viewBox: `0 0 ${SPARK_W} ${SPARK_H}`,
      'aria-hidden': 'true',
    });
    chart.appendChild(svg('polyline', { points: sparklinePoints(values, SPARK_W, SPARK_H), class: 'spark' }));
    const max = Math.max(0, ...values);
    return h(
      'span',
      { class: 'sparkline' },
      chart,
      h('span', { class: 'visually-hidden' }, `peak ${formatDuration(max)} over ${values.length} samples; `),
      formatDuration(current),
    );
  }

  function renderRow(pool: Pool): HTMLTableRowElement {
    const capacityInput = h('input', {
      type: 'number',
      min: 0,
      max: 100000,
      value: String(pool.capacity),
      'aria-label': `Capacity of pool ${pool.name}`,
      class: 'capacity',
    });
    capacityInput.addEventListener('focus', () => editing.add(pool.name));
    capacityInput.addEventListener('blur', () => editing.delete(pool.name));
    const saveCapacity = h(
      'button',
      { type: 'submit', class: 'secondary', 'data-focus-key': `${pool.name}:capacity` },
      'Set capacity',
    );
    const capacityForm = h('form', { class: 'inline' }, capacityInput, saveCapacity);
    capacityForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const capacity = Number(capacityInput.value);
      if (!Number.isInteger(capacity) || capacity < 0) {
        message.show('Capacity must be a whole number, 0 or more.', 'error');
        return;
      }
      editing.delete(pool.name);
      void change(pool.name, { capacity }, `Pool ${pool.name} capacity set to ${capacity}.`);
    });
    const toggle = h(
      'button',
      {
        type: 'button',
        class: pool.paused ? '' : 'danger',
        'data-action': pool.paused ? 'resume' : 'pause',
        'data-focus-key': `${pool.name}:toggle`,
      },
      pool.paused ? `Resume ${pool.name}` : `Pause ${pool.name}`,
    );
    toggle.addEventListener('click', () => void togglePause(pool));
    const load = pool.capacity > 0 ? Math.min(1, pool.inFlight / pool.capacity) : 0;
    const meter = h('meter', {
      min: 0,
      max: 1,
      value: load,
      'aria-label': `Pool ${pool.name} in flight ${pool.inFlight} of ${pool.capacity}`,
    });
    return h(
      'tr',
      { 'data-pool': pool.name, 'data-paused': String(pool.paused) },
      h('th', { scope: 'row' }, pool.name),
      h('td', { class: 'num backlog' }, String(pool.backlog)),
      h('td', null, meter, ` ${pool.inFlight} / ${pool.capacity}`),
      h('td', null, formatRate(pool.rate)),
      h(
        'td',
        null,
        pool.paused
          ? h(
              'span',
              { class: 'badge paused' },
              pool.pausedUntil ? `paused until ${formatTime(pool.pausedUntil)}` : 'paused',
            )
          : h('span', { class: 'badge active' }, 'active'),
      ),
      h('td', null, sparkline(pool.name, pool.oldestQueuedAgeMs)),
      h('td', { class: 'row-actions' }, toggle, capacityForm),
    );
  }

  async function refresh(): Promise<void> {
    try {
      const { items } = await ctx.api.get<Items<Pool>>('/v1/pools');
      history.retain(items.map((p) => p.name));
      for (const pool of items) history.add(pool.name, pool.oldestQueuedAgeMs);
      // While a capacity is being typed, keep the table still (only the history grows).
      if (editing.size > 0) return;
      // Rows are redrawn; the control that had focus (e.g. the pause button just pressed) gets it back.
      const focusKey = document.activeElement?.getAttribute('data-focus-key');
      if (items.length === 0)
        replace(body, h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No pools yet.')));
      else replace(body, items.map(renderRow));
      if (focusKey) body.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
      updated.textContent = `Updated ${formatTime(new Date().toISOString())}`;
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }

  async function togglePause(pool: Pool): Promise<void> {
    if (!pool.paused) {
      const ok = await confirmAction(
        `Pause pool ${pool.name}?`,
        'No new job of this pool is dispatched until it is resumed; running jobs finish.',
        'Pause pool',
      );
      if (!ok) return;
    }
    await change(
      pool.name,
      { paused: !pool.paused },
      `Pool ${pool.name} ${pool.paused ? 'resumed' : 'paused'}.`,
    );
  }

  async function change(name: string, patch: Record<string, unknown>, done: string): Promise<void> {
    try {
      await ctx.api.patch(`/v1/pools/${encodeURIComponent(name)}`, patch);
      message.show(done);
      ctx.announce(done);
      await refresh();
    } catch (err) {
      message.show(
        err instanceof ApiError && err.status === 403
          ? 'Changing pools needs an API key with the admin scope. This key can only read them.'
          : describeError(err),
        'error',
      );
    }
  }

  const stop = poll(refresh, POLL_MS);
  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Pools'), updated),
    message.element,
    tableEl,
  );
  return { title: 'Pools', element, dispose: stop };
}
