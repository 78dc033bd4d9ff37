import { mkdtempSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (scripts/install-browser.sh); playwright never downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every console error and uncaught page error seen so far, except HTTP error answers (below). */
  errors: string[];
  /**
   * HTTP answers >= 400 to the page's requests: chromium logs each as a console error even when the
   * page handles it (a 400 with field errors the form shows). Tests say which ones they expect.
   */
  httpErrors: { status: number; path: string }[];
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile, recording console and page errors of every page. */
export async function launchBrowser(viewport = { width: 1280, height: 860 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/install-browser.sh (or set CHROMIUM_PATH)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'jobplane-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
  });
  const errors: string[] = [];
  const httpErrors: { status: number; path: string }[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const http = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(msg.text());
      if (http && msg.location().url) {
        httpErrors.push({ status: Number(http[1]), path: new URL(msg.location().url).pathname });
      } else errors.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    errors,
    httpErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
