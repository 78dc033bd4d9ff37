import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { backoffSchema, formatIssues, jobTypeSchema, poolSchema, timeoutsSchema } from '@jobplane/contracts';
import type { HandlerDefinition, JobContext } from '@jobplane/worker-service/handler';

/** A handler as its author declares it: `handle` sees the payload as the schema outputs it. */
export interface HandlerSpec<S extends z.ZodType> extends Omit<HandlerDefinition, 'payload' | 'handle'> {
  payload?: S;
  handle: (ctx: JobContext<z.output<S>>) => Promise<unknown>;
}

const specSchema = z.object({
  type: jobTypeSchema,
  pool: poolSchema.optional(),
  timeouts: timeoutsSchema
    .omit({ retryOnTimeout: true })
    .refine((t) => !t.softMs || !t.hardMs || t.softMs <= t.hardMs, 'softMs must not exceed hardMs')
    .optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100).optional(),
      backoff: backoffSchema.optional(),
    })
    .optional(),
  execution: z.enum(['inline', 'thread', 'process']).optional(),
  memoryLimitMb: z.number().int().min(16).max(65_536).optional(),
  module: z.string().min(1).optional(),
});

/**
 * Declares a handler. Checks the declaration at once (a typo fails at start-up, not on the first
 * job). A handler that runs in a thread or a process is loaded there from its module: by default
 * the file that called `defineHandler`, which must export the definition and have no other side
 * effects worth repeating (keep `startWorker` in a separate file).
 */
export function defineHandler<S extends z.ZodType = z.ZodType<unknown>>(
  spec: HandlerSpec<S>,
): HandlerDefinition<z.output<S>> {
  const checked = specSchema.safeParse(spec);
  if (!checked.success) {
    throw new TypeError(`invalid handler definition "${String(spec.type)}": ${formatIssues(checked.error)}`);
  }
  if (typeof spec.handle !== 'function') throw new TypeError(`handler "${spec.type}" has no handle function`);
  if (spec.payload && typeof (spec.payload as { safeParse?: unknown }).safeParse !== 'function') {
    throw new TypeError(`handler "${spec.type}": payload must be a zod schema`);
  }
  const isolated = spec.execution === 'thread' || spec.execution === 'process';
  const module = spec.module ?? (isolated ? callerFile() : undefined);
  if (isolated && !module) {
    throw new TypeError(`handler "${spec.type}": cannot tell which module defines it; set \`module\``);
  }
  return { ...spec, ...(module ? { module } : {}) } as HandlerDefinition<z.output<S>>;
}

/** The file of the first stack frame outside this one: the module calling `defineHandler`. */
function callerFile(): string | undefined {
  // Possibly undefined (the engine default); restored as it was, never called here.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    const file = frames
      .map((f) => f.getFileName())
      .find((f): f is string => !!f && f !== __filename && !f.startsWith('node:'));
    return file?.startsWith('file:') ? fileURLToPath(file) : file;
  } finally {
    Error.prepareStackTrace = original;
  }
}
