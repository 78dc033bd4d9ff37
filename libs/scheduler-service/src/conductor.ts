import {
  Database,
  enqueueOutbox,
  OutboxMessage,
  OutboxRelay,
  PoolSettings,
  PoolStore,
  Tx,
} from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import type { Backlog, BacklogEntry, TakenEntry } from './backlog.port';
import { Applied, EventApplier, KeyRateGates } from './event-applier';
import type { LeaderLease } from './leader';
import { RateGate } from './rate-gate';

export interface ConductorOptions {
  defaultCapacity: number;
  /** Dispatches a tenant gets per round-robin turn within a pool (default 1). */
  tenantWeights?: Record<string, number>;
  /** Most jobs of a tenant dispatched and unfinished at once, across pools (undefined = none). */
  tenantQuota?: (tenant: string) => number | undefined;
  /** How often pool settings, the pool list and in-flight counts are re-read from Postgres. */
  refreshMs?: number;
  leaseRenewMs?: number;
}

interface PoolState {
  settings: PoolSettings;
  inFlight: number;
  /** Dispatches committed by this loop so far (to keep counts conservative across a refresh). */
  dispatches: number;
  /** Entries taken and not yet committed (counted against capacity while their batch commits). */
  pending: number;
  /** Tenants with backlog, served round-robin; `turn` is whose turn comes next. */
  tenants: string[];
  turn: number;
  gate: RateGate;
  loop: Promise<void> | null;
  wake: (() => void) | null;
  /** Bumped whenever this process adds entries of the pool to the backlog. */
  addedGen: number;
  /** `addedGen` when this pool's loop last found nothing to take (-1: not yet). */
  emptyGen: number;
}

/** Jobs dispatched inside a consumer's transaction; `settle` once it committed or failed. */
export interface InlineDispatch {
  /** The entries that must wait in the backlog after all. */
  queued: BacklogEntry[];
  settle(committed: boolean): void;
}

/** Most entries dispatched in one transaction. */
const MAX_BATCH = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sleeps up to `ms`; the wake function handed to `register` ends it early. */
function wakeableSleep(ms: number, register: (wake: (() => void) | null) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      register(null);
      resolve();
    };
    const timer = setTimeout(done, ms);
    register(done);
  });
}

/**
 * Decides what runs when. For each pool, one loop takes the next backlog entry only while the
 * pool is not paused, its in-flight count is under capacity (Rule A) and its rate allows (Rule B),
 * then dispatches it with a guarded update + outbox message. Runs on the lease holder only.
 */
export class Conductor {
  private readonly pools = new Map<string, PoolState>();
  private leading = false;
  private running = false;
  private supervisor: Promise<void> | null = null;
  private wakeSupervisor: (() => void) | null = null;
  /** Per tenant: in flight across pools (for quotas), and dispatches made here (as for pools). */
  private tenantInFlight = new Map<string, number>();
  private readonly tenantDispatches = new Map<string, number>();
  /** Entries taken for a tenant by any pool loop and not yet dispatched (quota reservations). */
  private readonly tenantReserved = new Map<string, number>();
  /** Per concurrency-key rate gates (in memory: only the lease holder dispatches). */
  private readonly keyGates: KeyRateGates & { gates: Map<string, RateGate> } = {
    gates: new Map(),
    waitMs(tenant, key, rate) {
      return this.gates.get(`${tenant}\u0000${key}`)?.waitMs(rate) ?? 0;
    },
    took(tenant, key, rate) {
      const id = `${tenant}\u0000${key}`;
      let gate = this.gates.get(id);
      if (!gate) this.gates.set(id, (gate = new RateGate()));
      gate.take(rate);
    },
  };
  dispatched = 0;
  dispatchedInline = 0;
  /** Backlog clean-ups still running after their dispatch committed (awaited by `stop`). */
  private readonly settling = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly poolStore: PoolStore,
    private readonly backlog: Backlog,
    private readonly relay: OutboxRelay,
    private readonly applier: EventApplier,
    private readonly lease: LeaderLease,
    private readonly logger: Logger,
    private readonly options: ConductorOptions,
  ) {}

  start(): void {
    this.running = true;
    this.supervisor = this.supervise();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.leading = false;
    this.pools.forEach((p) => p.wake?.());
    await this.supervisor;
    await Promise.all([...this.pools.values()].map((p) => p.loop ?? Promise.resolve()));
    await Promise.all(this.settling);
    await this.lease.release();
  }

  /** Some pool's in-flight count went down: recount now instead of at the next refresh. */
  nudge(): void {
    this.wakeSupervisor?.();
  }

  /**
   * Entries were added to the backlog by this process: make their tenants' lanes known at once (the
   * refresh would find them too), and let them go before any new job of their pool.
   */
  noteLanes(lanes: { pool: string; tenant: string }[]): void {
    for (const { pool, tenant } of lanes) {
      const p = this.pools.get(pool);
      if (!p) continue;
      p.addedGen++;
      if (!p.tenants.includes(tenant)) p.tenants.push(tenant);
    }
  }

  /**
   * The single-hop path: dispatches, inside the caller's transaction (the consumer's, which just
   * recorded the jobs as submitted or due again), the entries whose pool has room now and nothing
   * waiting in its backlog — exactly what this loop would take next — so they skip the backlog's
   * round trips and a transaction of their own. The rest come back as `queued`. Only the lease
   * holder does this: its in-memory counts are the ones capacity is enforced with.
   */
  async dispatchInline(tx: Tx, entries: BacklogEntry[], outbox: OutboxMessage[]): Promise<InlineDispatch> {
    const queued: BacklogEntry[] = [];
    const groups = new Map<string, { p: PoolState; entries: BacklogEntry[]; owners: string[] }>();
    const now = Date.now();
    // Higher priority first when the room is short (stable: FIFO within a priority).
    const byPriority =
      this.running && this.leading ? [...entries].sort((a, b) => b.priority - a.priority) : [];
    if (byPriority.length === 0) return { queued: entries, settle: () => undefined };
    // A pause binds at once: the loop's settings are up to one refresh old, the registry's are not.
    const paused = await pausedPools(tx, [...new Set(entries.map((e) => e.pool))]);
    for (const e of byPriority) {
      const p = this.pools.get(e.pool);
      const due = !e.notBefore || e.notBefore.getTime() <= now;
      if (!p || !due || paused.has(e.pool) || !this.hasInlineRoom(p) || this.tenantRoom(e.tenant) <= 0) {
        queued.push(e);
        continue;
      }
      p.pending++;
      bump(this.tenantReserved, e.tenant, 1);
      let group = groups.get(e.pool);
      if (!group) groups.set(e.pool, (group = { p, entries: [], owners: [] }));
      group.entries.push(e);
      group.owners.push(e.tenant);
    }
    const dispatched = new Map<string, boolean[]>();
    const settle = (committed: boolean) => {
      for (const [pool, { p, owners }] of groups) {
        p.pending -= owners.length;
        owners.forEach((t) => bump(this.tenantReserved, t, -1));
        if (!committed) continue;
        (dispatched.get(pool) ?? []).forEach((yes, i) => {
          if (!yes) return;
          p.inFlight++;
          p.dispatches++;
          this.dispatched++;
          this.dispatchedInline++;
          bump(this.tenantInFlight, owners[i]!, 1);
          bump(this.tenantDispatches, owners[i]!, 1);
        });
      }
    };
    try {
      for (const [pool, group] of groups) {
        const results = await this.applier.dispatchMany(tx, pool, group.entries, outbox, this.keyGates);
        dispatched.set(
          pool,
          results.map((r) => r.dispatched === true),
        );
        for (const r of results) if (r.backlog) queued.push(r.backlog);
      }
    } catch (err) {
      settle(false);
      throw err;
    }
    return { queued, settle };
  }

  /** How many jobs arriving at `pool` now would be dispatched inline (0: they would queue). */
  inlineRoom(pool: string): number {
    const p = this.pools.get(pool);
    if (!this.running || !this.leading || !p || !this.hasInlineRoom(p)) return 0;
    return p.settings.capacity - p.inFlight - p.pending;
  }

  /** Room for an inline dispatch: the loop would dispatch now and holds nothing older. */
  private hasInlineRoom(p: PoolState): boolean {
    return (
      p.emptyGen === p.addedGen &&
      !p.settings.rate &&
      this.heldBackForMs(p) === 0 &&
      p.inFlight + p.pending < p.settings.capacity
    );
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** Renews the lease, refreshes settings and counts, and runs one loop per known pool. */
  private async supervise(): Promise<void> {
    let lastRenew = 0;
    while (this.running) {
      try {
        if (Date.now() - lastRenew >= (this.options.leaseRenewMs ?? 2_000)) {
          const leading = await this.lease.renew();
          if (leading !== this.leading)
            this.logger.info({ leading }, leading ? 'conductor took the lease' : 'conductor lost the lease');
          this.leading = leading;
          lastRenew = Date.now();
        }
        if (this.leading) await this.refresh();
      } catch (err) {
        this.logger.error({ err }, 'conductor refresh failed');
      }
      await wakeableSleep(this.options.refreshMs ?? 250, (wake) => (this.wakeSupervisor = wake));
    }
  }

  private async refresh(): Promise<void> {
    // Dispatches that commit while the counts are read may be counted twice: never fewer.
    const before = new Map([...this.pools].map(([name, p]) => [name, p.dispatches]));
    const tenantsBefore = new Map(this.tenantDispatches);
    const [settings, inFlight, lanes] = await Promise.all([
      this.poolStore.list(),
      this.poolStore.inFlight(),
      this.poolStore.lanes(),
    ]);
    if (this.options.tenantQuota) {
      const byTenant = await this.poolStore.inFlightByTenant();
      for (const [t, n] of this.tenantDispatches)
        byTenant.set(t, (byTenant.get(t) ?? 0) + n - (tenantsBefore.get(t) ?? n));
      this.tenantInFlight = byTenant;
    }
    const names = new Set([...settings.map((s) => s.name), ...inFlight.keys(), ...lanes.keys()]);
    for (const name of names) {
      const s = settings.find((x) => x.name === name) ?? defaultSettings(name, this.options.defaultCapacity);
      let state = this.pools.get(name);
      if (!state) {
        state = {
          settings: s,
          inFlight: 0,
          dispatches: 0,
          pending: 0,
          tenants: [],
          turn: 0,
          gate: new RateGate(),
          loop: null,
          wake: null,
          addedGen: 0,
          emptyGen: -1,
        };
        this.pools.set(name, state);
      }
      state.settings = s;
      // Keep the rotation order stable; add newcomers at the end, drop tenants with nothing queued.
      const queued = new Set(lanes.get(name) ?? []);
      state.tenants = [
        ...state.tenants.filter((t) => queued.has(t)),
        ...[...queued].filter((t) => !state.tenants.includes(t)),
      ];
      state.inFlight = (inFlight.get(name) ?? 0) + state.dispatches - (before.get(name) ?? state.dispatches);
      state.wake?.();
      if (!state.loop) state.loop = this.runPool(name, state).finally(() => (state.loop = null));
    }
  }

  /**
   * Serves the pool's tenants round-robin, each up to its weight per turn, so one tenant's deep
   * backlog never starves another's; within a tenant, priority then FIFO (the backlog's order).
   */
  private async runPool(name: string, p: PoolState): Promise<void> {
    // The next batch is taken while the previous one commits (at most one commit in flight), so
    // the backlog's round trip hides behind Postgres'; not with a rate limit, whose gate counts
    // committed dispatches.
    let committing: Promise<boolean> | null = null;
    const awaitCommit = async () => {
      const previous = committing;
      committing = null;
      return previous ? await previous : false;
    };
    while (this.running && this.leading) {
      try {
        const blockedFor = this.blockedForMs(p);
        if (blockedFor > 0) {
          if (committing) await awaitCommit();
          else await this.idle(p, blockedFor);
          continue;
        }
        const turn = await this.takeTurn(name, p);
        if (!turn) {
          if (committing) await awaitCommit();
          else await this.backlog.waitForWork(name, 200);
          continue;
        }
        await awaitCommit();
        committing = this.dispatchTaken(name, p, turn.taken, turn.owners);
        committing.catch(() => undefined); // handled where it is awaited (awaitCommit), not unhandled meanwhile
        if (p.settings.rate) await awaitCommit();
      } catch (err) {
        this.logger.error({ err, pool: name }, 'dispatch failed; retrying');
        await sleep(500);
      }
    }
    await awaitCommit().catch(() => false);
  }

  /**
   * Takes one batch round-robin over the tenants (each up to its weight per round, as many rounds
   * as the pool's free capacity and the batch size allow); null when there is nothing to take.
   */
  private async takeTurn(
    pool: string,
    p: PoolState,
  ): Promise<{ taken: TakenEntry[]; owners: string[] } | null> {
    const room = Math.min(
      MAX_BATCH,
      p.settings.capacity - p.inFlight - p.pending,
      p.settings.rate ? 1 : MAX_BATCH,
    );
    const gen = p.addedGen;
    const taken: TakenEntry[] = [];
    const owners: string[] = [];
    const exhausted = new Set<string>();
    while (taken.length < room && exhausted.size < p.tenants.length && this.running && this.leading) {
      // As many round-robin rounds as the room holds, asked of the backlog all at once (its takes
      // pipeline on one connection and keep each lane's order): one round trip instead of one each.
      const live = p.tenants.filter((t) => !exhausted.has(t));
      const perRound = live.reduce((sum, t) => sum + (this.options.tenantWeights?.[t] ?? 1), 0);
      const rounds = Math.max(1, Math.ceil((room - taken.length) / perRound));
      const asks: { tenant: string; n: number }[] = [];
      let planned = taken.length;
      for (let k = 0; k < p.tenants.length && planned < room; k++) {
        const tenant = p.tenants[p.turn % p.tenants.length]!;
        p.turn = (p.turn + 1) % p.tenants.length;
        if (exhausted.has(tenant)) continue;
        const weight = this.options.tenantWeights?.[tenant] ?? 1;
        // Reserve the quota slots before awaiting the backlog, so concurrent pool loops cannot use them.
        const n = Math.min(weight * rounds, room - planned, this.tenantRoom(tenant));
        if (n <= 0) {
          exhausted.add(tenant);
          continue;
        }
        bump(this.tenantReserved, tenant, n);
        asks.push({ tenant, n });
        planned += n;
      }
      if (asks.length === 0) break;
      const got = await Promise.all(
        asks.map(({ tenant, n }) =>
          Promise.allSettled(Array.from({ length: n }, () => this.backlog.take({ pool, tenant }))),
        ),
      );
      const failures: unknown[] = [];
      asks.forEach(({ tenant, n }, k) => {
        const entries: TakenEntry[] = [];
        for (const r of got[k]!)
          if (r.status === 'rejected') failures.push(r.reason);
          else if (r.value) entries.push(r.value);
        bump(this.tenantReserved, tenant, entries.length - n);
        if (entries.length < n) exhausted.add(tenant);
        for (const e of entries) {
          taken.push(e);
          owners.push(tenant);
        }
      });
      if (failures.length > 0) {
        owners.forEach((t) => bump(this.tenantReserved, t, -1));
        await Promise.all(taken.map((e) => e.release()));
        throw failures[0] instanceof Error ? failures[0] : new Error('backlog take failed');
      }
    }
    if (taken.length === 0) {
      // Every lane came back empty and nothing was added meanwhile: new jobs may skip the backlog.
      if (room > 0 && exhausted.size >= p.tenants.length) p.emptyGen = gen;
      return null;
    }
    p.pending += taken.length;
    return { taken, owners };
  }

  /** Dispatches what `takeTurn` took in one transaction; true if anything was dispatched. */
  private async dispatchTaken(
    pool: string,
    p: PoolState,
    taken: TakenEntry[],
    owners: string[],
  ): Promise<boolean> {
    try {
      return await this.commitTaken(pool, p, taken, owners);
    } finally {
      p.pending -= taken.length;
    }
  }

  private async commitTaken(
    pool: string,
    p: PoolState,
    taken: TakenEntry[],
    owners: string[],
  ): Promise<boolean> {
    const rateWait = p.gate.waitMs(p.settings.rate);
    if (rateWait > 0) await sleep(rateWait);
    let results: Applied[];
    try {
      results = await this.dispatch(pool, taken);
    } catch (err) {
      await Promise.all(taken.map((e) => e.release()));
      throw err;
    } finally {
      owners.forEach((t) => bump(this.tenantReserved, t, -1));
    }
    // Count what was dispatched before anything else awaits, so no other pool loop sees the room.
    results.forEach((r, i) => {
      if (!r.dispatched) return;
      bump(this.tenantInFlight, owners[i]!, 1);
      bump(this.tenantDispatches, owners[i]!, 1);
    });
    const cleared = Promise.all(taken.map((e) => e.done()));
    // Not due after all (its runAt moved, or its key's rate): back in with the new time, once its
    // old entry is gone (an add under the same id would be ignored).
    const later = results.flatMap((r) => (r.backlog ? [r.backlog] : []));
    if (later.length > 0) {
      await cleared;
      await this.backlog.add(later);
    } else {
      // Postgres holds the dispatch; clearing the entries may trail (one left behind comes back
      // through BullMQ's stalled check, and its dispatch is then fenced out by attempt).
      this.settle(cleared);
    }
    const dispatched = results.filter((r) => r.dispatched).length;
    p.inFlight += dispatched;
    p.dispatches += dispatched;
    this.dispatched += dispatched;
    for (let i = 0; i < dispatched; i++) p.gate.take(p.settings.rate);
    return dispatched > 0;
  }

  private settle(work: Promise<unknown>): void {
    const tracked = work
      .catch((err) =>
        this.logger.warn({ err }, 'backlog entries not cleared; the stalled check returns them'),
      )
      .finally(() => this.settling.delete(tracked));
    this.settling.add(tracked);
  }

  /** Dispatches the tenant's quota still allows, minus what this batch already took for it. */
  private tenantRoom(tenant: string): number {
    const quota = this.options.tenantQuota?.(tenant);
    if (quota === undefined) return Number.POSITIVE_INFINITY;
    return quota - (this.tenantInFlight.get(tenant) ?? 0) - (this.tenantReserved.get(tenant) ?? 0);
  }

  /** 0 when a dispatch may happen now; else how long to wait before looking again. */
  private blockedForMs(p: PoolState): number {
    return this.heldBackForMs(p) || p.gate.waitMs(p.settings.rate);
  }

  /** Paused, rate-limit paused, or at capacity: how long before looking again (0 = not held back). */
  private heldBackForMs(p: PoolState): number {
    const s = p.settings;
    if (s.paused) return 250;
    const until = s.pausedUntil ? s.pausedUntil.getTime() - Date.now() : 0;
    if (until > 0) return Math.min(until, 250);
    return p.inFlight + p.pending >= s.capacity ? 250 : 0;
  }

  private idle(p: PoolState, ms: number): Promise<void> {
    return wakeableSleep(ms, (wake) => (p.wake = wake));
  }

  /** Dispatches a batch in one transaction (each job still guarded on its own). */
  private async dispatch(pool: string, entries: TakenEntry[]): Promise<Applied[]> {
    const outbox: OutboxMessage[] = [];
    const results = await this.applier.transaction(this.db, async (tx) => {
      const applied = await this.applier.dispatchMany(tx, pool, entries, outbox, this.keyGates);
      this.applier.flushAuditInto(tx, outbox);
      await enqueueOutbox(tx, outbox);
      return applied;
    });
    if (outbox.length > 0) this.relay.kick();
    return results;
  }
}

/** Which of these pools are paused now, read in the caller's transaction. */
async function pausedPools(tx: Tx, pools: string[]): Promise<Set<string>> {
  const rows = await tx.query<{ name: string }>(
    `SELECT name FROM pools WHERE name = ANY($1) AND (paused OR paused_until > now())`,
    [pools],
  );
  return new Set(rows.map((r) => r.name));
}

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function defaultSettings(name: string, capacity: number): PoolSettings {
  return { name, capacity, rate: null, paused: false, pausedUntil: null, updatedAt: new Date(0) };
}
