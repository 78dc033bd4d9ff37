/** Small helpers shared by the adapters: logging, backoff, abortable waits. */
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** Pino-compatible subset; the adapters log every connection state change through it. */
export interface BusLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** Fallback when the host injects no logger. */
function toConsole(write: (...args: unknown[]) => void): LogFn {
  return (o, m) => (typeof o === 'string' ? write(o) : write(m ?? '', o));
}
export const consoleLogger: BusLogger = {
  info: toConsole(console.info),
  warn: toConsole(console.warn),
  error: toConsole(console.error),
};

export const silentLogger: BusLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exponential backoff with ±20% jitter, never above `maxMs` (jitter is applied under the cap). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs / 1.2, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Sleeps `ms`; resolves false instead of throwing when `signal` aborts (e.g. the bus closes). */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves when `emitter` emits `event` or after `ms`, whichever is first; leaves no timer behind. */
export function onceOrTimeout(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    emitter.on(event, done);
  });
}

/** `amqp://host:port/vhost` without credentials, safe for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<unparseable AMQP URL>';
  }
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}
