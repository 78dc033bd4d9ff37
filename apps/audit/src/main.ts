import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, auditSettingsFrom, auditTables, migrateAuditSchema } from '@jobplane/audit-service';
import { ConfigError, loadConfig, postgresOptions } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  PinoNestLogger,
  startHealthServer,
  startTracing,
} from '@jobplane/telemetry';

/** The audit process: appends every lifecycle message to the hash-chained trail. */
async function main() {
  // First, so every span of the process goes to the exporter; flushed after the app closed.
  const tracing = startTracing('audit');
  const config = loadConfig(process.env, { required: ['DATABASE_URL', 'AMQP_URL'] });
  const logger = createLogger('audit', config.LOG_LEVEL);
  // The trail lives in the audit service's own schema, which it always migrates itself (under the
  // registry's migration lock); the registry's migrations are the api's and the migration job's.
  const db = await Database.open(postgresOptions(config));
  const settings = auditSettingsFrom(config);
  const applied = await migrateAuditSchema(db, auditTables(settings.schema), config.DATABASE_SCHEMA);
  if (applied.length > 0) logger.info({ schema: settings.schema, applied }, 'audit schema migrated');
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-audit', logger });
  const registry = createMetricsRegistry('audit');
  await bus.start(jobplaneTopology());

  @Module({
    imports: [AuditModule.forRoot({ bus, db, logger, metrics: registry, ...settings })],
  })
  class AuditRoot {}

  const app = await NestFactory.createApplicationContext(AuditRoot, { logger: new PinoNestLogger(logger) });
  await app.init();
  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry,
    ready: [
      { name: 'postgres', check: () => db.ping() },
      { name: 'rabbitmq', check: () => assertConnected(bus) },
    ],
  });
  logger.info({ healthPort: config.HEALTH_PORT }, 'audit running');

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
