import { randomUUID } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import IORedis, { Redis } from 'ioredis';
import { Backlog, BacklogEntry, bullPriority, entryKey, Lane, TakenEntry } from '../backlog.port';
import { WaitSet } from '../wait-set';

const PREFIX = 'jobplane';
/** How often an idle pool looks for work added by another process (or come due). */
const POLL_MS = 20;

/**
 * The backlog on BullMQ (Redis): one queue per pool (`jobplane:backlog.<pool>`), priorities and
 * delays by BullMQ, entries taken manually (`getNextJob`) only while the conductor has capacity.
 * BullMQ ids are `<jobId>.<attempt>`, so re-adding what the backlog already holds is a no-op.
 */
export class BullmqBacklog implements Backlog {
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly token = randomUUID();
  private readonly waiters = new WaitSet();

  constructor(
    redisUrl: string,
    private readonly keyPrefix = PREFIX,
  ) {
    this.connection = new IORedis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }

  async add(entries: BacklogEntry[]): Promise<void> {
    try {
      await this.addBulk(entries);
    } finally {
      for (const pool of new Set(entries.map((e) => e.pool))) this.waiters.wake(pool);
    }
  }

  private async addBulk(entries: BacklogEntry[]): Promise<void> {
    const byLane = new Map<string, BacklogEntry[]>();
    for (const e of entries) {
      const name = queueName(e);
      byLane.set(name, [...(byLane.get(name) ?? []), e]);
    }
    const now = Date.now();
    await Promise.all(
      [...byLane].map(([name, list]) =>
        this.queue(name).addBulk(
          list.map((e) => ({
            name: 'dispatch',
            data: { jobId: e.jobId, attempt: e.attempt, ...(e.trace ? { trace: e.trace } : {}) },
            opts: {
              jobId: entryKey(e),
              priority: bullPriority(e.priority),
              delay: e.notBefore ? Math.max(0, e.notBefore.getTime() - now) : 0,
              removeOnComplete: true,
              removeOnFail: true,
            },
          })),
        ),
      ),
    );
  }

  async take(lane: Lane): Promise<TakenEntry | null> {
    const job: Job | undefined = await this.worker(queueName(lane)).getNextJob(this.token, { block: false });
    if (!job) return null;
    const { jobId, attempt, trace } = job.data as {
      jobId: string;
      attempt: number;
      trace?: Record<string, string>;
    };
    return {
      jobId,
      attempt,
      trace: trace ?? null,
      done: async () => void (await job.moveToCompleted('dispatched', this.token, false)),
      release: async () => void (await job.moveToWait(this.token)),
    };
  }

  async holds(
    entries: { jobId: string; attempt: number; pool: string; tenant: string }[],
  ): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const e of entries) pipeline.exists(`${this.keyPrefix}:${queueName(e)}:${entryKey(e)}`);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, n]) => n === 1);
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q)
      this.queues.set(name, (q = new Queue(name, { connection: this.connection, prefix: this.keyPrefix })));
    return q;
  }

  /**
   * Manual `getNextJob` does not block, so an idle pool looks again every POLL_MS (work added or
   * come due elsewhere); an add from this process wakes it at once.
   */
  waitForWork(pool: string, maxWaitMs: number): Promise<void> {
    return this.waiters.wait(pool, Math.min(POLL_MS, maxWaitMs));
  }

  private worker(name: string): Worker {
    let w = this.workers.get(name);
    if (!w) {
      w = new Worker(name, null, {
        connection: this.connection,
        prefix: this.keyPrefix,
        autorun: false,
        // Entries are held only while their dispatch commits (milliseconds), so a short lock lets a
        // crashed scheduler's taken entries come back within seconds through the stalled check.
        lockDuration: 5_000,
        stalledInterval: 5_000,
        maxStalledCount: 1_000,
      });
      // Manual workers check for stalled entries only when asked to.
      void w.startStalledCheckTimer().catch(() => undefined);
      this.workers.set(name, w);
    }
    return w;
  }
}

/** `backlog.<pool>.<tenant>`; the tenant is base64url-encoded (BullMQ names may not hold ':'). */
export function queueName(lane: Lane): string {
  return `backlog.${lane.pool}.${Buffer.from(lane.tenant).toString('base64url')}`;
}
