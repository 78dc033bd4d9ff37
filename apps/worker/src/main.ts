import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, parsePools } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import type { Pool } from 'pg';
import {
  configuredHandlersFrom,
  WorkerModule,
  registerWorkerMetrics,
  WorkerRuntime,
  workerSettingsFrom,
} from '@jobplane/worker-service';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  PinoNestLogger,
  startHealthServer,
  startTracing,
} from '@jobplane/telemetry';

/**
 * A worker process: no public API and no registry database; consumes its pools' work queues. Its only
 * database is the optional one handlers work in (HANDLER_DATABASE_URL).
 */
async function main() {
  // First, so every span of the process goes to the exporter; flushed after the app closed.
  const tracing = startTracing('worker');
  const config = loadConfig(process.env, { required: ['AMQP_URL'] });
  const logger = createLogger('worker', config.LOG_LEVEL);
  const pools = parsePools(config.WORKER_POOLS);
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-worker', logger });
  await bus.start(jobplaneTopology(pools.map((p) => p.pool)));
  const handlerDb = config.HANDLER_DATABASE_URL ? handlerPool(config.HANDLER_DATABASE_URL) : undefined;
  handlerDb?.on('error', (err) => logger.warn({ err }, 'handler database connection failed'));

  @Module({
    imports: [
      WorkerModule.forRoot({
        bus,
        logger,
        ...workerSettingsFrom(config),
        handlers: configuredHandlersFrom(
          config,
          handlerDb && (async (sql, params) => (await handlerDb.query(sql, params)).rows),
        ),
      }),
    ],
  })
  class WorkerRoot {}

  const app = await NestFactory.createApplicationContext(WorkerRoot, { logger: new PinoNestLogger(logger) });
  await app.init();
  const runtime = app.get(WorkerRuntime);
  const registry = createMetricsRegistry('worker');
  registerWorkerMetrics(registry, runtime, pools);
  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry,
    accepting: () => runtime.isAccepting(),
    ready: [{ name: 'rabbitmq', check: () => assertConnected(bus) }],
  });
  logger.info({ workerId: runtime.workerId, pools, healthPort: config.HEALTH_PORT }, 'worker running');

  onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close(); // drains in-flight jobs (WORKER_DRAIN_SECONDS), hands back the rest
    health.close();
    await bus.close();
    await handlerDb?.end();
    await tracing?.shutdown();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

/** The handlers' database pool; `pg` is loaded only by workers that have one. */
function handlerPool(url: string): Pool {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  return new pg.Pool({ connectionString: url, max: 4, application_name: 'jobplane-worker' });
}
