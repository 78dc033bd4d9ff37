const BEFORE_MS = 10_000;
const WINDOW_MS = 5_000;

/**
 * Seconds from the fault until completions per second, over a sliding 5 s window, are back to 90%
 * of the rate of the 10 s before the fault. 0 if they never dropped below it; null when there was
 * no throughput before the fault to compare with, or it never came back.
 */
export function recoverySeconds(finishedAt: number[], faultAt: number): number | null {
  const t = [...finishedAt].sort((a, b) => a - b);
  const inRange = (from: number, to: number) => t.filter((x) => x >= from && x < to).length;
  const before = inRange(faultAt - BEFORE_MS, faultAt) / (BEFORE_MS / 1000);
  if (before === 0) return null;
  const last = t.at(-1) ?? faultAt;
  for (let start = faultAt; start + WINDOW_MS <= last + 1; start += 250) {
    if (inRange(start, start + WINDOW_MS) / (WINDOW_MS / 1000) >= 0.9 * before) {
      return Math.round((start - faultAt) / 100) / 10;
    }
  }
  return null;
}
