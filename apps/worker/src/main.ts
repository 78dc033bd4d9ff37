import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, parsePools } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import { WorkerModule, WorkerRuntime, workerSettingsFrom } from '@jobplane/worker-service';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  PinoNestLogger,
  startHealthServer,
} from '@jobplane/telemetry';

/** A worker process: no public API and no database; consumes its pools' work queues. */
async function main() {
  const config = loadConfig(process.env, { required: ['AMQP_URL'] });
  const logger = createLogger('worker', config.LOG_LEVEL);
  const pools = parsePools(config.WORKER_POOLS);
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-worker', logger });
  await bus.start(jobplaneTopology(pools.map((p) => p.pool)));

  @Module({
    imports: [
      WorkerModule.forRoot({
        bus,
        logger,
        ...workerSettingsFrom(config),
      }),
    ],
  })
  class WorkerRoot {}

  const app = await NestFactory.createApplicationContext(WorkerRoot, { logger: new PinoNestLogger(logger) });
  await app.init();
  const runtime = app.get(WorkerRuntime);
  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry: createMetricsRegistry('worker'),
    accepting: () => runtime.isAccepting(),
    ready: [{ name: 'rabbitmq', check: () => assertConnected(bus) }],
  });
  logger.info({ workerId: runtime.workerId, pools, healthPort: config.HEALTH_PORT }, 'worker running');

  onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close(); // drains in-flight jobs (WORKER_DRAIN_SECONDS), hands back the rest
    health.close();
    await bus.close();
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
