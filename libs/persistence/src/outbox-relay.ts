import type { CommittedOutboxRow, Database } from './database';
import { claimOutbox, ClaimedOutboxMessage, deleteOutbox } from './outbox';

export interface OutboxRelayOptions {
  /** Publishes a batch; resolves only once the broker confirmed all of it. */
  publish: (messages: ClaimedOutboxMessage[]) => Promise<void>;
  batchSize?: number;
  /** Fallback poll for rows written by other processes or left by a crash. */
  pollIntervalMs?: number;
  onError?: (err: unknown) => void;
  /**
   * Publish this process's rows as their transaction commits (default on). The poller then leaves
   * rows younger than `eagerGraceMs` alone: they belong to the relay of the process that wrote them.
   */
  eager?: boolean;
  eagerGraceMs?: number;
}

/** Rows younger than this are their writer's to publish; the poller takes them only once older. */
const EAGER_GRACE_MS = 10_000;

/**
 * Moves committed outbox rows to the bus, at least once (consumers deduplicate by message id):
 * - eagerly: the rows a transaction of this process wrote are handed over as it commits, published
 *   with confirms (the rows of transactions committing meanwhile go in the next batch) and then
 *   deleted. No claim query and no wait for a poll: the publish is the only step between a commit
 *   and the message on the bus. A batch the broker refuses is retried for half the grace, then left
 *   to the poller, so writer and poller never both publish a row they both think is theirs.
 * - by polling: claim the oldest rows past the grace (SKIP LOCKED, so replicas share the work),
 *   publish, delete, commit. It finds rows of processes that crashed or gave up, and, with `eager`
 *   off, every row (a `kick` after a commit then relays at once).
 */
export class OutboxRelay {
  private running = false;
  private wake: (() => void) | null = null;
  private kicked = false;
  private loop: Promise<void> | null = null;
  private releaseSink: (() => void) | null = null;
  private readonly fresh: CommittedOutboxRow[] = [];
  private flushing: Promise<void> | null = null;
  private readonly published: string[] = [];
  private deleting: Promise<void> | null = null;
  relayed = 0;

  constructor(
    private readonly db: Database,
    private readonly options: OutboxRelayOptions,
  ) {}

  private get eager(): boolean {
    return this.options.eager ?? true;
  }

  private get graceMs(): number {
    return this.eager ? (this.options.eagerGraceMs ?? EAGER_GRACE_MS) : 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A second relay on the same database (embedded mode runs two) leaves publishing on commit to
    // the first and only polls, with the same grace.
    if (this.eager) this.releaseSink = this.db.takeOutboxSink((rows) => this.committed(rows));
    this.loop = this.run();
  }

  /** Relay now (call after committing a transaction that wrote outbox rows; eager relays need not). */
  kick(): void {
    if (this.eager) return;
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.releaseSink?.();
    this.releaseSink = null;
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.flushing;
    await this.deleting;
  }

  /** Relays until the outbox is empty, the rows of this process's open batches included. */
  async drain(): Promise<number> {
    await this.flushing;
    await this.deleting;
    let total = 0;
    for (;;) {
      const n = await this.relayBatch(0);
      total += n;
      if (n === 0) return total;
    }
  }

  private committed(rows: CommittedOutboxRow[]): void {
    if (!this.running) return; // not relaying: the poller of whichever relay runs takes them
    this.fresh.push(...rows);
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  private async flush(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (this.fresh.length > 0) {
      const batch = this.fresh.splice(0, batchSize);
      if (!(await this.publishFresh(batch))) continue;
      this.relayed += batch.length;
      // Deleted after the confirm, off the publish path: the next batch need not wait for a
      // connection of a busy pool. If a delete fails, the poller republishes once past the grace.
      this.published.push(...batch.map((m) => m.id));
      this.deleting ??= this.deletePublished().finally(() => (this.deleting = null));
    }
  }

  private async deletePublished(): Promise<void> {
    while (this.published.length > 0) {
      const ids = this.published.splice(0, this.published.length);
      await deleteOutbox(this.db, ids).catch((err: unknown) => this.options.onError?.(err));
    }
  }

  /** Publishes with retries for half the grace; false when it gave the batch up to the poller. */
  private async publishFresh(batch: CommittedOutboxRow[]): Promise<boolean> {
    const giveUpAt = Date.now() + this.graceMs / 2;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        await this.options.publish(batch);
        return true;
      } catch (err) {
        this.options.onError?.(err);
        if (!this.running || Date.now() + delay >= giveUpAt) return false;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      try {
        this.kicked = false;
        const n = await this.relayBatch(this.graceMs);
        if (n >= batchSize || this.kicked) continue;
      } catch (err) {
        this.options.onError?.(err);
      }
      await this.sleep(this.options.pollIntervalMs ?? 500);
    }
  }

  private async relayBatch(minAgeMs: number): Promise<number> {
    const n = await this.db.transaction(async (tx) => {
      const claimed = await claimOutbox(tx, this.options.batchSize ?? 500, minAgeMs);
      if (claimed.length === 0) return 0;
      // With eager relays a row reaches the poller only when its writer did not delete it: the
      // writer may have published it already (it crashed or failed after the broker took it), or a
      // poller did before it crashed. Workers claim such a dispatch before running it (attempt
      // claims); the common path, the writer's one publish, is never marked.
      const batch = this.eager ? claimed.map((m) => ({ ...m, republish: true })) : claimed;
      await this.options.publish(batch);
      await deleteOutbox(
        tx,
        batch.map((m) => m.id),
      );
      return batch.length;
    });
    this.relayed += n;
    return n;
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
