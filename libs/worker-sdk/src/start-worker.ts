import { isMainThread } from 'node:worker_threads';
import { ISOLATE_ENV, type AnyHandlerDefinition } from '@jobplane/worker-service/handler';
import type { WorkerRuntime } from '@jobplane/worker-service';

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
  /** Null inside an isolate, where no worker starts. */
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
  if (!isMainThread || process.env[ISOLATE_ENV]) return { workerId: '', runtime: null, stop: async () => {} };
  // Required here, not imported above: every isolate imports this package with the handler's
  // module and must not pay for loading the runtime (AMQP, NestJS, metrics) it never uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runWorker } = require('./run-worker') as typeof import('./run-worker');
  return runWorker(opts);
}
