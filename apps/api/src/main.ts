import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ApiModule, connectRedisRateLimiter, createHttpApp, rateLimitSettings } from '@jobplane/api-service';
import { ConfigError, loadConfig, postgresOptions } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import { createLogger, onShutdownSignal, pingRedis, startTracing } from '@jobplane/telemetry';

/** The api process (distributed mode): REST over Postgres, messages out through the outbox. */
async function main() {
  // First, so every span of the process goes to the exporter; flushed after the app closed.
  const tracing = startTracing('api');
  const config = loadConfig(process.env, { required: ['DATABASE_URL', 'AMQP_URL', 'REDIS_URL'] });
  const logger = createLogger('api', config.LOG_LEVEL);
  const db = await Database.open(postgresOptions(config), {
    migrate: config.MIGRATE_ON_START,
    awaitSchemaMs: config.SCHEMA_WAIT_SECONDS * 1000,
  });
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-api', logger });
  await bus.start(jobplaneTopology());
  // Tenant rate limits are shared by every api replica through Redis.
  const limits = connectRedisRateLimiter(
    config.REDIS_URL,
    config.REDIS_PREFIX,
    rateLimitSettings(config),
    (err) => logger.warn({ err }, 'rate limiter: Redis unavailable; requests are let through'),
  );

  @Module({
    imports: [
      ApiModule.forRoot({
        db,
        bus,
        logger,
        config,
        service: 'api',
        rateLimiter: limits.limiter,
        readiness: [
          { name: 'postgres', check: () => db.ping() },
          { name: 'rabbitmq', check: () => assertConnected(bus) },
          { name: 'redis', check: () => pingRedis(config.REDIS_URL) },
        ],
      }),
    ],
  })
  class ApiRoot {}

  const app = await createHttpApp(ApiRoot, logger, undefined, {
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');

  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await limits.close();
    await bus.close();
    await db.close();
    await tracing?.shutdown();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
