/** Schedules: list with next runs, pause/resume, and a create form that shows the API's field errors. */
import { ApiError, describeError } from '../api';
import { h, replace } from '../dom';
import { assignErrors } from '../form-errors';
import { formatRelative, formatTime } from '../format';
import type { Items, Schedule } from '../types';
import { field, messageLine, table, type Page, type PageContext } from '../ui';

const FIELDS = ['name', 'cron', 'timezone', 'everySeconds', 'job.type', 'job.pool', 'job.payload'] as const;
type FieldName = (typeof FIELDS)[number];

export function schedulesPage(ctx: PageContext): Page {
  const message = messageLine();
  const formMessage = messageLine();
  const { element: tableEl, body } = table('Schedules', [
    'Name',
    'When',
    'Job',
    'Next runs',
    'Last fired',
    'State',
    '',
  ]);

  function renderRow(s: Schedule): HTMLTableRowElement {
    const now = Date.now();
    const toggle = h('button', { type: 'button', class: 'secondary' }, s.paused ? 'Resume' : 'Pause');
    toggle.setAttribute('aria-label', `${s.paused ? 'Resume' : 'Pause'} schedule ${s.name ?? s.id}`);
    toggle.addEventListener('click', () => void setPaused(s, !s.paused));
    const when = s.cron
      ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`
      : `every ${s.everySeconds} s`;
    return h(
      'tr',
      { 'data-schedule': s.id },
      h('th', { scope: 'row' }, s.name ?? h('span', { class: 'mono' }, s.id.slice(0, 8))),
      h('td', null, h('code', null, when)),
      h('td', null, s.job.type, s.job.pool ? h('small', null, ` · ${s.job.pool}`) : null),
      h(
        'td',
        null,
        s.paused
          ? '—'
          : h(
              'ul',
              { class: 'plain' },
              s.nextRuns
                .slice(0, 3)
                .map((r) =>
                  h('li', null, h('time', { datetime: r }, formatTime(r)), ` (${formatRelative(r, now)})`),
                ),
            ),
      ),
      h('td', null, formatRelative(s.lastFiredAt, now)),
      h(
        'td',
        null,
        h('span', { class: `badge ${s.paused ? 'paused' : 'active'}` }, s.paused ? 'paused' : 'active'),
      ),
      h('td', null, toggle),
    );
  }

  async function refresh(): Promise<void> {
    try {
      const { items } = await ctx.api.get<Items<Schedule>>('/v1/schedules');
      if (items.length === 0)
        replace(body, h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No schedules yet.')));
      else replace(body, items.map(renderRow));
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }

  async function setPaused(s: Schedule, paused: boolean): Promise<void> {
    try {
      await ctx.api.patch(`/v1/schedules/${encodeURIComponent(s.id)}`, { paused });
      const done = `Schedule ${s.name ?? s.id} ${paused ? 'paused' : 'resumed'}.`;
      message.show(done);
      ctx.announce(done);
      await refresh();
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }

  // The create form.
  const controls: Record<FieldName, HTMLInputElement | HTMLTextAreaElement> = {
    name: h('input', { name: 'name', autocomplete: 'off' }),
    cron: h('input', { name: 'cron', placeholder: '*/5 * * * *', autocomplete: 'off' }),
    timezone: h('input', { name: 'timezone', placeholder: 'UTC', autocomplete: 'off' }),
    everySeconds: h('input', { name: 'everySeconds', type: 'number', min: 1, inputmode: 'numeric' }),
    'job.type': h('input', { name: 'job.type', required: true, placeholder: 'sleep', autocomplete: 'off' }),
    'job.pool': h('input', { name: 'job.pool', placeholder: 'default', autocomplete: 'off' }),
    'job.payload': h('textarea', { name: 'job.payload', rows: 3, spellcheck: false, value: '{}' }),
  };
  const labels: Record<FieldName, [string, string?]> = {
    name: ['Name'],
    cron: ['Cron', 'five fields; or use "Every"'],
    timezone: ['Time zone', 'IANA name, for cron'],
    everySeconds: ['Every (seconds)', 'instead of cron'],
    'job.type': ['Job type'],
    'job.pool': ['Pool'],
    'job.payload': ['Payload (JSON)'],
  };
  const fields = Object.fromEntries(
    FIELDS.map((f) => [f, field(`s-${f.replace('.', '-')}`, labels[f][0], controls[f], labels[f][1])]),
  ) as Record<FieldName, ReturnType<typeof field>>;

  function clientErrors(): Map<string, string[]> {
    const errors = new Map<string, string[]>();
    const cron = controls.cron.value.trim();
    const every = controls.everySeconds.value.trim();
    if (!cron && !every) errors.set('cron', ['Give a cron expression or an interval']);
    if (cron && every) errors.set('everySeconds', ['Use either cron or every, not both']);
    if (every && !(Number.isInteger(Number(every)) && Number(every) >= 1)) {
      errors.set('everySeconds', ['A whole number of seconds, 1 or more']);
    }
    if (!controls['job.type'].value.trim()) errors.set('job.type', ['Required']);
    try {
      JSON.parse(controls['job.payload'].value || '{}');
    } catch {
      errors.set('job.payload', ['Not valid JSON']);
    }
    return errors;
  }

  function showErrors(byField: Map<string, string[]>): void {
    for (const f of FIELDS) fields[f].setError(byField.get(f) ?? []);
    const first = FIELDS.find((f) => byField.has(f));
    if (first) controls[first].focus();
  }

  const form = h(
    'form',
    { class: 'create-form', 'aria-labelledby': 'create-title', novalidate: true },
    h('h2', { id: 'create-title' }, 'New schedule'),
    h(
      'div',
      { class: 'grid' },
      FIELDS.map((f) => fields[f].element),
    ),
    formMessage.element,
    h('button', { type: 'submit' }, 'Create schedule'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void create();
  });

  async function create(): Promise<void> {
    formMessage.show('');
    const local = clientErrors();
    showErrors(local);
    if (local.size > 0) return;
    const value = (f: FieldName) => controls[f].value.trim();
    const job: Record<string, unknown> = {
      type: value('job.type'),
      payload: JSON.parse(value('job.payload') || '{}'),
    };
    if (value('job.pool')) job.pool = value('job.pool');
    const body: Record<string, unknown> = { job };
    if (value('name')) body.name = value('name');
    if (value('cron')) body.cron = value('cron');
    if (value('timezone')) body.timezone = value('timezone');
    if (value('everySeconds')) body.everySeconds = Number(value('everySeconds'));
    try {
      const created = await ctx.api.post<Schedule>('/v1/schedules', body);
      form.reset();
      controls['job.payload'].value = '{}';
      const done = `Schedule ${created.name ?? created.id} created.`;
      formMessage.show(done);
      ctx.announce(done);
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors) {
        const { byField, unmatched } = assignErrors(err.problem.errors, FIELDS);
        showErrors(byField);
        const rest = unmatched.map((u) => `${u.path}: ${u.message}`).join('; ');
        formMessage.show(rest || err.problem.title || 'Please fix the fields marked.', 'error');
      } else formMessage.show(describeError(err), 'error');
    }
  }

  void refresh();
  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title', tabindex: -1 }, 'Schedules'),
    message.element,
    tableEl,
    form,
  );
  return { title: 'Schedules', element };
}
