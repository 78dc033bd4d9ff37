import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { ServiceProcess, Stack, startStack } from '@jobplane/testing';
import { check, type Report } from './checker';
import { collectRegistry, unfinishedCount } from './collect';
import type { Expectation, Fault } from './history';
import { createLedger, dropLedger, readLedger } from './ledger';
import { LoadGenerator, type SubmitRecord } from './load';
import type { ProbePayload } from './probe';

const WORKER_SCRIPT = join(__dirname, 'worker.js');

export interface RunOptions {
  workers: number;
  concurrency: number;
  /** Extra env for every process (timeouts shortened for the scenario). */
  env?: Record<string, string>;
  /**
   * Private servers the platform uses instead of the shared ones (a scenario restarts them). The
   * ledger stays on the shared Postgres: it is the observer, outside the system under test.
   */
  servers?: { databaseUrl?: string; redisUrl?: string; amqpUrl?: string };
}

function serverEnv(s: NonNullable<RunOptions['servers']>): Record<string, string> {
  return {
    ...(s.databaseUrl ? { DATABASE_URL: s.databaseUrl } : {}),
    ...(s.redisUrl ? { REDIS_URL: s.redisUrl } : {}),
    ...(s.amqpUrl ? { AMQP_URL: s.amqpUrl } : {}),
  };
}

/** Short liveness settings, so a lost worker is noticed in seconds, not the default 10 s. */
export const FAST_LIVENESS = { WORKER_HEARTBEAT_MS: '500', WORKER_LOST_AFTER_MS: '4000' };

/** Default plan: an `ok` probe succeeds after one run; poison ends failed (or timeout) after every attempt. */
export function expectationOf(s: SubmitRecord, maxAttempts: number): Expectation {
  const mode = (s.payload as ProbePayload).mode ?? 'ok';
  if (mode === 'ok') return { states: ['succeeded'], runs: 1 };
  return { states: mode === 'hang' ? ['timeout'] : ['failed'], runs: maxAttempts };
}

/**
 * One scenario's world: a private stack (schema, vhost, Redis prefix), chaos workers serving the
 * probe, a ledger schema, the load generator and the log of injected faults.
 */
export class ChaosRun {
  readonly faults: Fault[] = [];
  readonly workers = new Map<string, ServiceProcess>();
  readonly load: LoadGenerator;
  private healedAt = 0;
  private restarting = new Set<string>();
  private supervised = false;

  private constructor(
    readonly name: string,
    readonly runId: string,
    readonly stack: Stack,
    /** The platform's database (the registry). */
    public pg: Client,
    /** The shared database holding the ledger (the same client without private servers). */
    readonly ledgerPg: Client,
    readonly ledgerSchema: string,
    readonly opts: RunOptions,
  ) {
    this.load = new LoadGenerator(stack.apiUrl, stack.adminKey, { chaos: runId });
  }

  static async start(name: string, opts: RunOptions): Promise<ChaosRun> {
    const runId = `${name}-${randomBytes(3).toString('hex')}`;
    const stack = await startStack({
      workers: 0,
      workerPools: `default:${opts.concurrency}`,
      env: {
        LOG_LEVEL: 'warn',
        TENANT_RATE_LIMIT: '*:100000',
        DEFAULT_POOL_CAPACITY: String(opts.workers * opts.concurrency),
        ...(opts.servers ? serverEnv(opts.servers) : {}),
        ...opts.env,
      },
    });
    const ledgerSchema = `chaos_${stack.schema}`;
    const ledgerPg = new Client({ connectionString: stack.databaseUrl });
    const privateDb = opts.servers?.databaseUrl;
    const pg = privateDb ? new Client({ connectionString: privateDb }) : ledgerPg;
    try {
      await createLedger(stack.databaseUrl, ledgerSchema);
      await ledgerPg.connect();
      if (pg !== ledgerPg) {
        // The scenario restarts this server: a dropped connection must not crash the harness.
        pg.on('error', () => {});
        await pg.connect();
      }
    } catch (err) {
      await stack.stop();
      throw err;
    }
    const run = new ChaosRun(name, runId, stack, pg, ledgerPg, ledgerSchema, opts);
    try {
      for (let i = 0; i < opts.workers; i++) await run.startWorker(`worker-${i}`);
    } catch (err) {
      await run.stop();
      throw err;
    }
    return run;
  }

  async startWorker(name: string): Promise<ServiceProcess> {
    const p = await this.stack.startWorker(
      name,
      { CHAOS_LEDGER_URL: this.stack.databaseUrl, CHAOS_LEDGER_SCHEMA: this.ledgerSchema },
      WORKER_SCRIPT,
    );
    this.workers.set(name, p);
    void p.exited.then(() => this.onWorkerExit(name, p));
    return p;
  }

  /** Restart every worker that dies on its own (a poison job killed it), like a process supervisor. */
  supervise(): void {
    this.supervised = true;
  }

  private onWorkerExit(name: string, p: ServiceProcess): void {
    if (!this.supervised || this.workers.get(name) !== p || this.restarting.has(name)) return;
    this.faults.push({ at: Date.now(), kind: 'worker-crash', pids: [p.child.pid!] });
    this.restarting.add(name);
    // Until it comes up: a restarted worker can take the same poison before it reports ready.
    const restart = () => {
      if (!this.supervised) return this.restarting.delete(name);
      this.startWorker(name).then(
        () => this.restarting.delete(name),
        () => setTimeout(restart, 500),
      );
    };
    setTimeout(restart, 500);
  }

  /** Sends `signal` to the named workers and logs it as one fault. */
  signal(names: string[], signal: NodeJS.Signals, kind = signal): Fault {
    const procs = names.map((n) => this.workers.get(n)!);
    const fault = { at: Date.now(), kind, pids: procs.map((p) => p.child.pid!) };
    this.faults.push(fault);
    for (const p of procs) p.child.kill(signal);
    return fault;
  }

  /** The fault is over (processes back): `stuck` is judged from here. */
  healed(): void {
    this.healedAt = Date.now();
  }

  /** hard limit + 2 x heartbeat timeout + 60 s, per the suite's definition of stuck. */
  stuckAfterMs(hardLimitMs: number): number {
    const lostAfter = Number(this.stack.env.WORKER_LOST_AFTER_MS ?? 10_000);
    return hardLimitMs + 2 * lostAfter + 60_000;
  }

  /** Waits (at most `timeoutMs`) until every job submitted so far is terminal. */
  async waitTerminal(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (await unfinishedCount(this.pg, this.stack.schema, this.runId)) > 0) {
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Waits until every job of the run is terminal, or until the stuck deadline; then checks. */
  async settleAndCheck(hardLimitMs: number, expect: (s: SubmitRecord) => Expectation): Promise<Report> {
    this.healedAt ||= Date.now();
    const stuckAfterMs = this.stuckAfterMs(hardLimitMs);
    while (Date.now() < this.healedAt + stuckAfterMs) {
      if ((await unfinishedCount(this.pg, this.stack.schema, this.runId)) === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Let the audit service catch up with the last lifecycle messages.
    await new Promise((r) => setTimeout(r, 1_500));
    const registry = await collectRegistry(this.pg, this.stack.schema, this.stack.auditSchema, this.runId);
    return check({
      submits: this.load.history,
      ...registry,
      ledger: await readLedger(this.ledgerPg, this.ledgerSchema),
      faults: this.faults,
      healedAt: this.healedAt,
      checkedAt: Date.now(),
      stuckAfterMs,
      expect,
    });
  }

  /** A fresh registry connection after the platform's Postgres restarted (the old one is dead). */
  async reconnectRegistry(): Promise<void> {
    if (this.pg === this.ledgerPg || !this.opts.servers?.databaseUrl) return;
    await this.pg.end().catch(() => {});
    this.pg = new Client({ connectionString: this.opts.servers.databaseUrl });
    this.pg.on('error', () => {});
    await this.pg.connect();
  }

  async stop(): Promise<void> {
    this.supervised = false;
    for (const p of this.workers.values()) if (p.child.signalCode === null) p.child.kill('SIGCONT');
    await this.pg.end().catch(() => {});
    if (this.ledgerPg !== this.pg) await this.ledgerPg.end().catch(() => {});
    await this.stack.stop();
    // CHAOS_KEEP=1 leaves the run's schemas for a post-mortem (the report names them).
    if (process.env.CHAOS_KEEP)
      return console.error(
        `kept schemas ${this.stack.schema}, ${this.stack.auditSchema}, ${this.ledgerSchema}; faults ${JSON.stringify(this.faults)}`,
      );
    const pg = new Client({ connectionString: this.stack.databaseUrl });
    await pg.connect();
    await pg
      .query(`DROP SCHEMA IF EXISTS "${this.stack.schema}", "${this.stack.auditSchema}" CASCADE`)
      .finally(() => pg.end());
    await dropLedger(this.stack.databaseUrl, this.ledgerSchema);
  }
}
