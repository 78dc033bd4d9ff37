/**
 * Whether an error means a backing store (Postgres, Redis) is down or saturated rather than a bug.
 * The api answers such a request 503 with Retry-After; a message consumer keeps its deliveries and
 * retries instead of requeueing them into their delivery limit (both found by the chaos suite's
 * Postgres restart).
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** Postgres SQLSTATEs: shutting down, cannot connect now, too many connections, out of resources. */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '53000', '53200']);
const MESSAGES = [
  /timeout exceeded when trying to connect/i, // pg-pool: no connection free within the timeout
  /connection terminated/i, // pg: the server closed the connection
  /Connection is closed/i, // ioredis
  /MaxRetriesPerRequest/i, // ioredis gave up while Redis is down
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08'))
    )
      return true;
    if (name === 'MaxRetriesPerRequestError') return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    // TypeORM wraps the driver's error; Node wraps causes.
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
