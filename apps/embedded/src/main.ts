import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { Module } from '@nestjs/common';
import { ApiModule, createHttpApp } from '@jobplane/api-service';
import { AuditModule } from '@jobplane/audit-service';
import { ConfigError, loadConfig, parsePools, parsePoolSpecs, parseTenantWeights } from '@jobplane/config';
import { assertConnected, InProcessBus, jobplaneTopology, outboxPublisher } from '@jobplane/messaging';
import { Database, JobRegistry, OutboxRelay, PoolStore, ScheduleStore } from '@jobplane/persistence';
import { MemoryBacklog, SchedulerModule, SoleLeader } from '@jobplane/scheduler-service';
import { createLogger, createMetricsRegistry, onShutdownSignal } from '@jobplane/telemetry';
import { WorkerModule } from '@jobplane/worker-service';

/**
 * Embedded mode: api, scheduler, worker and audit in one process, on an in-process bus and an
 * embedded Postgres (PGlite) in DATA_DIR. Same modules as the distributed services; only adapters differ.
 */
async function main() {
  const config = loadConfig(process.env, { defaults: { HOST: '127.0.0.1' } });
  const logger = createLogger('jobplane', config.LOG_LEVEL);
  const dataDir = resolve(config.DATA_DIR);
  const db = await Database.open({ kind: 'pglite', dataDir: join(dataDir, 'pglite') }, { migrate: true });
  const pools = parsePools(config.WORKER_POOLS);
  const bus = new InProcessBus();
  await bus.start(jobplaneTopology(pools.map((p) => p.pool)));
  const relay = new OutboxRelay(db, {
    publish: outboxPublisher(bus),
    pollIntervalMs: config.OUTBOX_POLL_MS,
    onError: (err) => logger.error({ err }, 'outbox relay failed; retrying'),
  });

  @Module({
    imports: [
      ApiModule.forRoot({
        registry: new JobRegistry(db),
        relay,
        tenant: config.DEFAULT_TENANT,
        pools: new PoolStore(db),
        schedules: new ScheduleStore(db),
        defaultPoolCapacity: config.DEFAULT_POOL_CAPACITY,
        metrics: createMetricsRegistry('embedded'),
        readiness: [
          { name: 'database', check: () => db.ping() },
          { name: 'bus', check: () => assertConnected(bus) },
        ],
      }),
      SchedulerModule.forRoot({
        bus,
        db,
        logger,
        backlog: new MemoryBacklog(),
        lease: new SoleLeader(),
        outboxPollMs: config.OUTBOX_POLL_MS,
        recoveryIntervalMs: config.RECOVERY_INTERVAL_MS,
        defaultPoolCapacity: config.DEFAULT_POOL_CAPACITY,
        retentionSeconds: config.JOB_RETENTION_SECONDS,
        tenantWeights: parseTenantWeights(config.TENANT_WEIGHTS),
        watchdog: {
          intervalMs: config.WATCHDOG_INTERVAL_MS,
          lostAfterMs: config.WORKER_LOST_AFTER_MS,
          defaultHardMs: config.JOB_HARD_TIMEOUT_MS,
          graceMs: config.CANCEL_GRACE_MS + 2_000,
        },
        pools: parsePoolSpecs(config.POOLS, config.DEFAULT_POOL_CAPACITY),
      }),
      WorkerModule.forRoot({ bus, logger, pools, drainMs: config.WORKER_DRAIN_SECONDS * 1000,
        cancelGraceMs: config.CANCEL_GRACE_MS,
        heartbeatMs: config.WORKER_HEARTBEAT_MS, workerId: 'embedded' }),
      AuditModule.forRoot({ bus, db, logger }),
    ],
  })
  class EmbeddedRoot {}

  const app = await createHttpApp(EmbeddedRoot, logger);
  relay.start();
  await app.listen(config.PORT, config.HOST);
  const url = `http://${config.HOST}:${config.PORT}`;
  logger.info({ url, dataDir, pools }, 'jobplane (embedded) ready');
  process.stdout.write(`\njobplane is running at ${url}  (API docs: ${url}/docs, data: ${dataDir})\n` +
    `try: curl -s -X POST ${url}/v1/jobs -H 'content-type: application/json' -d '{"type":"debug.echo","payload":{"hello":"world"}}'\n\n`);

  onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await relay.stop();
    await bus.close();
    await db.close();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
