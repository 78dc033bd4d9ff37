import { DynamicModule, Module } from '@nestjs/common';
import { Config, configuredPools, parseTenantWeights, tenantQuotas } from '@jobplane/config';
import { MessageBus, outboxPublisher } from '@jobplane/messaging';
import { Database, OutboxRelay, PoolStore, WorkerStore } from '@jobplane/persistence';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { observedBacklog } from './backlog.port';
import type { Backlog } from './backlog.port';
import { BacklogReconciler } from './backlog-reconciler';
import { ClaimConsumer } from './claim-consumer';
import { Conductor } from './conductor';
import { EventApplier } from './event-applier';
import { EventNotifier } from './event-notifier';
import { registerConsumerLag, registerFleetMetrics } from './fleet-metrics';
import { registerJobMetrics } from './job-metrics';
import type { Registry } from 'prom-client';
import type { LeaderLease } from './leader';
import { HeartbeatConsumer } from './heartbeat-consumer';
import { KeyUnparker } from './key-unparker';
import { RetentionPurger } from './retention-purger';
import { ScheduleRunner } from './schedule-runner';
import { SchedulerConsumer } from './scheduler-consumer';
import type { SchedulerCounters } from './scheduler-metrics';
import { Watchdog, WatchdogOptions } from './watchdog';

export interface SchedulerModuleOptions {
  bus: MessageBus;
  db: Database;
  logger: Logger;
  backlog: Backlog;
  lease: LeaderLease;
  outboxPollMs: number;
  recoveryIntervalMs: number;
  defaultPoolCapacity: number;
  watchdog: WatchdogOptions;
  retentionSeconds: number;
  /** RESULT_INLINE_MAX_BYTES (default 64 KiB). */
  resultInlineMaxBytes?: number;
  /** Dispatches per round-robin turn, by tenant (default 1). */
  tenantWeights?: Record<string, number>;
  /** Most jobs of a tenant in flight at once (undefined = no quota). */
  tenantQuota?: (tenant: string) => number | undefined;
  /** Pools from config, created at start if unknown (run-time changes are kept). */
  pools: { name: string; capacity: number; rate: { max: number; perMs: number } | null }[];
}

/** The scheduler's moving parts, started after boot and stopped (in reverse) before shutdown. */
export class Scheduler {
  readonly relay: OutboxRelay;
  readonly consumer: SchedulerConsumer;
  readonly conductor: Conductor;
  readonly reconciler: BacklogReconciler;
  readonly poolStore: PoolStore;
  readonly heartbeats: HeartbeatConsumer;
  readonly watchdog: Watchdog;
  readonly retention: RetentionPurger;
  readonly schedules: ScheduleRunner;
  readonly notifier: EventNotifier;
  readonly workers: WorkerStore;
  readonly claims: ClaimConsumer;

  constructor(private readonly o: SchedulerModuleOptions) {
    const log = o.logger.child({ context: 'Scheduler' });
    this.notifier = new EventNotifier(o.bus, log.child({ context: 'EventNotifier' }));
    const applier = new EventApplier(o.defaultPoolCapacity, undefined, this.notifier, o.resultInlineMaxBytes);
    this.poolStore = new PoolStore(o.db);
    // Every add in this process is seen by the conductor, which lets new jobs skip an empty backlog.
    const backlog = observedBacklog(o.backlog, (entries) => this.conductor.noteLanes(entries));
    this.relay = new OutboxRelay(o.db, {
      publish: outboxPublisher(o.bus),
      pollIntervalMs: o.outboxPollMs,
      onError: (err) => log.error({ err }, 'outbox relay failed; retrying'),
    });
    this.conductor = new Conductor(
      o.db,
      this.poolStore,
      backlog,
      this.relay,
      applier,
      o.lease,
      log.child({ context: 'Conductor' }),
      {
        defaultCapacity: o.defaultPoolCapacity,
        tenantWeights: o.tenantWeights,
        ...(o.tenantQuota ? { tenantQuota: o.tenantQuota } : {}),
      },
    );
    const unparker = new KeyUnparker(o.db, backlog);
    this.reconciler = new BacklogReconciler(o.db, backlog, log, o.recoveryIntervalMs, unparker);
    const workers = (this.workers = new WorkerStore(o.db));
    this.heartbeats = new HeartbeatConsumer(o.bus, workers, log);
    this.claims = new ClaimConsumer(o.bus, o.db, log.child({ context: 'ClaimConsumer' }), o.watchdog.lostAfterMs);
    this.watchdog = new Watchdog(
      o.db,
      workers,
      applier,
      backlog,
      this.relay,
      () => this.conductor.isLeading(),
      () => this.conductor.nudge(),
      log.child({ context: 'Watchdog' }),
      o.watchdog,
    );
    this.schedules = new ScheduleRunner(o.db, this.relay, () => this.conductor.isLeading(), log);
    this.retention = new RetentionPurger(o.db, () => this.conductor.isLeading(), log, o.retentionSeconds);
    this.consumer = new SchedulerConsumer(
      o.bus,
      o.db,
      this.relay,
      applier,
      log,
      async (entries, released, keys) => {
        if (entries.length > 0) await backlog.add(entries);
        if (keys.length > 0) await unparker.unpark(keys);
        if (released.size > 0) this.conductor.nudge();
      },
    );
    this.consumer.dispatchInline = (tx, entries, outbox) =>
      this.conductor.dispatchInline(tx, entries, outbox);
  }

  /** What the metrics report about this process. */
  /** Registers job outcome, fleet, backlog-per-priority, outbox and consumer-lag metrics. */
  instrument(registry: Registry): void {
    this.notifier.observe(registerJobMetrics(registry));
    this.consumer.onApplied = registerConsumerLag(registry);
    registerFleetMetrics(registry, this.o.db, this.poolStore, this.workers);
  }

  counters(): SchedulerCounters {
    return {
      dispatched: () => this.conductor.dispatched,
      dispatchedInline: () => this.conductor.dispatchedInline,
      repaired: () => this.reconciler.repaired,
      purged: () => this.retention.purged,
      recovered: () => this.watchdog.recovered,
      timedOut: () => this.watchdog.timedOut,
      fired: () => this.schedules.fired,
      leading: () => this.conductor.isLeading(),
    };
  }

  async start(): Promise<void> {
    await this.poolStore.seed(this.o.pools);
    this.relay.start();
    await this.consumer.start();
    await this.heartbeats.start();
    await this.claims.start();
    this.conductor.start();
    this.reconciler.start();
    this.watchdog.start();
    this.retention.start();
    this.schedules.start();
  }

  async stop(): Promise<void> {
    this.schedules.stop();
    this.retention.stop();
    this.watchdog.stop();
    this.reconciler.stop();
    await this.conductor.stop();
    await this.claims.stop();
    await this.heartbeats.stop();
    await this.consumer.stop();
    await this.relay.stop();
    await this.o.backlog.close();
  }
}

/** The tunables of SchedulerModuleOptions, read from validated configuration. */
export function schedulerSettingsFrom(
  config: Config,
): Omit<SchedulerModuleOptions, 'bus' | 'db' | 'logger' | 'backlog' | 'lease'> {
  return {
    outboxPollMs: config.OUTBOX_POLL_MS,
    recoveryIntervalMs: config.RECOVERY_INTERVAL_MS,
    defaultPoolCapacity: config.DEFAULT_POOL_CAPACITY,
    retentionSeconds: config.JOB_RETENTION_SECONDS,
    resultInlineMaxBytes: config.RESULT_INLINE_MAX_BYTES,
    tenantWeights: parseTenantWeights(config.TENANT_WEIGHTS),
    ...(config.TENANT_MAX_IN_FLIGHT ? { tenantQuota: tenantQuotas(config.TENANT_MAX_IN_FLIGHT) } : {}),
    watchdog: {
      intervalMs: config.WATCHDOG_INTERVAL_MS,
      lostAfterMs: config.WORKER_LOST_AFTER_MS,
      pruneAfterMs: config.WORKER_PRUNE_AFTER_MS,
      defaultHardMs: config.JOB_HARD_TIMEOUT_MS,
      graceMs: config.CANCEL_GRACE_MS + 2_000,
    },
    pools: configuredPools(config),
  };
}

@Module({})
export class SchedulerModule {
  static forRoot(options: SchedulerModuleOptions): DynamicModule {
    const scheduler = new Scheduler(options);
    return {
      module: SchedulerModule,
      providers: [{ provide: Scheduler, useValue: scheduler }, startStopProvider(scheduler)],
      exports: [Scheduler],
    };
  }
}
