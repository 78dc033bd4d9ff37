import type { JobView } from '@jobplane/contracts';
import { eventually, REPO_ROOT } from '@jobplane/testing';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

const ARTIFACTS = join(REPO_ROOT, 'e2e', 'artifacts', 'console');
/** CONSOLE_DOC_SCREENSHOTS=1 also refreshes the two screenshots the README shows. */
const DOC_IMAGES = process.env.CONSOLE_DOC_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'images') : null;

/**
 * The web console in a real headless chromium against the distributed stack: sign in, submit from
 * the form and watch the progress bar, cancel, filter, pause a pool and see dispatch stop. Any
 * browser console error or page error fails the test.
 */
describe('web console (distributed, chromium)', () => {
  const ctx = useStack({
    workers: 1,
    workerPools: 'default:4,side:2',
    env: { TENANT_RATE_LIMIT: '*:100000' },
  });
  let browser: Browser;
  let page: Page;
  /** HTTP error answers the console is expected to meet (and handle) in the current test. */
  const expectedNow: { status: number; path: string }[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
    page = browser.page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    const errors = browser.errors.splice(0);
    const unexpectedHttp = browser.httpErrors
      .splice(0)
      .filter((e) => !expectedNow.some((x) => x.status === e.status && x.path === e.path));
    expectedNow.length = 0;
    expect(errors).toEqual([]);
    expect(unexpectedHttp).toEqual([]);
  });

  async function shot(name: string, docName?: string, fullPage = true): Promise<void> {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage });
    if (DOC_IMAGES && docName) copyFileSync(path, join(DOC_IMAGES, docName));
  }

  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name });
  const jobState = () => page.locator('.summary dd .badge').first().textContent();

  it('serves the console without a key and signs in with one', async () => {
    const res = await page.goto(`${ctx.stack.apiUrl}/`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${ctx.stack.apiUrl}/console/jobs`);
    await page.getByRole('heading', { name: 'jobplane console' }).waitFor();
    await shot('login');
    await page.getByLabel('API key').fill(ctx.stack.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Jobs').waitFor();
    await page.getByText('● Live').waitFor();
    // The key stays in this tab's sessionStorage, never in a cookie or the page URL.
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    expect((await browser.context.cookies()).length).toBe(0);
  });

  it('submits a sleep job from the form and follows its progress bar to done', async () => {
    await nav('Submit').click();
    await heading('Submit a job').waitFor();
    // The types come from GET /v1/handlers; picking one shows its payload schema.
    const schema = page.getByLabel('Payload schema');
    await page.getByLabel('Job type').selectOption('simulation.mock');
    await schema.filter({ hasText: '"stepMs"' }).waitFor();
    await page.getByLabel('Job type').selectOption('sleep'); // built in without a zod schema
    await schema.filter({ hasText: 'declares no schema' }).waitFor();
    await page.getByLabel('Labels').fill('team:console, run:e2e');
    await page.getByLabel('Payload (JSON)').fill('{"seconds": 4}');
    await shot('submit');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/\/console\/jobs\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;

    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    const seen = new Set<number>();
    await eventually(
      async () => {
        const value = await bar.evaluate((el) => (el as unknown as { value: number }).value);
        seen.add(Math.round(value));
        return jobState();
      },
      {
        until: (s) => s === 'succeeded',
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'job page showing succeeded',
      },
    );
    expect(await bar.evaluate((el) => (el as unknown as { value: number }).value)).toBe(100);
    // It moved through at least one value between the ends, live, without a reload.
    expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
    await page.getByRole('heading', { name: 'Result' }).waitFor();
    const timeline = await page
      .locator('.timeline li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    expect(timeline[0]).toBe('submitted');
    expect(timeline.at(-1)).toBe('succeeded');
    expect(timeline).toContain('progress');
    expect((await waitForState(ctx.api, id, TERMINAL)).state).toBe('succeeded');
    await shot('job', 'console-job.png');
  });

  it('cancels a running job after confirming in a dialog', async () => {
    const job = await submit(ctx.api, {
      type: 'sleep',
      payload: { seconds: 60 },
      labels: { team: 'console' },
    });
    await waitForState(ctx.api, job.id, ['running']);
    await page.goto(`${ctx.stack.apiUrl}/console/jobs/${job.id}`);
    await eventually(jobState, { until: (s) => s === 'running', what: 'job page showing running' });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this job?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel job' }).click();
    await eventually(jobState, {
      until: (s) => s === 'cancelled',
      timeoutMs: 15_000,
      what: 'job page showing cancelled',
    });
    expect((await ctx.api.get<JobView>(`/v1/jobs/${job.id}`)).body.state).toBe('cancelled');
    await page.getByRole('button', { name: 'Retry job' }).waitFor();
    expect(await page.getByRole('button', { name: 'Retry job' }).isEnabled()).toBe(true);
  });

  it('filters the jobs table by state, type and label, and pages with the cursor', async () => {
    const echoes = await ctx.api.post<{ items: { ok: boolean }[] }>('/v1/jobs:batch', {
      jobs: Array.from({ length: 55 }, (_, i) => ({
        type: 'debug.echo',
        payload: { i },
        labels: { batch: 'b1' },
      })),
    });
    expect(echoes.body.items.every((i) => i.ok)).toBe(true);
    await nav('Jobs').click();
    await heading('Jobs').waitFor();

    await page.getByLabel('State').selectOption('cancelled');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/state=cancelled/);
    await eventually(() => rowStates(page), {
      until: (s) => s.length === 1 && s[0] === 'cancelled',
      what: 'one cancelled row',
    });

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Labels').fill('batch:b1');
    await page.getByLabel('Type').fill('debug.echo');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/label=batch%3Ab1/);
    await eventually(() => rowStates(page), { until: (s) => s.length === 50, what: 'a full first page' });
    expect(await page.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(
      Array(50).fill('debug.echo'),
    );
    await page.getByRole('button', { name: 'Older →' }).click();
    await eventually(() => rowStates(page), {
      until: (s) => s.length === 5,
      what: 'the 5 remaining on page 2',
    });
    await page.getByRole('button', { name: '← Newer' }).click();
    await eventually(() => rowStates(page), { until: (s) => s.length === 50, what: 'page 1 again' });

    // Live: jobs submitted while the table is open appear on it and turn succeeded, without a reload.
    await page.getByRole('button', { name: 'Clear' }).click();
    await eventually(() => rowStates(page), {
      until: (s) => s.length === 50,
      what: 'the unfiltered first page',
    });
    const navigations = await page.evaluate("performance.getEntriesByType('navigation').length");
    const fresh = await ctx.api.post<{ items: { job: JobView }[] }>('/v1/jobs:batch', {
      jobs: Array.from({ length: 8 }, (_, i) => ({ type: 'sleep', payload: { seconds: 0.5 + i * 0.1 } })),
    });
    const freshIds = fresh.body.items.map((i) => i.job.id);
    await eventually(() => statesOf(page, freshIds), {
      until: (s) => s.every((state) => state === 'succeeded'),
      timeoutMs: 30_000,
      what: 'the new jobs shown and succeeded, live',
    });
    expect(await page.evaluate("performance.getEntriesByType('navigation').length")).toBe(navigations);
    await shot('jobs', 'console-jobs.png', false);
  });

  it('pauses a pool: a job submitted to it stays queued, then runs after resume', async () => {
    expect((await ctx.api.request('PATCH', '/v1/pools/side', { capacity: 2 })).status).toBe(200);
    await nav('Pools').click();
    await heading('Pools').waitFor();
    const row = page.locator('tr[data-pool="side"]');
    await row.waitFor();

    await row.getByLabel('Capacity of pool side').fill('3');
    await row.getByRole('button', { name: 'Set capacity' }).click();
    await page.getByText('Pool side capacity set to 3.').first().waitFor();
    await eventually(async () => (await ctx.api.get('/v1/pools/side')).body.capacity, {
      until: (c) => c === 3,
    });

    await row.getByRole('button', { name: 'Pause side' }).click();
    await page
      .getByRole('dialog', { name: 'Pause pool side?' })
      .getByRole('button', { name: 'Pause pool' })
      .click();
    await page.locator('tr[data-pool="side"][data-paused="true"]').waitFor();
    // The scheduler's conductor reads pool settings every 250 ms: a pause binds dispatch from its
    // next refresh, not from the PATCH's answer (a job dispatches in ~100 ms now, so wait it out).
    await new Promise((r) => setTimeout(r, 1000));

    const held = await submit(ctx.api, { type: 'debug.echo', pool: 'side', payload: { held: true } });
    await page.locator('tr[data-pool="side"] td.backlog', { hasText: '1' }).waitFor({ timeout: 10_000 });
    await shot('pools');
    // Paused: not dispatched for a while (the scheduler ticks several times in 3 s).
    await new Promise((r) => setTimeout(r, 3000));
    expect((await ctx.api.get<JobView>(`/v1/jobs/${held.id}`)).body.state).toBe('queued');

    await page.locator('tr[data-pool="side"]').getByRole('button', { name: 'Resume side' }).click();
    await page.locator('tr[data-pool="side"][data-paused="false"]').waitFor();
    expect((await waitForState(ctx.api, held.id, TERMINAL)).state).toBe('succeeded');
  });

  it('lists workers and creates a schedule, showing the API’s field errors', async () => {
    await nav('Workers').click();
    await heading('Workers').waitFor();
    const worker = page.locator('tbody tr[data-worker][data-state="online"]');
    await worker.waitFor();
    expect(await worker.count()).toBe(1);
    const pools = await worker.locator('td').nth(1).textContent();
    expect(pools).toMatch(/default: \d+ \/ 4/);
    expect(pools).toMatch(/side: \d+ \/ 2/);
    expect(await worker.locator('td').nth(2).textContent()).toContain('sleep');
    await shot('workers');

    await nav('Schedules').click();
    await heading('Schedules').waitFor();
    await page.getByLabel('Name').fill('console-nightly');
    await page.getByLabel('Cron').fill('not a cron');
    await page.getByLabel('Job type').fill('debug.echo');
    expectedNow.push({ status: 400, path: '/v1/schedules' });
    await page.getByRole('button', { name: 'Create schedule' }).click();
    const cronError = page.locator('#s-cron-error');
    await cronError.waitFor();
    expect((await cronError.textContent())?.length).toBeGreaterThan(0); // the API's message for the field
    expect(await page.getByLabel('Cron').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Cron').fill('0 3 * * *');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    const created = page.locator('tr[data-schedule]', { hasText: 'console-nightly' });
    await created.waitFor();
    // Its next runs (from the API's nextRuns) are listed while it is active.
    expect(await created.locator('td').nth(2).textContent()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:00/);
    await created.getByRole('button', { name: 'Pause schedule console-nightly' }).click();
    await page.locator('tr[data-schedule]', { hasText: 'paused' }).waitFor();
    await shot('schedules');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Jobs').click();
    await heading('Jobs').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0); // wide tables scroll inside their own box
    await shot('jobs-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });
});

function statesOf(page: Page, ids: string[]): Promise<(string | null)[]> {
  return Promise.all(
    ids.map(async (id) => {
      const row = page.locator(`tbody tr[data-job-id="${id}"]`);
      return (await row.count()) === 0 ? null : row.getAttribute('data-state');
    }),
  );
}

function rowStates(page: Page): Promise<(string | null)[]> {
  return page
    .locator('tbody tr[data-job-id]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
}
