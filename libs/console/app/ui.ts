/** Pieces shared by the pages: the page contract, messages, the confirm dialog, small widgets. */
import type { Api } from './api';
import { h } from './dom';
import { progressPercent } from './format';
import type { JobProgress, JobState } from './types';

export interface PageContext {
  api: Api;
  /** The console URL's query string (filters). */
  search: string;
  navigate(path: string, replace?: boolean): void;
  /** Says something to screen readers (a polite live region). */
  announce(message: string): void;
}

export interface Page {
  title: string;
  element: HTMLElement;
  /** Stops timers and streams when the user leaves the page. */
  dispose?(): void;
}

/** A message line under a heading: errors are `role=alert`, the rest polite. */
export function messageLine(): { element: HTMLElement; show(text: string, kind?: 'info' | 'error'): void } {
  const element = h('p', { class: 'message', 'aria-live': 'polite', hidden: true });
  return {
    element,
    show(text, kind = 'info') {
      element.textContent = text;
      element.hidden = text === '';
      element.className = `message ${kind}`;
      if (kind === 'error') element.setAttribute('role', 'alert');
      else element.removeAttribute('role');
    },
  };
}

export function stateBadge(state: JobState, cancelRequested = false): HTMLElement {
  return h(
    'span',
    { class: `badge state-${state}` },
    state,
    cancelRequested && (state === 'queued' || state === 'running') ? ' (cancelling)' : null,
  );
}

/** A labelled progress bar (native <progress>, so assistive tech reads the value). */
export function progressBar(
  progress: JobProgress | null | undefined,
  state: JobState,
  label: string,
): HTMLElement {
  const reported = state === 'succeeded' ? 100 : progressPercent(progress);
  // Only a running job without a report gets the indeterminate (animated) bar; a waiting or ended
  // one shows what it reached, or an empty bar.
  const percent = reported ?? (state === 'running' ? null : 0);
  const bar = h('progress', { max: 100, 'aria-label': label, 'data-state': state });
  if (percent !== null) bar.value = percent;
  return h(
    'span',
    { class: 'progress' },
    bar,
    h(
      'span',
      { class: 'progress-text' },
      percent === null ? (state === 'running' ? '…' : '') : `${Math.round(percent)}%`,
    ),
  );
}

/** Asks before a destructive action, in a modal <dialog> (focus is trapped and returned by the browser). */
export function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', { id: 'confirm-text' }, text),
        h(
          'div',
          { class: 'actions' },
          h('button', { value: 'cancel', type: 'submit', class: 'secondary', autofocus: true }, 'Keep it'),
          h('button', { value: 'confirm', type: 'submit', class: 'danger' }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** A table with a caption and headers; rows are filled by the caller. */
export function table(
  caption: string,
  headers: string[],
): { element: HTMLElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const element = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((name) => h('th', { scope: 'col' }, name)),
        ),
      ),
      body,
    ),
  );
  return { element, body };
}

/** A labelled input with a place for its error message (aria-describedby points at it). */
export function field(
  id: string,
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): { element: HTMLElement; setError(messages: string[]): void } {
  control.id = id;
  const error = h('span', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-error`].join(' ').trim());
  return {
    element: h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, error),
    setError(messages) {
      error.textContent = messages.join('; ');
      error.hidden = messages.length === 0;
      if (messages.length > 0) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

/** Runs `fn` now and then every `ms` until disposed; skips a tick while the last run is still going. */
export function poll(fn: () => Promise<void>, ms: number): () => void {
  let busy = false;
  let stopped = false;
  const tick = () => {
    if (busy || stopped) return;
    busy = true;
    // Pages show their own errors; a rejection here must not become an unhandled one.
    void fn()
      .catch(() => undefined)
      .finally(() => (busy = false));
  };
  tick();
  const timer = setInterval(tick, ms);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
