/** Submit: a job of a registered type (GET /v1/handlers), with the type's payload schema shown. */
import { ApiError, describeError } from '../api';
import { h, replace } from '../dom';
import { parseLabels } from '../filters';
import { assignErrors } from '../form-errors';
import { formatDuration, formatJson } from '../format';
import { pathOf } from '../router';
import { exampleFor } from '../schema-example';
import type { HandlerInfo, Items, Job } from '../types';
import { field, messageLine, type Page, type PageContext } from '../ui';

const FIELDS = ['type', 'pool', 'priority', 'labels', 'payload'] as const;
type FieldName = (typeof FIELDS)[number];

export function submitPage(ctx: PageContext): Page {
  let handlers: HandlerInfo[] | null = null; // null: the server has no handler list; type is free text
  const message = messageLine();
  const schemaView = h('pre', { class: 'json schema', tabindex: 0, 'aria-label': 'Payload schema' }, '—');
  const defaultsView = h('p', { class: 'hint', 'aria-live': 'polite' });
  const typeSlot = h('div', { class: 'type-slot' });
  const typeSelect = h('select', { name: 'type', required: true });
  const typeInput = h('input', { name: 'type', required: true, placeholder: 'sleep', autocomplete: 'off' });
  const controls = {
    pool: h('input', { name: 'pool', placeholder: 'the type’s default', autocomplete: 'off' }),
    priority: h('input', {
      name: 'priority',
      type: 'number',
      min: 0,
      max: 20,
      value: '10',
      inputmode: 'numeric',
    }),
    labels: h('input', { name: 'labels', placeholder: 'team:a, env:prod', autocomplete: 'off' }),
    payload: h('textarea', { name: 'payload', rows: 8, spellcheck: false, value: '{}' }),
  };
  const typeField = field('submit-type', 'Job type', typeInput);
  const fields: Record<FieldName, ReturnType<typeof field>> = {
    type: typeField,
    pool: field('submit-pool', 'Pool', controls.pool, 'optional'),
    priority: field('submit-priority', 'Priority', controls.priority, '0 (first) to 20'),
    labels: field('submit-labels', 'Labels', controls.labels, 'key:value, comma separated'),
    payload: field('submit-payload', 'Payload (JSON)', controls.payload),
  };
  replace(typeSlot, typeField.element);

  const selectedType = () => (handlers ? typeSelect.value : typeInput.value.trim());

  function showSchema(): void {
    const handler = handlers?.find((x) => x.type === typeSelect.value);
    if (!handler) return;
    schemaView.textContent = handler.payloadSchema
      ? formatJson(handler.payloadSchema)
      : 'This type declares no schema.';
    controls.payload.value = formatJson(handler.payloadSchema ? exampleFor(handler.payloadSchema) : {});
    controls.pool.placeholder = handler.pool ?? 'default';
    defaultsView.textContent = describeDefaults(handler);
  }
  typeSelect.addEventListener('change', showSchema);

  async function loadHandlers(): Promise<void> {
    try {
      const { items } = await ctx.api.get<Items<HandlerInfo>>('/v1/handlers');
      handlers = [...items].sort((a, b) => a.type.localeCompare(b.type));
      replace(
        typeSelect,
        handlers.map((x) =>
          h('option', { value: x.type }, x.workers > 0 ? x.type : `${x.type} (no worker online)`),
        ),
      );
      const typeFieldSelect = field('submit-type', 'Job type', typeSelect);
      fields.type = typeFieldSelect;
      replace(typeSlot, typeFieldSelect.element);
      const initial = handlers.find((x) => x.type === 'sleep') ?? handlers[0];
      if (initial) typeSelect.value = initial.type;
      showSchema();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        schemaView.textContent = 'This server does not list its job types: type any registered type.';
        return;
      }
      message.show(describeError(err), 'error');
    }
  }

  function clientErrors(): Map<string, string[]> {
    const errors = new Map<string, string[]>();
    if (!selectedType()) errors.set('type', ['Required']);
    const priority = Number(controls.priority.value);
    if (!Number.isInteger(priority) || priority < 0 || priority > 20) errors.set('priority', ['0 to 20']);
    const rawLabels = controls.labels.value.trim();
    if (rawLabels && parseLabels(rawLabels).length !== rawLabels.split(/[,\s]+/).filter(Boolean).length) {
      errors.set('labels', ['Each label is key:value']);
    }
    try {
      JSON.parse(controls.payload.value || '{}');
    } catch {
      errors.set('payload', ['Not valid JSON']);
    }
    return errors;
  }

  function showErrors(byField: Map<string, string[]>): void {
    for (const f of FIELDS) fields[f].setError(byField.get(f) ?? []);
    const first = FIELDS.find((f) => byField.has(f));
    if (first === 'type') (handlers ? typeSelect : typeInput).focus();
    else if (first) controls[first].focus();
  }

  const submitButton = h('button', { type: 'submit' }, 'Submit job');
  const form = h(
    'form',
    { class: 'submit-form', 'aria-label': 'Submit a job', novalidate: true },
    typeSlot,
    fields.pool.element,
    fields.priority.element,
    fields.labels.element,
    fields.payload.element,
    message.element,
    submitButton,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });

  async function submit(): Promise<void> {
    message.show('');
    const local = clientErrors();
    showErrors(local);
    if (local.size > 0) return;
    const body: Record<string, unknown> = {
      type: selectedType(),
      payload: JSON.parse(controls.payload.value || '{}'),
      priority: Number(controls.priority.value),
    };
    if (controls.pool.value.trim()) body.pool = controls.pool.value.trim();
    const labels = parseLabels(controls.labels.value);
    if (labels.length > 0) {
      body.labels = Object.fromEntries(
        labels.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
      );
    }
    submitButton.disabled = true;
    try {
      const job = await ctx.api.post<Job>('/v1/jobs', body);
      ctx.announce(`Job ${job.id} submitted`);
      ctx.navigate(pathOf({ page: 'job', id: job.id }));
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors) {
        const { byField, unmatched } = assignErrors(err.problem.errors, FIELDS);
        showErrors(byField);
        const rest = unmatched.map((u) => `${u.path}: ${u.message}`).join('; ');
        message.show(rest || err.problem.title || 'Please fix the fields marked.', 'error');
      } else message.show(describeError(err), 'error');
    } finally {
      submitButton.disabled = false;
    }
  }

  void loadHandlers();
  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title', tabindex: -1 }, 'Submit a job'),
    h(
      'div',
      { class: 'job-grid' },
      form,
      h('div', null, h('h2', null, 'Payload schema'), defaultsView, schemaView),
    ),
  );
  return { title: 'Submit', element };
}

/** The type's declared defaults, which apply when the submit does not set them. */
export function describeDefaults(handler: HandlerInfo): string {
  const parts = [
    `pool ${handler.pool ?? 'default'}`,
    `runs ${handler.execution}`,
    handler.retry?.maxAttempts !== undefined ? `up to ${handler.retry.maxAttempts} attempts` : null,
    handler.timeouts?.hardMs !== undefined ? `hard limit ${formatDuration(handler.timeouts.hardMs)}` : null,
    handler.timeouts?.softMs !== undefined ? `soft limit ${formatDuration(handler.timeouts.softMs)}` : null,
    handler.workers > 0
      ? `${handler.workers} worker${handler.workers === 1 ? '' : 's'} online`
      : 'no worker online',
  ];
  return `Defaults: ${parts.filter(Boolean).join(' · ')}`;
}
