import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ApiModule, createHttpApp } from '@jobplane/api-service';
import { ConfigError, loadConfig } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology, outboxPublisher } from '@jobplane/messaging';
import { Database, JobRegistry, OutboxRelay, PoolStore, ScheduleStore } from '@jobplane/persistence';
import { createLogger, createMetricsRegistry, onShutdownSignal, pingRedis } from '@jobplane/telemetry';

/** The api process (distributed mode): REST over Postgres, messages out through the outbox. */
async function main() {
  const config = loadConfig(process.env, { required: ['DATABASE_URL', 'AMQP_URL', 'REDIS_URL'] });
  const logger = createLogger('api', config.LOG_LEVEL);
  const db = await Database.open(
    { kind: 'postgres', url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE },
    { migrate: config.MIGRATE_ON_START },
  );
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-api', logger });
  await bus.start(jobplaneTopology());
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
        metrics: createMetricsRegistry('api'),
        readiness: [
          { name: 'postgres', check: () => db.ping() },
          { name: 'rabbitmq', check: () => assertConnected(bus) },
          { name: 'redis', check: () => pingRedis(config.REDIS_URL) },
        ],
      }),
    ],
  })
  class ApiRoot {}

  const app = await createHttpApp(ApiRoot, logger);
  relay.start();
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');

  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
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
