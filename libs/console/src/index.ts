import { join } from 'node:path';

/**
 * Directory of the console's built static files (index.html plus content-hashed script and style),
 * written by build.mjs to dist/web. Resolved from the package root so it is the same whether this
 * module runs built (dist/) or from source in unit tests (src/). The api serves it at /console.
 */
export const CONSOLE_ASSETS_DIR = join(__dirname, '..', 'dist', 'web');

/** The URL prefix the console expects to be served under (its index.html links assets there). */
export const CONSOLE_BASE_PATH = '/console';
