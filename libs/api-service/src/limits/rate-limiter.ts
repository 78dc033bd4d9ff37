import { ERROR_CODES } from '@jobplane/contracts';
import { ApiProblem } from '../problems';

/** Per-tenant request budget: a token bucket of `rate` per second holding `rate × burstSeconds`. */
export interface RateLimiter {
  take(tenant: string): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');

export interface RateLimitSettings {
  /** Requests per second of a tenant; undefined = unlimited. */
  rateOf: (tenant: string) => number | undefined;
  burstSeconds: number;
}

export const bucketSize = (rate: number, burstSeconds: number) =>
  Math.max(1, Math.round(rate * burstSeconds));

/**
 * The bucket arithmetic shared by the memory limiter and the Redis script (which repeats it in
 * Lua): refill by elapsed time, then spend one token or say when one will be there.
 */
export function spend(
  bucket: { tokens: number; at: number },
  now: number,
  rate: number,
  size: number,
): { allowed: boolean; retryAfterMs: number } {
  const tokens = Math.min(size, bucket.tokens + ((now - bucket.at) * rate) / 1000);
  bucket.at = now;
  if (tokens >= 1) {
    bucket.tokens = tokens - 1;
    return { allowed: true, retryAfterMs: 0 };
  }
  bucket.tokens = tokens;
  return { allowed: false, retryAfterMs: Math.ceil(((1 - tokens) * 1000) / rate) };
}

/** One process's buckets: embedded mode (a single API), and tests. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  take(tenant: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const rate = this.settings.rateOf(tenant);
    if (rate === undefined || rate <= 0) return Promise.resolve({ allowed: true, retryAfterMs: 0 });
    const size = bucketSize(rate, this.settings.burstSeconds);
    let bucket = this.buckets.get(tenant);
    if (!bucket) {
      bucket = { tokens: size, at: this.now() };
      this.buckets.set(tenant, bucket);
    }
    return Promise.resolve(spend(bucket, this.now(), rate, size));
  }
}

export const UNLIMITED: RateLimiter = { take: () => Promise.resolve({ allowed: true, retryAfterMs: 0 }) };

export function rateLimitedProblem(tenant: string, retryAfterMs: number): ApiProblem {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiProblem(
    429,
    ERROR_CODES.rateLimited,
    'Too many requests',
    `tenant ${tenant} is over its request rate (TENANT_RATE_LIMIT); retry after ${seconds} s`,
    undefined,
    { 'retry-after': String(seconds) },
  );
}
