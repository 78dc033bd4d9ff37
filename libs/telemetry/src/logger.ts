import pino, { DestinationStream, Logger } from 'pino';
import { activeTraceIds } from './tracing';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'BOOTSTRAP_ADMIN_KEY',
  '*.BOOTSTRAP_ADMIN_KEY',
  'secret',
  '*.secret',
];

/** JSON logs with the service name on every line; one child logger per class adds `context`. */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Lines logged inside a span carry its ids, so logs and traces join up.
    mixin: activeTraceIds,
  };
  return destination ? pino(options, destination) : pino(options);
}
