import type { JobError, Progress } from '@jobplane/contracts';
import type { LogLevel } from '../handler';

/** What the isolated handler sees of its job (everything but the functions, which are relayed). */
export interface IsolatedJob {
  jobId: string;
  tenant: string;
  type: string;
  pool: string;
  attempt: number;
  maxAttempts: number;
  payload: unknown;
  labels: Record<string, string>;
}

/** Worker -> isolate. */
export type ToIsolate = { kind: 'run'; module: string; job: IsolatedJob } | { kind: 'abort'; reason: string };

/** Isolate -> worker. */
export type FromIsolate =
  | { kind: 'progress'; progress: Progress }
  | { kind: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> }
  | { kind: 'heartbeat' }
  | { kind: 'result'; ok: true; result: unknown }
  | { kind: 'result'; ok: false; error: JobError };

export { ISOLATE_ENV } from '../handler';

/** Error codes of isolate failures (retryable: another attempt may well fit). */
export const ISOLATE_ERRORS = {
  crashed: 'isolate_crashed',
  outOfMemory: 'isolate_out_of_memory',
  handlerNotFound: 'handler_not_found',
} as const;
