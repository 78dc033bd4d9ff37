import { REPO_ROOT } from '@jobplane/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, type Browser } from './browser';
import { useStack } from './jobs';

const JOBS = 10_000;
const LOADS = 5;

/**
 * Measures (and prints) the console's size and the time to first render of the jobs page with
 * 10,000 jobs in the tenant: navigation start -> the `console:jobs-rendered` performance mark the
 * page sets once its first table is in the DOM. Reports numbers; asserts only that the page shows
 * the newest jobs (timing targets belong in benchmarks, not in pass/fail tests).
 */
describe('web console first render with 10,000 jobs (distributed, chromium)', () => {
  const ctx = useStack({
    workers: 1,
    env: { TENANT_RATE_LIMIT: '*:100000', TENANT_MAX_QUEUED: '*:100000' },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('renders the first page of the jobs table', async () => {
    // Due in an hour: they stay queued, so the machine does not spend the test running them.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const submitStart = Date.now();
    for (let i = 0; i < JOBS / 1000; i++) {
      const res = await ctx.api.post<{ items: { ok: boolean }[] }>('/v1/jobs:batch', {
        jobs: Array.from({ length: 1000 }, (_, j) => ({
          type: 'debug.echo',
          runAt,
          payload: { n: i * 1000 + j },
        })),
      });
      expect(res.status).toBe(200);
      expect(res.body.items.every((item) => item.ok)).toBe(true);
    }
    const submitMs = Date.now() - submitStart;
    const newest = (await ctx.api.get<{ items: { id: string }[] }>('/v1/jobs?limit=1')).body.items[0]!.id;

    const { page } = browser;
    await page.goto(`${ctx.stack.apiUrl}/console/`);
    await page.getByLabel('API key').fill(ctx.stack.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tbody tr[data-job-id]').first().waitFor();

    const renders: number[] = [];
    const paints: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      await page.reload();
      // A function, not a string: the console's CSP forbids eval in the page.
      await page.waitForFunction(() => performance.getEntriesByName('console:jobs-rendered').length > 0);
      renders.push(
        await page.evaluate<number>("performance.getEntriesByName('console:jobs-rendered')[0].startTime"),
      );
      paints.push(
        await page.evaluate<number>(
          "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN",
        ),
      );
    }
    expect(await page.locator('tbody tr[data-job-id]').count()).toBe(50);
    expect(await page.locator('tbody tr[data-job-id]').first().getAttribute('data-job-id')).toBe(newest);
    expect(browser.errors).toEqual([]);
    expect(browser.httpErrors).toEqual([]);

    const sizes = JSON.parse(readFileSync(join(REPO_ROOT, 'libs/console/dist/console-sizes.json'), 'utf8'));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `console: bundle ${sizes.rawBytes} B raw, ${sizes.gzipBytes} B gzip; jobs page with ${JOBS} jobs: ` +
        `first render median ${median(renders).toFixed(0)} ms (runs ${renders.map((r) => r.toFixed(0)).join(', ')}), ` +
        `first contentful paint median ${median(paints).toFixed(0)} ms (submitting them took ${submitMs} ms)`,
    );
  });
});
