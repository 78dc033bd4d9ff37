import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Module } from '@nestjs/common';
import { ApiModule, createHttpApp } from '@jobplane/api-service';
import { AuditModule, auditSettingsFrom, auditTables, migrateAuditSchema } from '@jobplane/audit-service';
import { ConfigError, loadConfig, parsePools } from '@jobplane/config';
import { assertConnected, InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database, generateApiKey } from '@jobplane/persistence';
import {
  MemoryBacklog,
  registerSchedulerMetrics,
  Scheduler,
  SchedulerModule,
  schedulerSettingsFrom,
  SoleLeader,
} from '@jobplane/scheduler-service';
import { createLogger, createMetricsRegistry, onShutdownSignal, startTracing } from '@jobplane/telemetry';
import {
  configuredHandlersFrom,
  registerWorkerMetrics,
  WorkerModule,
  WorkerRuntime,
  workerSettingsFrom,
} from '@jobplane/worker-service';

/**
 * Embedded mode: api, scheduler, worker and audit in one process, on an in-process bus and an
 * embedded Postgres (PGlite) in DATA_DIR. Same modules as the distributed services; only adapters differ.
 */
async function main() {
  // First, so every span of the process goes to the exporter; flushed after the app closed.
  const tracing = startTracing('embedded');
  const config = loadConfig(process.env, { defaults: { HOST: '127.0.0.1' } });
  const logger = createLogger('jobplane', config.LOG_LEVEL);
  const dataDir = resolve(config.DATA_DIR);
  const db = await Database.open({ kind: 'pglite', dataDir: join(dataDir, 'pglite') }, { migrate: true });
  const auditSettings = auditSettingsFrom(config);
  // PGlite keeps the registry in `public`; the trail gets its own schema there too.
  await migrateAuditSchema(db, auditTables(auditSettings.schema), 'public');
  const pools = parsePools(config.WORKER_POOLS);
  const bus = new InProcessBus();
  await bus.start(jobplaneTopology(pools.map((p) => p.pool)));

  const metrics = createMetricsRegistry('embedded');
  const devKey =
    config.AUTH_MODE === 'keys' && !config.BOOTSTRAP_ADMIN_KEY ? developmentKey(dataDir) : undefined;

  @Module({
    imports: [
      ApiModule.forRoot({
        db,
        bus,
        logger,
        config,
        service: 'embedded',
        metrics,
        bootstrapKey: devKey,
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
      AuditModule.forRoot({ bus, db, logger, metrics, ...auditSettings }),
    ],
  })
  class EmbeddedRoot {}

  const app = await createHttpApp(EmbeddedRoot, logger, undefined, {
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  const scheduler = app.get(Scheduler);
  registerSchedulerMetrics(metrics, scheduler.poolStore, scheduler.counters(), config.DEFAULT_POOL_CAPACITY);
  scheduler.instrument(metrics);
  registerWorkerMetrics(metrics, app.get(WorkerRuntime), pools);
  await app.listen(config.PORT, config.HOST);
  const url = `http://${config.HOST}:${config.PORT}`;
  logger.info({ url, dataDir, pools }, 'jobplane (embedded) ready');
  const auth =
    config.AUTH_MODE === 'open'
      ? ''
      : ` -H "authorization: Bearer ${devKey ? '$JOBPLANE_API_KEY' : '<your BOOTSTRAP_ADMIN_KEY>'}"`;
  process.stdout.write(
    `\njobplane is running at ${url}  (API docs: ${url}/docs, data: ${dataDir})\n` +
      (devKey
        ? `development API key (admin; kept in ${join(dataDir, DEV_KEY_FILE)}):\n  export JOBPLANE_API_KEY=${devKey}\n`
        : '') +
      `try: curl -s -X POST ${url}/v1/jobs${auth} -H 'content-type: application/json' -d '{"type":"debug.echo","payload":{"hello":"world"}}'\n\n`,
  );

  onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await bus.close();
    await db.close();
    await tracing?.shutdown();
  });
}

const DEV_KEY_FILE = 'dev-api-key';

/**
 * Embedded mode's admin key when the operator set none: made on first start and kept (owner-only)
 * in DATA_DIR, so the same key keeps working across restarts. Only its hash goes into the database.
 */
function developmentKey(dataDir: string): string {
  const file = join(dataDir, DEV_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = generateApiKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
