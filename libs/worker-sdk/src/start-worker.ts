import { isMainThread } from 'node:worker_threads';
import { loadConfig, parsePools } from '@jobplane/config';
import { AmqpBus, assertConnected, jobplaneTopology } from '@jobplane/messaging';
import {
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  startHealthServer,
} from '@jobplane/telemetry';
import {
  AnyHandlerDefinition,
  BUILT_IN_HANDLERS,
  HandlerRegistry,
  ISOLATE_ENV,
  loadDefinition,
  WorkerRuntime,
  workerSettingsFrom,
} from '@jobplane/worker-service';

export interface StartWorkerOptions {
  handlers: AnyHandlerDefinition[];
  /** Also serve the built-in handlers (`sleep`, `debug.*`, ...). Default false. */
  builtIns?: boolean;
  /** Pools and concurrency; default WORKER_POOLS, else the pools the handlers name. */
  pools?: string | { pool: string; concurrency: number }[];
  /** Configuration source (default `process.env`); see docs/configuration.md. */
  env?: NodeJS.ProcessEnv;
  /** Reported in heartbeats (default: the package version npm/pnpm exported, else 0.0.0). */
  version?: string;
  /** Drain and exit on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

export interface RunningWorker {
  workerId: string;
  runtime: WorkerRuntime | null;
  /** Drains (WORKER_DRAIN_SECONDS), hands back what did not finish, closes connections. */
  stop(): Promise<void>;
}

/**
 * Runs a worker process serving `handlers`: connects to RabbitMQ, consumes its pools, heartbeats,
 * serves /health and /metrics on HEALTH_PORT and drains on SIGTERM. Inside an isolate (a module
 * that starts a worker was loaded into a thread or child process to run a handler) it does nothing.
 */
export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const env = opts.env ?? process.env;
  if (!isMainThread || process.env[ISOLATE_ENV]) return { workerId: '', runtime: null, stop: async () => {} };

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
