import { z } from 'zod';
import { defineHandler, type JobContext } from '@jobplane/worker-sdk';
import { LedgerWriter } from './ledger';

export const PROBE_TYPE = 'chaos.probe';
/** Same probe in a child process of its own (memory cap, killable): for `oom` and `hang`. */
export const ISOLATED_PROBE_TYPE = 'chaos.probe.isolated';

export const PROBE_MODES = ['ok', 'throw', 'exit', 'oom', 'hang'] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

export const probePayloadSchema = z.object({
  /** How long a healthy run takes. */
  ms: z.number().int().min(0).max(3_600_000),
  mode: z.enum(PROBE_MODES).default('ok'),
});
export type ProbePayload = z.input<typeof probePayloadSchema>;

const ledger = new LedgerWriter(
  process.env.CHAOS_LEDGER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  process.env.CHAOS_LEDGER_SCHEMA ?? 'chaos_ledger',
);

/** Records the run in the ledger first (so a crash still counts), then behaves as the payload says. */
async function runProbe({
  jobId,
  attempt,
  payload,
  signal,
}: JobContext<z.output<typeof probePayloadSchema>>) {
  const row = await ledger.begin(jobId, attempt);
  switch (payload.mode) {
    case 'ok':
      await sleep(payload.ms, signal);
      await ledger.end(row);
      return { pid: process.pid };
    case 'throw':
      throw new Error('probe: poison that always throws');
    case 'exit':
      // A crash, not a shutdown: no drain, no outcome, the broker sees the connection drop.
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => {});
    case 'oom': {
      // On the V8 heap (Buffers would sit outside it and escape the isolate's heap cap): 8 MB a step.
      const hog: number[][] = [];
      for (;;) {
        hog.push(new Array<number>(1 << 20).fill(hog.length + 0.5));
        await new Promise((r) => setImmediate(r));
      }
    }
    case 'hang':
      // Deaf to its signal: only the hard limit (a kill of its process) ends it.
      return new Promise(() => {});
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

export const probe = defineHandler({ type: PROBE_TYPE, payload: probePayloadSchema, handle: runProbe });

export const isolatedProbe = defineHandler({
  type: ISOLATED_PROBE_TYPE,
  payload: probePayloadSchema,
  execution: 'process',
  memoryLimitMb: 64,
  handle: runProbe,
});
