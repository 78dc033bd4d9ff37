import { loadConfig, parsePools } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  startHealthServer,
} from '@jobplane/telemetry';
import {
  BUILT_IN_HANDLERS,
  HandlerRegistry,
  loadDefinition,
  WorkerRuntime,
  workerSettingsFrom,
} from '@jobplane/worker-service';
import type { RunningWorker, StartWorkerOptions } from './start-worker';

/** The worker process behind `startWorker` (loaded only when a worker really starts). */
export async function runWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const env = opts.env ?? process.env;
  const config = loadConfig(env, { required: ['AMQP_URL'] });
  const logger = createLogger('worker', config.LOG_LEVEL);
  const registry = new HandlerRegistry().register(
    ...(opts.builtIns ? BUILT_IN_HANDLERS : []),
    ...opts.handlers,
  );
  // An isolated handler whose module does not export it would fail every job: refuse to start.
  for (const def of opts.handlers) {
    if (def.execution === 'thread' || def.execution === 'process')
      await loadDefinition(def.module!, def.type);
  }
  const pools = resolvePools(opts, env.WORKER_POOLS ? config.WORKER_POOLS : undefined, config.WORKER_POOLS);
  const bus = new AmqpBus({ url: config.AMQP_URL, connectionName: 'jobplane-custom-worker', logger });
  await bus.start(jobplaneTopology(pools.map((p) => p.pool)));
  const runtime = new WorkerRuntime(bus, registry, logger.child({ context: 'WorkerRuntime' }), {
    ...workerSettingsFrom(config),
    pools,
    version: opts.version ?? env.npm_package_version ?? '0.0.0',
  });
  await runtime.start();
  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry: createMetricsRegistry('worker'),
    accepting: () => runtime.isAccepting(),
    ready: [{ name: 'rabbitmq', check: () => assertConnected(bus) }],
  });
  logger.info({ workerId: runtime.workerId, pools, types: registry.types() }, 'worker running');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await runtime.stop();
      health.close();
      await bus.close();
    })());
  if (opts.handleSignals ?? true) {
    onShutdownSignal(logger, config.WORKER_DRAIN_SECONDS * 1000 + config.SHUTDOWN_TIMEOUT_MS, stop);
  }
  return { workerId: runtime.workerId, runtime, stop };
}

function resolvePools(
  opts: StartWorkerOptions,
  configured: string | undefined,
  fallback: string,
): { pool: string; concurrency: number }[] {
  if (opts.pools) return typeof opts.pools === 'string' ? parsePools(opts.pools) : opts.pools;
  if (configured) return parsePools(configured);
  const named = [...new Set(opts.handlers.map((h) => h.pool).filter((p): p is string => Boolean(p)))];
  const concurrency = parsePools(fallback)[0]!.concurrency;
  return named.length ? named.map((pool) => ({ pool, concurrency })) : parsePools(fallback);
}
