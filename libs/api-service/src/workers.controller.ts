import { Controller, Get, Inject } from '@nestjs/common';
import { Principal, WorkerView } from '@jobplane/contracts';
import { WorkerRecord, WorkerStore } from '@jobplane/persistence';
import { Auth } from './auth/auth.decorator';

/** WORKER_LOST_AFTER_MS: a worker silent this long is listed as offline. */
export const WORKER_LOST_AFTER_MS = Symbol('WORKER_LOST_AFTER_MS');

/**
 * The worker fleet as heartbeats describe it. Workers are shared by every tenant, like pools: any
 * key with `jobs:read` may look; running job ids are not shown (they belong to tenants).
 */
@Controller('v1/workers')
export class WorkersController {
  constructor(
    @Inject(WorkerStore) private readonly workers: WorkerStore,
    @Inject(WORKER_LOST_AFTER_MS) private readonly lostAfterMs: number,
  ) {}

  @Get()
  async list(@Auth('jobs:read') _p: Principal): Promise<{ items: WorkerView[] }> {
    const workers = await this.workers.list(this.lostAfterMs);
    return { items: workers.map(workerView) };
  }
}

export function workerView(w: WorkerRecord): WorkerView {
  const onlyPool = w.pools.length === 1 ? w.pools[0]!.pool : undefined;
  // Heartbeats of older workers do not say the pool of a running attempt: a one-pool worker's are its pool's.
  const busyIn = (pool: string) => w.running.filter((r) => (r.pool ?? onlyPool) === pool).length;
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    version: w.version,
    state: w.state ?? (w.draining ? 'draining' : 'online'),
    pools: w.pools.map((p) => ({ pool: p.pool, concurrency: p.concurrency, busy: busyIn(p.pool) })),
    handlers: w.handlers,
    startedAt: w.startedAt.toISOString(),
    lastHeartbeatAt: w.lastSeenAt.toISOString(),
  };
}
