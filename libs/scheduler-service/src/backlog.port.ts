/** One attempt of a job waiting for dispatch. */
export interface BacklogEntry {
  jobId: string;
  /** Entries are kept per (pool, tenant) lane so the conductor can serve tenants fairly. */
  tenant: string;
  /** The attempt the job is queued at (dispatch moves it to attempt + 1). */
  attempt: number;
  pool: string;
  /** 0-20, higher first; FIFO within a priority. */
  priority: number;
  /** Not before this time (delays and retry backoff). */
  notBefore: Date | null;
  /** The job's trace context (W3C headers), carried to its dispatch; absent when tracing is off. */
  trace?: Record<string, string> | null;
}

/** A taken entry: `done()` once its dispatch is committed, `release()` to put it back. */
export interface TakenEntry {
  jobId: string;
  attempt: number;
  trace?: Record<string, string> | null;
  done(): Promise<void>;
  release(): Promise<void>;
}

/**
 * The per-pool backlog: priorities, delays and FIFO order, holding only what the conductor has not
 * dispatched yet. Postgres stays the truth; the backlog is rebuilt from it by the reconciler.
 * BullMQ on Redis in distributed mode, in memory in embedded mode.
 */
export interface Backlog {
  /** Adds entries; an entry whose (jobId, attempt) is already held is ignored. */
  add(entries: BacklogEntry[]): Promise<void>;
  /** The next due entry of a lane, or null when it has none due now. */
  take(lane: Lane): Promise<TakenEntry | null>;
  /** Resolves when an entry may have been added to the pool (by this process), or after maxWaitMs. */
  waitForWork(pool: string, maxWaitMs: number): Promise<void>;
  /** Which of these (jobId, attempt) the backlog holds. */
  holds(entries: { jobId: string; attempt: number; pool: string; tenant: string }[]): Promise<boolean[]>;
  close(): Promise<void>;
}

/** One tenant's entries within one pool. */
export interface Lane {
  pool: string;
  tenant: string;
}

/** Maps jobplane priority (0-20, higher first) to BullMQ's (1 = highest). */
export function bullPriority(priority: number): number {
  return 21 - priority;
}

export function entryKey(e: { jobId: string; attempt: number }): string {
  return `${e.jobId}.${e.attempt}`;
}

/**
 * The backlog, telling `onAdded` of every add (before and after it lands), so the conductor knows
 * whenever a pool may hold entries older than the jobs it would dispatch without the backlog.
 */
export function observedBacklog(backlog: Backlog, onAdded: (entries: BacklogEntry[]) => void): Backlog {
  return {
    add: async (entries) => {
      if (entries.length === 0) return;
      onAdded(entries);
      try {
        await backlog.add(entries);
      } finally {
        onAdded(entries);
      }
    },
    take: (lane) => backlog.take(lane),
    waitForWork: (pool, maxWaitMs) => backlog.waitForWork(pool, maxWaitMs),
    holds: (entries) => backlog.holds(entries),
    close: () => backlog.close(),
  };
}
