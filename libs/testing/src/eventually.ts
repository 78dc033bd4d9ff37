/**
 * Polls `probe` until it returns a value accepted by `until` (default: truthy), or fails after
 * `timeoutMs` with the last value seen. The only sanctioned way for tests to wait.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; until?: (value: T) => boolean; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, until = (v: T) => Boolean(v), what = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (until(last)) return last;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError
        ? `last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`
        : `last value: ${JSON.stringify(last)?.slice(0, 500)}`;
      throw new Error(`${what} not reached within ${timeoutMs} ms (${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
