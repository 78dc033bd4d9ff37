import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineHandler, NonRetryableError } from '@jobplane/worker-sdk';

/** Counts words: small and quick, so it runs inline on the worker's event loop. */
export const wordCount = defineHandler({
  type: 'example.wordcount',
  pool: 'examples',
  payload: z.object({ text: z.string().max(1_000_000), top: z.number().int().min(1).max(100).default(3) }),
  timeouts: { hardMs: 10_000 },
  handle: async ({ payload, log }) => {
    const counts = new Map<string, number>();
    for (const word of payload.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, payload.top);
    log('counted', { distinct: counts.size });
    return { words: [...counts.values()].reduce((a, b) => a + b, 0), top: Object.fromEntries(top) };
  },
});

/**
 * Hashes `megabytes` of generated data: CPU-bound, so it runs in a child process of its own with a
 * memory cap; it checks its signal between chunks so a cancel stops it at once.
 */
export const checksum = defineHandler({
  type: 'example.checksum',
  pool: 'examples',
  execution: 'process',
  memoryLimitMb: 128,
  payload: z.object({ megabytes: z.number().int().min(1).max(4_096), seed: z.string().max(100).default('') }),
  retry: { maxAttempts: 2, backoff: { type: 'fixed', baseMs: 1_000 } },
  handle: async ({ payload, signal, progress, log }) => {
    if (payload.seed.includes('\n')) throw new NonRetryableError('seed must be one line', 'invalid_seed');
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(1 << 20, payload.seed || 'jobplane');
    for (let i = 1; i <= payload.megabytes; i++) {
      signal.throwIfAborted();
      hash.update(chunk);
      if (i % 16 === 0 || i === payload.megabytes) {
        progress({ percent: (i / payload.megabytes) * 100, step: `${i} MB` });
        await new Promise((r) => setImmediate(r)); // let the abort message in
      }
    }
    log('hashed', { megabytes: payload.megabytes, pid: process.pid });
    return { sha256: hash.digest('hex'), megabytes: payload.megabytes, pid: process.pid };
  },
});
