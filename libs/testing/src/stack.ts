import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, ServiceProcess, startService, stopService } from './processes';

export interface StackOptions {
  workers?: number;
  workerPools?: string;
  /** Base port; api = base, scheduler/audit/workers health = base+1.., api gRPC = base+39. */
  basePort?: number;
  env?: Record<string, string>;
  logDir?: string;
  /** Checkout whose built dist the processes run (an older release, say); default this repository. */
  root?: string;
  /** Runs before the first process starts, with the stack's env (e.g. a migration job). */
  prepare?: (env: Record<string, string>) => Promise<void>;
}

export type AppName = 'api' | 'scheduler' | 'worker' | 'audit';

export interface Stack {
  apiUrl: string;
  /** The bootstrap admin key (BOOTSTRAP_ADMIN_KEY) of tenant `default`: every scope. */
  adminKey: string;
  /** host:port of the api's gRPC server. */
  grpcAddress: string;
  schema: string;
  /** The audit service's own schema (AUDIT_DB_SCHEMA's default for `schema`). */
  auditSchema: string;
  vhost: string;
  amqpUrl: string;
  databaseUrl: string;
  processes: ServiceProcess[];
  /** Starts one more worker; `script` runs a custom worker instead of apps/worker. */
  startWorker(name?: string, env?: Record<string, string>, script?: string): Promise<ServiceProcess>;
  /** Starts one more api replica on its own port (same database, vhost and Redis). */
  startApi(name: string): Promise<{ url: string; process: ServiceProcess }>;
  /** Starts one more scheduler replica. */
  startScheduler(name: string): Promise<ServiceProcess>;
  /** Starts an audit process (again, after a test stopped it). */
  startAudit(name: string): Promise<ServiceProcess>;
  /** Starts one more api replica on its own port; resolves with its URL. */
  startApi(name: string): Promise<{ url: string; process: ServiceProcess }>;
  /**
   * Starts one more process of any app, e.g. a second api replica (on its own port: its base url
   * is its healthUrl's origin) or one from another build (`root`).
   */
  spawn(
    name: string,
    app: AppName,
    opts?: { env?: Record<string, string>; root?: string },
  ): Promise<ServiceProcess>;
  /** The env every process of the stack gets (connection urls, schema, prefix, StackOptions.env). */
  env: Record<string, string>;
  /** One more port of the stack's own block, for a process a test starts by itself. */
  port(): number;
  stop(): Promise<void>;
}

const PG = process.env.STACK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AMQP_BASE = process.env.STACK_AMQP_BASE ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS = process.env.STACK_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A stack owns a block of ports: the api takes the first, the other processes' health ports (and
 * extra api replicas) the next ones, gRPC the last, so even a large fleet never reaches it.
 */
const PORT_BLOCK = 40;
const GRPC_PORT_OFFSET = PORT_BLOCK - 1;

const run = promisify(execFile);

/** Async, so stacks of parallel test files (or a stack's other steps) do not wait on the CLI's ~1.5 s. */
async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', args, { timeout: 60_000 });
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Blocks handed out on this host: a lock file per block, so stacks started at the same moment (test
 * files running in parallel, other checkouts' runs) never pick the same block while their processes
 * are still starting and the ports look free. A lock whose owner process is gone is stale.
 */
const LOCK_DIR = join(tmpdir(), 'jobplane-stack-ports');

function lockBlock(base: number): (() => void) | null {
  mkdirSync(LOCK_DIR, { recursive: true });
  const file = join(LOCK_DIR, String(base));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch {
      if (!staleLock(file)) return null;
      try {
        unlinkSync(file);
      } catch {
        /* another process took it over first */
      }
    }
  }
  return null;
}

function staleLock(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!pid) return false; // being written right now
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A random base whose block of ports is free now, locked for this stack. Other stacks (parallel
 * runs) pick from the same range; a taken port would let another stack's api answer our readiness
 * probe. The range stays below Linux's ephemeral ports (32768+): a process restarted mid-test once
 * found its port taken by some outgoing connection's local port.
 */
async function freeBasePort(): Promise<{ base: number; release: () => void }> {
  for (let i = 0; i < 100; i++) {
    const base = 18000 + Math.floor(Math.random() * 360) * PORT_BLOCK;
    const release = lockBlock(base);
    if (!release) continue;
    const free = await Promise.all(Array.from({ length: PORT_BLOCK }, (_, k) => portFree(base + k)));
    if (free.every(Boolean)) return { base, release };
    release();
  }
  throw new Error(`no free block of ${PORT_BLOCK} ports in 18000-32400`);
}

/**
 * The distributed stack as real OS processes (api, scheduler, audit, N workers) against the real
 * Postgres, RabbitMQ and Redis, isolated by a fresh Postgres schema and RabbitMQ vhost that
 * `stop()` removes.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const id = randomBytes(4).toString('hex');
  const schema = `stack_${id}`;
  const vhost = `jobplane-test-${id}`;
  const amqpUrl = `${AMQP_BASE}/${encodeURIComponent(vhost)}`;
  const [vhostAdded, blockTaken] = await Promise.allSettled([
    rabbitmqctl('add_vhost', vhost).then(() =>
      rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'),
    ),
    opts.basePort === undefined ? freeBasePort() : { base: opts.basePort, release: () => undefined },
  ]);
  if (blockTaken.status === 'rejected' || vhostAdded.status === 'rejected') {
    if (blockTaken.status === 'fulfilled') blockTaken.value.release();
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    throw blockTaken.status === 'rejected' ? blockTaken.reason : (vhostAdded as PromiseRejectedResult).reason;
  }
  const block = blockTaken.value;
  const base = block.base;
  const logDir = opts.logDir ?? join(REPO_ROOT, '.stack', 'logs', id);
  const adminKey = `jp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  const env = {
    BOOTSTRAP_ADMIN_KEY: adminKey,
    DATABASE_URL: PG,
    DATABASE_SCHEMA: schema,
    AMQP_URL: amqpUrl,
    REDIS_URL: REDIS,
    REDIS_PREFIX: `jobplane-test-${id}`,
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  const processes: ServiceProcess[] = [];
  let nextPort = base + 1;
  const takePort = () => {
    if (nextPort >= base + GRPC_PORT_OFFSET) throw new Error(`stack ports used up (block of ${PORT_BLOCK})`);
    return nextPort++;
  };
  const start = async (
    name: string,
    app: AppName,
    extra: Record<string, string> = {},
    script?: string,
    root = opts.root,
    apiPort?: number,
  ) => {
    const port = app === 'api' ? (apiPort ?? (name === 'api' ? base : takePort())) : takePort();
    // Only the first api serves gRPC (its port is fixed); extra replicas are HTTP-only.
    const grpc: Record<string, string> =
      app === 'api' ? { GRPC_PORT: port === base ? String(base + GRPC_PORT_OFFSET) : '0' } : {};
    const p = await startService({
      name,
      app,
      ...(script ? { script } : {}),
      root,
      healthPort: port,
      logDir,
      env: {
        ...env,
        PORT: String(app === 'api' ? port : base),
        HOST: '127.0.0.1',
        HEALTH_PORT: String(port),
        ...grpc,
        ...extra,
      },
    });
    processes.push(p);
    return p;
  };
  try {
    await opts.prepare?.(env);
    // api first: it applies migrations, so the others start on a ready schema; they start together.
    await start('api', 'api');
    const rest = await Promise.allSettled([
      start('scheduler', 'scheduler'),
      start('audit', 'audit'),
      ...Array.from({ length: opts.workers ?? 1 }, (_, i) =>
        start(`worker-${i}`, 'worker', {
          WORKER_ID: `worker-${i}-${id}`,
          ...(opts.workerPools ? { WORKER_POOLS: opts.workerPools } : {}),
        }),
      ),
    ]);
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Started together, pushed as each became ready: restore the documented order.
    const order = (p: ServiceProcess) => ['api', 'scheduler', 'audit'].indexOf(p.name) >>> 0;
    processes.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name, 'en', { numeric: true }));
  } catch (err) {
    await Promise.all(processes.map((p) => stopService(p, 2_000)));
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    block.release();
    throw err;
  }
  let workers = opts.workers ?? 1;
  return {
    apiUrl: `http://127.0.0.1:${base}`,
    adminKey,
    grpcAddress: `127.0.0.1:${base + GRPC_PORT_OFFSET}`,
    schema,
    auditSchema: `${schema}_audit`,
    vhost,
    amqpUrl,
    databaseUrl: PG,
    processes,
    startScheduler: (name) => start(name, 'scheduler'),
    startAudit: (name) => start(name, 'audit'),
    startApi: async (name) => {
      const p = await start(name, 'api');
      return { url: new URL(p.healthUrl).origin, process: p };
    },
    spawn: (name, app, o = {}) =>
      start(name, app, o.env, undefined, o.root ?? opts.root, app === 'api' ? takePort() : undefined),
    env,
    port: takePort,
    startWorker: (name, extraEnv = {}, script) => {
      const workerName = name ?? `worker-${workers++}`;
      return start(
        workerName,
        'worker',
        {
          WORKER_ID: `${workerName}-${id}`,
          ...(opts.workerPools ? { WORKER_POOLS: opts.workerPools } : {}),
          ...extraEnv,
        },
        script,
      );
    },
    async stop() {
      await Promise.all(processes.map((p) => stopService(p)));
      block.release();
      // Best effort, both at once.
      await Promise.all([
        rabbitmqctl('delete_vhost', vhost).catch(() => undefined),
        run('sh', ['-c', `redis-cli --scan --pattern '${env.REDIS_PREFIX}:*' | xargs -r redis-cli del`], {
          timeout: 30_000,
        }).catch(() => undefined),
      ]);
    },
  };
}
