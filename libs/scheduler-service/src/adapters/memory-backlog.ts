import { Backlog, BacklogEntry, entryKey, Lane, TakenEntry } from '../backlog.port';
import { WaitSet } from '../wait-set';

interface Held extends BacklogEntry {
  seq: number;
  taken: boolean;
}

/** Embedded mode's backlog: the same ordering as the BullMQ one, in memory. */
export class MemoryBacklog implements Backlog {
  private readonly pools = new Map<string, Map<string, Held>>();
  private readonly waiters = new WaitSet();
  private seq = 0;

  async add(entries: BacklogEntry[]): Promise<void> {
    for (const e of entries) {
      const pool = this.pool(e.pool);
      const key = entryKey(e);
      if (pool.has(key)) continue;
      pool.set(key, { ...e, seq: this.seq++, taken: false });
      this.wake(e.pool, e.notBefore ? Math.max(0, e.notBefore.getTime() - Date.now()) : 0);
    }
  }

  async take(lane: Lane): Promise<TakenEntry | null> {
    const poolName = lane.pool;
    const now = Date.now();
    let best: Held | null = null;
    for (const h of this.pool(poolName).values()) {
      if (h.taken || h.tenant !== lane.tenant || (h.notBefore && h.notBefore.getTime() > now)) continue;
      if (!best || h.priority > best.priority || (h.priority === best.priority && h.seq < best.seq)) best = h;
    }
    if (!best) return null;
    const held = best;
    held.taken = true;
    const pool = this.pool(poolName);
    return {
      jobId: held.jobId,
      attempt: held.attempt,
      trace: held.trace ?? null,
      done: async () => void pool.delete(entryKey(held)),
      release: async () => {
        held.taken = false;
      },
    };
  }

  async holds(entries: { jobId: string; attempt: number; pool: string }[]): Promise<boolean[]> {
    return entries.map((e) => this.pool(e.pool).has(entryKey(e)));
  }

  waitForWork(pool: string, maxWaitMs: number): Promise<void> {
    return this.waiters.wait(pool, maxWaitMs);
  }

  async close(): Promise<void> {
    this.waiters.wakeAll();
  }

  private wake(pool: string, afterMs: number): void {
    const fire = () => this.waiters.wake(pool);
    if (afterMs <= 0) fire();
    else setTimeout(fire, afterMs).unref();
  }

  private pool(name: string): Map<string, Held> {
    let p = this.pools.get(name);
    if (!p) this.pools.set(name, (p = new Map()));
    return p;
  }
}
