import { randomUUID } from 'node:crypto';
import IORedis, { Redis } from 'ioredis';

/** Who runs the conductor: one replica at a time. */
export interface LeaderLease {
  /** Tries to take or keep the lease; true while this process holds it. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Embedded mode: one process, always the leader. */
export class SoleLeader implements LeaderLease {
  async renew() {
    return true;
  }
  async release() {}
}

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A Redis lease (SET NX PX, renewed by its holder). Losing it only costs throughput, never
 * correctness: every dispatch is also guarded by the job's attempt in Postgres.
 */
export class RedisLeaderLease implements LeaderLease {
  private readonly redis: Redis;
  private readonly id = randomUUID();

  constructor(
    redisUrl: string,
    private readonly key = 'jobplane:scheduler:leader',
    private readonly ttlMs = 6_000,
  ) {
    this.redis = new IORedis(redisUrl, { maxRetriesPerRequest: 2 });
  }

  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.id, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.id).catch(() => undefined);
    this.redis.disconnect();
  }
}
