import type { HandlerAnnouncement } from '@jobplane/contracts';
import { z } from 'zod';
import type { HandlerDefinition, HandlerRegistry } from './handler';

/**
 * The payload's JSON Schema as callers must send it (`io: 'input'`), or null: no schema, or one
 * JSON Schema cannot express (a custom refinement, a Date, a schema from another zod copy). A
 * schema that cannot be converted must not stop the worker from announcing its handler.
 */
export function payloadJsonSchema(schema: z.ZodType<unknown> | undefined): Record<string, unknown> | null {
  if (!schema) return null;
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' });
  } catch {
    return null;
  }
}

/** What a worker tells the registry about one handler (defaults the scheduler may apply). */
export function announcementOf(def: HandlerDefinition): HandlerAnnouncement {
  const timeouts = pick(def.timeouts, ['softMs', 'hardMs']);
  const retry = pick(def.retry, ['maxAttempts', 'backoff']);
  return {
    type: def.type,
    pool: def.pool ?? null,
    execution: def.execution ?? 'inline',
    ...(timeouts ? { timeouts } : {}),
    ...(retry ? { retry } : {}),
    payloadSchema: payloadJsonSchema(def.payload),
  };
}

/** Announcements of every registered handler, computed once (the heartbeat repeats them). */
export function announcementsOf(registry: HandlerRegistry): HandlerAnnouncement[] {
  return registry.types().map((t) => announcementOf(registry.get(t)!));
}

/** The declared keys of `value` (undefined when none is set), so absent stays absent on the wire. */
function pick<T extends object, K extends keyof T>(value: T | undefined, keys: K[]): Pick<T, K> | undefined {
  if (!value) return undefined;
  const out = {} as Pick<T, K>;
  for (const k of keys) if (value[k] !== undefined) out[k] = value[k];
  return Object.keys(out).length > 0 ? out : undefined;
}
