import type { Database } from './database';
import { ClaimedOutboxMessage, deleteOutbox, leaseOutbox, releaseOutbox } from './outbox';

export interface OutboxRelayOptions {
  /** Publishes a batch; resolves only once the broker confirmed all of it. */
  publish: (messages: ClaimedOutboxMessage[]) => Promise<void>;
  batchSize?: number;
  /** Fallback poll for rows written by other processes or left by a crash. */
  pollIntervalMs?: number;
  onError?: (err: unknown) => void;
  /** How long a batch is reserved for one relay's publish before another relay may take it. */
  leaseMs?: number;
}

/**
 * Moves committed outbox rows to the bus: lease a batch (SKIP LOCKED, so replicas share the work;
 * committed), publish with confirms, delete. A crash between publish and delete republishes the
 * batch once the lease ends, so delivery is at-least-once: lifecycle consumers deduplicate by
 * message id, and a row leased before is published as `republish` so workers claim its dispatch
 * before running it (a dispatch is not deduplicated by id: each delivery would run).
 */
export class OutboxRelay {
  private running = false;
  private wake: (() => void) | null = null;
  private kicked = false;
  private loop: Promise<void> | null = null;
  relayed = 0;

  constructor(
    private readonly db: Database,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Relay now (call after committing a transaction that wrote outbox rows). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Relays until the outbox is empty; returns how many messages moved. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.relayBatch();
      total += n;
      if (n === 0) return total;
    }
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      try {
        this.kicked = false;
        const n = await this.relayBatch();
        if (n >= batchSize || this.kicked) continue;
      } catch (err) {
        this.options.onError?.(err);
      }
      await this.sleep(this.options.pollIntervalMs ?? 500);
    }
  }

  private async relayBatch(): Promise<number> {
    const batch = await this.db.transaction((tx) =>
      leaseOutbox(tx, this.options.batchSize ?? 500, this.options.leaseMs ?? 10_000),
    );
    if (batch.length === 0) return 0;
    const ids = batch.map((m) => m.id);
    try {
      await this.options.publish(batch);
    } catch (err) {
      await this.db.transaction((tx) => releaseOutbox(tx, ids)).catch(() => undefined);
      throw err;
    }
    await this.db.transaction((tx) => deleteOutbox(tx, ids));
    this.relayed += batch.length;
    return batch.length;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || this.kicked) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
