/** One job: its fields, payload, result or error, a live progress bar and the event timeline. */
import { ApiError, describeError } from '../api';
import { h, replace } from '../dom';
import { formatDuration, formatJson, formatTime } from '../format';
import { applyEvent, canCancel, canRetry } from '../job-state';
import { JobEventStream } from '../job-stream';
import { pathOf } from '../router';
import { TERMINAL_STATES, type Items, type Job, type JobEvent } from '../types';
import { confirmAction, messageLine, progressBar, stateBadge, type Page, type PageContext } from '../ui';

export function jobPage(ctx: PageContext, id: string): Page {
  let job: Job | null = null;
  const seen = new Set<number>();
  const message = messageLine();
  const summary = h('dl', { class: 'summary' });
  const progress = h('div', { class: 'job-progress' });
  const live = h('span', { class: 'live-status', 'aria-live': 'polite' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Event timeline' });
  const payload = h('pre', { class: 'json', tabindex: 0, 'aria-label': 'Payload' });
  const outcome = h('div', { class: 'outcome' });
  const cancel = h('button', { type: 'button', class: 'danger', disabled: true }, 'Cancel job');
  const retry = h('button', { type: 'button', disabled: true }, 'Retry job');
  const path = `/v1/jobs/${encodeURIComponent(id)}`;

  const stream = new JobEventStream(
    {
      url: (lastEventId) => ctx.api.streamUrl(`${path}/events`, { lastEventId: String(lastEventId) }),
      open: (url) => new EventSource(url),
    },
    {
      onEvent: (event) => {
        addEvent(event);
        if (!job) return;
        job = applyEvent(job, event);
        render();
        if (event.type === 'progress') return;
        ctx.announce(`Job ${event.type.replace('_', ' ')}`);
        // The event does not carry the result or error: read the job once it ends.
        if ((TERMINAL_STATES as readonly string[]).includes(event.type)) void refresh();
      },
      onStatus: (status) => {
        live.textContent =
          status === 'live' ? '● Live' : status === 'reconnecting' ? 'Reconnecting…' : 'Ended';
      },
      onProblem: (problem) => message.show(`Stream: ${JSON.stringify(problem)}`, 'error'),
    },
  );

  function addEvent(event: JobEvent): void {
    if (seen.has(event.seq)) return;
    seen.add(event.seq);
    const data = event.data && typeof event.data === 'object' && Object.keys(event.data).length > 0;
    timeline.appendChild(
      h(
        'li',
        { 'data-type': event.type },
        h('span', { class: 'seq' }, `#${event.seq}`),
        h('time', { datetime: event.occurredAt }, formatTime(event.occurredAt)),
        h('span', { class: `badge event-${event.type}` }, event.type),
        event.attempt !== null ? h('span', { class: 'attempt' }, `attempt ${event.attempt}`) : null,
        data ? h('code', { class: 'event-data' }, JSON.stringify(event.data)) : null,
      ),
    );
  }

  function render(): void {
    if (!job) return;
    const j = job;
    const elapsed = Date.parse(j.updatedAt) - Date.parse(j.createdAt);
    const rows: [string, Node | string][] = [
      ['State', stateBadge(j.state, j.cancelRequested)],
      ['Type', j.type],
      ['Pool', j.pool],
      ['Priority', String(j.priority)],
      ['Attempts', `${j.attempt} of ${j.maxAttempts}`],
      ['Created', formatTime(j.createdAt)],
      ['Updated', `${formatTime(j.updatedAt)} (${formatDuration(elapsed)} after creation)`],
      [
        'Labels',
        Object.entries(j.labels)
          .map(([k, v]) => `${k}:${v}`)
          .join(', ') || '—',
      ],
    ];
    if (j.runAt) rows.push(['Run at', formatTime(j.runAt)]);
    if (j.state === 'queued' && j.waitReason) {
      rows.push([
        'Waiting',
        j.position !== undefined ? `${j.waitReason} (position ${j.position})` : j.waitReason,
      ]);
    }
    replace(
      summary,
      rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
    );
    const step = [j.progress?.step, j.progress?.message].filter(Boolean).join(' — ');
    replace(
      progress,
      progressBar(j.progress, j.state, 'Job progress'),
      step ? h('span', { class: 'step' }, step) : null,
    );
    payload.textContent = formatJson(j.payload);
    if (j.error) {
      replace(
        outcome,
        h('h2', null, 'Error'),
        h('p', { class: 'error-text' }, h('code', null, j.error.code), ` ${j.error.message}`),
        h('p', null, j.error.retryable ? 'Retryable.' : 'Not retryable.'),
        j.error.details ? h('pre', { class: 'json', tabindex: 0 }, formatJson(j.error.details)) : null,
      );
    } else if (j.resultRef) {
      replace(
        outcome,
        h('h2', null, 'Result'),
        h(
          'p',
          null,
          `Stored separately (${j.resultRef.sizeBytes} bytes): `,
          h('code', null, j.resultRef.url),
        ),
      );
    } else if (j.result !== undefined && j.result !== null) {
      replace(
        outcome,
        h('h2', null, 'Result'),
        h('pre', { class: 'json', tabindex: 0 }, formatJson(j.result)),
      );
    } else replace(outcome);
    cancel.disabled = !canCancel(j);
    retry.disabled = !canRetry(j);
  }

  async function refresh(): Promise<void> {
    try {
      job = await ctx.api.get<Job>(path);
      render();
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }

  async function act(action: 'cancel' | 'retry'): Promise<void> {
    const ok = await confirmAction(
      action === 'cancel' ? 'Cancel this job?' : 'Retry this job?',
      action === 'cancel'
        ? 'A queued job is cancelled at once; a running one is asked to stop.'
        : 'The job goes back to its queue for one more attempt.',
      action === 'cancel' ? 'Cancel job' : 'Retry job',
    );
    if (!ok) return;
    try {
      await ctx.api.post(
        `${path}:${action}`,
        action === 'cancel' ? { reason: 'cancelled from the console' } : {},
      );
      message.show(action === 'cancel' ? 'Cancellation requested.' : 'Retry requested.');
      await refresh();
      // A retried job lives again: follow it from the last event we saw.
      if (action === 'retry') stream.start(stream.lastEventId);
    } catch (err) {
      message.show(describeError(err), 'error');
    }
  }
  cancel.addEventListener('click', () => void act('cancel'));
  retry.addEventListener('click', () => void act('retry'));

  async function start(): Promise<void> {
    try {
      const [loaded, history] = await Promise.all([
        ctx.api.get<Job>(path),
        ctx.api.get<Items<JobEvent>>(`${path}/events`),
      ]);
      job = loaded;
      history.items.forEach(addEvent);
      render();
      const lastSeq = history.items.reduce((max, e) => Math.max(max, e.seq), 0);
      if ((TERMINAL_STATES as readonly string[]).includes(loaded.state)) live.textContent = 'Ended';
      else stream.start(lastSeq);
    } catch (err) {
      message.show(
        err instanceof ApiError && err.status === 404 ? 'No such job.' : describeError(err),
        'error',
      );
    }
  }
  void start();

  const element = h(
    'section',
    { 'aria-labelledby': 'page-title' },
    h('p', null, h('a', { href: pathOf({ page: 'jobs' }) }, '← All jobs')),
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: 'page-title', tabindex: -1, class: 'mono' }, `Job ${id}`),
      live,
    ),
    message.element,
    h('div', { class: 'actions' }, cancel, retry),
    progress,
    h(
      'div',
      { class: 'job-grid' },
      h('div', null, summary, outcome),
      h('div', null, h('h2', null, 'Payload'), payload),
    ),
    h('h2', null, 'Events'),
    timeline,
  );
  return { title: `Job ${id.slice(0, 8)}`, element, dispose: () => stream.stop() };
}
