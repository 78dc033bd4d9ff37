import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, postgresOptions } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import {
  BullmqBacklog,
  RedisLeaderLease,
  registerSchedulerMetrics,
  Scheduler,
  SchedulerModule,
  schedulerSettingsFrom,
} from '@jobplane/scheduler-service';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  PinoNestLogger,
  pingRedis,
  startHealthServer,
  startTracing,
} from '@jobplane/telemetry';

/** The scheduler process: the single writer of job state after submit, and the dispatcher. */
async function main() {
  // First, so every span of the process goes to the exporter; flushed after the app closed.
  const tracing = startTracing('scheduler');
  const config = loadConfig(process.env, { required: ['DATABASE_URL', 'AMQP_URL', 'REDIS_URL'] });
  const logger = createLogger('scheduler', config.LOG_LEVEL);
  const db = await Database.open(postgresOptions(config), {
    migrate: config.MIGRATE_ON_START,
    awaitSchemaMs: config.SCHEMA_WAIT_SECONDS * 1000,
  });
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-scheduler', logger });
  await bus.start(jobplaneTopology());
  const backlog = new BullmqBacklog(config.REDIS_URL, config.REDIS_PREFIX);

  @Module({
    imports: [
      SchedulerModule.forRoot({
        bus,
        db,
        logger,
        backlog,
        lease: new RedisLeaderLease(config.REDIS_URL, `${config.REDIS_PREFIX}:scheduler:leader`),
        ...schedulerSettingsFrom(config),
      }),
    ],
  })
  class SchedulerRoot {}

  const app = await NestFactory.createApplicationContext(SchedulerRoot, {
    logger: new PinoNestLogger(logger),
  });
  await app.init();
  const registry = createMetricsRegistry('scheduler');
  const scheduler = app.get(Scheduler);
  registerSchedulerMetrics(registry, scheduler.poolStore, scheduler.counters(), config.DEFAULT_POOL_CAPACITY);
  scheduler.instrument(registry);
  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry,
    ready: [
      { name: 'postgres', check: () => db.ping() },
      { name: 'rabbitmq', check: () => assertConnected(bus) },
      { name: 'redis', check: () => pingRedis(config.REDIS_URL) },
    ],
  });
  logger.info({ healthPort: config.HEALTH_PORT }, 'scheduler running');

  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    health.close();
    await bus.close();
    await db.close();
    await tracing?.shutdown();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
