import IORedis, { Redis } from 'ioredis';
import { bucketSize, RateLimiter, RateLimitSettings } from './rate-limiter';

/**
 * The token bucket of `spend()` as one Lua script, so every API replica draws from the same bucket
 * atomically. Redis's own clock is used, so replicas' clock skew does not matter. The key expires
 * once a full bucket would have refilled, so idle tenants cost nothing.
 */
const SCRIPT = `
local rate = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or size
local at = tonumber(b[2]) or now
tokens = math.min(size, tokens + (math.max(0, now - at) * rate) / 1000)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(size * 1000 / rate) + 1000)
return {allowed, retry}
`;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly settings: RateLimitSettings,
    /** Redis unreachable: the request is let through (a limiter outage must not stop the API). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    redis.defineCommand('jobplaneRateLimit', { numberOfKeys: 1, lua: SCRIPT });
  }

  async take(tenant: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const rate = this.settings.rateOf(tenant);
    if (rate === undefined || rate <= 0) return { allowed: true, retryAfterMs: 0 };
    const size = bucketSize(rate, this.settings.burstSeconds);
    const run = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<[number, number]>>)
      .jobplaneRateLimit!;
    try {
      const [allowed, retryAfterMs] = await run.call(
        this.redis,
        `${this.prefix}:ratelimit:${tenant}`,
        rate,
        size,
      );
      return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs) };
    } catch (err) {
      this.onError(err);
      return { allowed: true, retryAfterMs: 0 };
    }
  }
}

/** A Redis limiter on its own connection; commands fail fast while Redis is away (and let requests through). */
export function connectRedisRateLimiter(
  url: string,
  prefix: string,
  settings: RateLimitSettings,
  onError: (err: unknown) => void,
): { limiter: RedisRateLimiter; close: () => Promise<void> } {
  const redis = new IORedis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'jobplane-api-ratelimit',
  });
  redis.on('error', onError);
  return {
    limiter: new RedisRateLimiter(redis, prefix, settings, onError),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
