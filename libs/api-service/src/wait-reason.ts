import type { WaitReason } from '@jobplane/contracts';
import type { JobRecord, PoolSettings } from '@jobplane/persistence';

/**
 * Why a queued job is not running, from the registry's view (the same facts the conductor uses):
 * its own time, its pool's pause, rate-limit pause and capacity, or a dispatch outstanding.
 */
export function waitReasonOf(
  job: JobRecord,
  pool: PoolSettings | null,
  inFlight: number,
  defaultCapacity: number,
  tenantAtQuota = false,
  now = new Date(),
): { waitReason: WaitReason; waitingUntil?: string } | null {
  if (job.state !== 'queued') return null;
  if (job.runAt && job.runAt > now) {
    return {
      waitReason: job.attempt > 0 ? 'retry_backoff' : 'delayed_until',
      waitingUntil: job.runAt.toISOString(),
    };
  }
  if (job.parked) return { waitReason: 'concurrency_key_full' };
  if (job.attempt > 0 && !job.runAt) return { waitReason: 'awaiting_worker' };
  if (pool?.paused) return { waitReason: 'pool_paused' };
  if (pool?.pausedUntil && pool.pausedUntil > now)
    return { waitReason: 'rate_limited', waitingUntil: pool.pausedUntil.toISOString() };
  if (inFlight >= (pool?.capacity ?? defaultCapacity)) return { waitReason: 'pool_at_capacity' };
  if (tenantAtQuota) return { waitReason: 'tenant_quota' };
  if (pool?.rate) return { waitReason: 'rate_limited' };
  return { waitReason: 'ready' };
}
