import type { Progress } from '@jobplane/contracts';
import { AnyHandlerDefinition, HandlerDefinition, JobContext, JobLog, validatePayload } from '../handler';

/** A handler context's log that drops every line. */
export const silentLog: JobLog = Object.assign(() => undefined, {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** Runs one attempt of a handler as the worker would: payload validated, then `handle` with a context. */
export function runHandler(
  def: AnyHandlerDefinition,
  payload: unknown,
  opts: { jobId?: string; signal?: AbortSignal; progress?: (p: Progress) => void } = {},
): Promise<Record<string, any>> {
  const ctx: JobContext<never> = {
    jobId: opts.jobId ?? 'j1',
    tenant: 't',
    type: def.type,
    pool: 'default',
    labels: {},
    attempt: 1,
    maxAttempts: 1,
    payload: validatePayload(def as HandlerDefinition<unknown>, payload) as never,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLog,
    heartbeat: () => undefined,
    progress: opts.progress ?? (() => undefined),
  };
  return def.handle(ctx) as Promise<Record<string, any>>;
}
