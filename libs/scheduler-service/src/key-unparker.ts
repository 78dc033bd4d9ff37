import { Database, keyInFlight, lockConcurrencyKey, parkedKeys, unparkJobs } from '@jobplane/persistence';
import type { Backlog } from './backlog.port';
import { backlogEntryOf } from './event-applier';

/**
 * Moves parked jobs of a concurrency key back into the backlog when the key has free slots: after
 * an outcome of the key (at once), and for every parked key on the reconciler's sweep (the repair
 * for a park that raced a release).
 */
export class KeyUnparker {
  constructor(
    private readonly db: Database,
    private readonly backlog: Backlog,
  ) {}

  async unpark(keys: { tenant: string; key: string; limit: number }[]): Promise<number> {
    let moved = 0;
    for (const k of keys) {
      const jobs = await this.db.transaction(async (tx) => {
        await lockConcurrencyKey(tx, k.tenant, k.key);
        const free = k.limit - (await keyInFlight(tx, k.tenant, k.key));
        return unparkJobs(tx, k.tenant, k.key, free);
      });
      if (jobs.length > 0) await this.backlog.add(jobs.map(backlogEntryOf));
      moved += jobs.length;
    }
    return moved;
  }

  async unparkAll(): Promise<number> {
    return this.unpark(await this.db.transaction((tx) => parkedKeys(tx)));
  }
}
