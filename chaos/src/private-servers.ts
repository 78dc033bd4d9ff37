import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private Postgres / Redis / RabbitMQ servers on their own ports, so a scenario may restart them
 * without touching the shared servers other stacks use. Each lives in a temp dir removed on stop.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
  });
}

/** Runs as `user` when we are root (initdb and the rabbitmq scripts refuse or misbehave as root). */
function asUser(user: string, cmd: string, args: string[], env: Record<string, string> = {}): void {
  const root = process.getuid?.() === 0;
  execFileSync(
    root ? 'runuser' : cmd,
    root ? ['-u', user, '--', 'env', ...envArgs(env), cmd, ...args] : args,
    {
      stdio: 'ignore',
      timeout: 120_000,
      env: { ...process.env, ...env },
    },
  );
}
const envArgs = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** A dir the service user owns (root creates it, the server process writes it). */
function ownedDir(prefix: string, user: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', user]).toString());
    const gid = Number(execFileSync('id', ['-g', user]).toString());
    chownSync(dir, uid, gid);
  }
  return dir;
}

export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = ownedDir('chaos-pg-', 'postgres');
    asUser('postgres', `${PG_BIN}/initdb`, [
      '-D',
      `${dir}/data`,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    const pg = new PrivatePostgres(await freePort(), dir);
    pg.ctl('start');
    return pg;
  }

  private ctl(action: 'start' | 'stop', mode: 'fast' | 'immediate' = 'fast'): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    const args = action === 'start' ? ['-o', opts, '-l', `${this.dir}/log`] : ['-m', mode];
    asUser('postgres', `${PG_BIN}/pg_ctl`, [action, '-D', `${this.dir}/data`, '-w', ...args]);
  }

  /** `immediate` is a crash (no shutdown checkpoint, clients cut mid-transaction). */
  stop(mode: 'fast' | 'immediate' = 'immediate'): void {
    this.ctl('stop', mode);
  }

  start(): void {
    this.ctl('start');
  }

  destroy(): void {
    try {
      this.ctl('stop', 'immediate');
    } catch {
      /* already down */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Redis without persistence: a restart loses every key, as a crashed cache would. */
export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('redis-cli', ['-p', String(this.port), 'ping'], { stdio: 'ignore' });
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`redis on ${this.port} did not start`);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

/**
 * A RabbitMQ node of its own (name, ports, mnesia dir, config), for a restart or a broker setting
 * (consumer_timeout) the shared node must not get. Heavy: ~20 s to boot on a loaded machine.
 */
export class PrivateRabbit {
  private constructor(
    readonly port: number,
    readonly node: string,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  static async start(config: string[] = []): Promise<PrivateRabbit> {
    const dir = ownedDir('chaos-rmq-', 'rabbitmq');
    const port = await freePort();
    const distPort = await freePort();
    const node = `chaos${port}@localhost`;
    writeFileSync(
      `${dir}/rabbitmq.conf`,
      [`listeners.tcp.default = 127.0.0.1:${port}`, 'loopback_users = none', ...config].join('\n') + '\n',
    );
    writeFileSync(`${dir}/plugins`, '[].\n');
    // The machine's rabbitmq-env.conf names the shared node: point this one at its own file.
    writeFileSync(`${dir}/env.conf`, `NODENAME=${node}\n`);
    const env = {
      RABBITMQ_CONF_ENV_FILE: `${dir}/env.conf`,
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
      RABBITMQ_LOG_BASE: `${dir}/log`,
      RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq.conf`,
      RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/plugins`,
      RABBITMQ_PID_FILE: `${dir}/pid`,
    };
    for (const f of ['rabbitmq.conf', 'plugins', 'env.conf']) chmodSync(`${dir}/${f}`, 0o644);
    const r = new PrivateRabbit(port, node, dir, env);
    execFileSync('rabbitmq-server', ['-detached'], { stdio: 'ignore', env: { ...process.env, ...env } });
    // await_startup fails at once until the node has registered its name: poll for that first.
    for (let i = 0; ; i++) {
      try {
        await r.ctl('await_startup');
        return r;
      } catch (err) {
        if (i >= 60) {
          await r.destroy();
          throw err;
        }
        await sleep(2_000);
      }
    }
  }

  private async ctl(...args: string[]): Promise<void> {
    execFileSync('rabbitmqctl', ['-n', this.node, '--timeout', '120', ...args], {
      stdio: 'ignore',
      timeout: 150_000,
      env: { ...process.env, ...this.env },
    });
  }

  /** A fresh vhost (guest may use it), so runs on one node never share queues. */
  async vhostUrl(vhost: string): Promise<string> {
    await this.ctl('add_vhost', vhost);
    await this.ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    return `${this.url}/${encodeURIComponent(vhost)}`;
  }

  /** Broker log lines matching `pattern` (evidence that a broker-side limit fired). */
  logCount(pattern: RegExp): number {
    const dir = `${this.dir}/log`;
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) => readFileSync(`${dir}/${f}`, 'utf8').split('\n'))
      .filter((l) => pattern.test(l)).length;
  }

  /** Stops the broker application (every connection dropped), keeping the node for a fast start. */
  async stopApp(): Promise<void> {
    await this.ctl('stop_app');
  }

  async startApp(): Promise<void> {
    await this.ctl('start_app');
  }

  async destroy(): Promise<void> {
    await this.ctl('stop').catch(() => {});
    if (process.env.CHAOS_KEEP) return console.error(`kept broker dir ${this.dir}`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
