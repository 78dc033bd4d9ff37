import { NonRetryableError, HandlerDefinition } from '../handler';

/** Sleeps `seconds` (max 1 day), reporting progress each second; stops at once when cancelled. */
export const sleepHandler: HandlerDefinition<{ seconds?: unknown }> = {
  type: 'sleep',
  handle: async ({ payload, signal, progress }) => {
    const seconds = Number(payload?.seconds ?? 1);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) {
      throw new NonRetryableError('payload.seconds must be a number between 0 and 86400', 'invalid_payload');
    }
    const started = Date.now();
    const endAt = started + seconds * 1000;
    while (Date.now() < endAt) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(1000, endAt - Date.now()));
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      progress({ percent: Math.min(100, ((Date.now() - started) / (seconds * 1000 || 1)) * 100) });
    }
    signal.throwIfAborted();
    return { slept: seconds };
  },
};
