import type { JobLog } from '../handler';

/** A handler context's log that drops every line (unit tests of handlers). */
export const silentLog: JobLog = Object.assign(() => undefined, {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
