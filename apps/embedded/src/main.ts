import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { Module } from '@nestjs/common';
import { ApiModule, createHttpApp } from '@jobplane/api-service';
import { AuditModule } from '@jobplane/audit-service';
import { ConfigError, loadConfig, parsePools } from '@jobplane/config';
import { assertConnected, InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import {
  MemoryBacklog,
  registerSchedulerMetrics,
  Scheduler,
  SchedulerModule,
  schedulerSettingsFrom,
  SoleLeader,
} from '@jobplane/scheduler-service';
import { createLogger, createMetricsRegistry, onShutdownSignal } from '@jobplane/telemetry';
import { configuredHandlersFrom, WorkerModule, workerSettingsFrom } from '@jobplane/worker-service';

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

  const metrics = createMetricsRegistry('embedded');

  @Module({
    imports: [
      ApiModule.forRoot({
        db,
        bus,
        logger,
        config,
        service: 'embedded',
        metrics,
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
        ...schedulerSettingsFrom(config),
      }),
      WorkerModule.forRoot({
        bus,
        logger,
        ...workerSettingsFrom(config),
        workerId: 'embedded',
        // crud works in the embedded database itself (its own table, outside the registry's).
        handlers: configuredHandlersFrom(config, (sql, params) => db.query(sql, params)),
      }),
      AuditModule.forRoot({
        bus,
        db,
        logger,
        retentionDays: config.AUDIT_RETENTION_DAYS,
        resultMaxBytes: config.RESULT_INLINE_MAX_BYTES,
      }),
    ],
  })
  class EmbeddedRoot {}

  const app = await createHttpApp(EmbeddedRoot, logger);
  const scheduler = app.get(Scheduler);
  registerSchedulerMetrics(metrics, scheduler.poolStore, scheduler.counters(), config.DEFAULT_POOL_CAPACITY);
  await app.listen(config.PORT, config.HOST);
  const url = `http://${config.HOST}:${config.PORT}`;
  logger.info({ url, dataDir, pools }, 'jobplane (embedded) ready');
  process.stdout.write(
    `\njobplane is running at ${url}  (API docs: ${url}/docs, data: ${dataDir})\n` +
      `try: curl -s -X POST ${url}/v1/jobs -H 'content-type: application/json' -d '{"type":"debug.echo","payload":{"hello":"world"}}'\n\n`,
  );

  onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await bus.close();
    await db.close();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
