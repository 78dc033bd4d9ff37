/** The console shell: sign-in with an API key, navigation, and one page at a time. */
import { Api, ApiError, describeError } from './api';
import { h, replace } from './dom';
import { jobPage } from './pages/job';
import { jobsPage } from './pages/jobs';
import { poolsPage } from './pages/pools';
import { schedulesPage } from './pages/schedules';
import { submitPage } from './pages/submit';
import { workersPage } from './pages/workers';
import { BASE, parseRoute, pathOf, type Route } from './router';
import { clearKey, loadKey, saveKey } from './session';
import { field, messageLine, type Page, type PageContext } from './ui';

const NAV: { route: Route; label: string }[] = [
  { route: { page: 'jobs' }, label: 'Jobs' },
  { route: { page: 'pools' }, label: 'Pools' },
  { route: { page: 'workers' }, label: 'Workers' },
  { route: { page: 'schedules' }, label: 'Schedules' },
  { route: { page: 'submit' }, label: 'Submit' },
];

const root = document.getElementById('app') as HTMLElement;
const announcer = document.getElementById('announcer') as HTMLElement;
let current: Page | null = null;

function announce(message: string): void {
  announcer.textContent = '';
  // A fresh text node after a tick makes screen readers read a repeated message again.
  setTimeout(() => (announcer.textContent = message), 50);
}

function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function signOut(): void {
  clearKey();
  navigate(`${BASE}/`, true);
}

function loginScreen(reason?: string): void {
  const key = h('input', {
    type: 'password',
    name: 'apiKey',
    autocomplete: 'off',
    required: true,
    spellcheck: false,
  });
  const keyField = field('api-key', 'API key', key, 'jp_… (kept in this tab only, until it closes)');
  const message = messageLine();
  if (reason) message.show(reason, 'error');
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'jobplane console'),
    h(
      'p',
      null,
      'Sign in with an API key (scope jobs:read to look; jobs:write to submit and cancel; admin for pools).',
    ),
    keyField.element,
    message.element,
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = key.value.trim();
    if (!value) {
      keyField.setError(['Paste an API key']);
      key.focus();
      return;
    }
    button.disabled = true;
    // Any read tells whether the key works; pools need only jobs:read.
    new Api(value)
      .get('/v1/pools')
      .then(() => {
        saveKey(value);
        render();
      })
      .catch((err: unknown) => {
        button.disabled = false;
        message.show(
          err instanceof ApiError && err.status === 401 ? 'This key was refused.' : describeError(err),
          'error',
        );
        key.focus();
      });
  });
  document.title = 'Sign in · jobplane';
  replace(root, h('main', { id: 'main' }, form));
  key.focus();
}

function pageFor(route: Route, ctx: PageContext): Page {
  switch (route.page) {
    case 'jobs':
      return jobsPage(ctx);
    case 'job':
      return jobPage(ctx, route.id);
    case 'pools':
      return poolsPage(ctx);
    case 'workers':
      return workersPage(ctx);
    case 'schedules':
      return schedulesPage(ctx);
    case 'submit':
      return submitPage(ctx);
    case 'not-found':
      return {
        title: 'Not found',
        element: h(
          'section',
          null,
          h('h1', { id: 'page-title', tabindex: -1 }, 'Not found'),
          h('p', null, `No page at ${route.path}.`),
        ),
      };
  }
}

function render(): void {
  current?.dispose?.();
  current = null;
  const key = loadKey();
  if (!key) return loginScreen();
  const api = new Api(key, () => {
    clearKey();
    current?.dispose?.();
    current = null;
    loginScreen('The API key was refused (revoked or expired). Sign in again.');
  });
  const route = parseRoute(location.pathname);
  const active = route.page === 'job' ? 'jobs' : route.page;
  const ctx: PageContext = { api, search: location.search, navigate, announce };
  current = pageFor(route, ctx);
  document.title = `${current.title} · jobplane`;
  const nav = h(
    'nav',
    { 'aria-label': 'Console' },
    h(
      'ul',
      null,
      NAV.map(({ route: r, label }) =>
        h(
          'li',
          null,
          h('a', { href: pathOf(r), 'aria-current': r.page === active ? 'page' : undefined }, label),
        ),
      ),
    ),
  );
  const signOutButton = h('button', { type: 'button', class: 'secondary sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', signOut);
  replace(
    root,
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', null, h('a', { class: 'brand', href: `${BASE}/` }, 'jobplane'), nav, signOutButton),
    h('main', { id: 'main' }, current.element),
  );
}

// In-app links change the page without a reload (modified clicks still open tabs as usual).
document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE) || a.target) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
  // Move focus to the new page's heading so keyboard and screen reader users land there.
  document.getElementById('page-title')?.focus();
});
window.addEventListener('popstate', render);

if (location.pathname === BASE || location.pathname === `${BASE}/`)
  history.replaceState(null, '', pathOf({ page: 'jobs' }) + location.search);
render();
