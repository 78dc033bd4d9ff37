import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { JobEntity } from './entities/job.entity';
import { JobEventEntity } from './entities/job-event.entity';
import { OutboxEntity } from './entities/outbox.entity';
import { MIGRATIONS } from './migrations';

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number }
  /** Embedded PGlite; no dataDir = in memory. */
  | { kind: 'pglite'; dataDir?: string };

/** Options of `Database.open`. */
export interface OpenOptions {
  /** Apply pending migrations now (under a Postgres advisory lock). */
  migrate?: boolean;
  /**
   * Without `migrate`: wait up to this long for another process (a migration job) to bring the
   * schema up to this build's migrations, then fail naming the pending ones. Unset = no check.
   */
  awaitSchemaMs?: number;
  /** Migrations run after jobplane's own: tests of online schema changes. */
  extraMigrations?: (new () => MigrationInterface)[];
}

/** Thrown by `Database.open` when the schema stays behind this build's migrations. */
export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `database schema is behind this build: ${pending.length} pending migration(s) (${pending.join(', ')}); ` +
        'run the migration job, or set MIGRATE_ON_START=true',
    );
    this.name = 'SchemaBehindError';
  }
}

/** A transaction (or a single-statement context) that runs parameterised SQL. */
export interface Tx {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Outbox rows this transaction wrote, handed to the outbox sink (`takeOutboxSink`) once it commits. */
  wroteOutbox?(rows: CommittedOutboxRow[]): void;
}

/** An outbox row as written: what to publish, and the id to delete once published. */
export interface CommittedOutboxRow {
  id: string;
  exchange: string;
  routingKey: string;
  messageId: string;
  body: string;
  headers: Record<string, string>;
}

/** Serialises work on a single-session database so transactions never interleave. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Arbitrary constant naming jobplane's migration lock; the audit service's migrator takes it too, so
 * it never moves the audit tables while the registry's migrations run.
 */
export const MIGRATION_LOCK_KEY = 7_431_902_001;

const ENTITIES = [JobEntity, JobEventEntity, OutboxEntity];

/**
 * The job registry's connection. Postgres in distributed mode; PGlite (the same SQL dialect and
 * migrations) in embedded mode. PGlite is one session shared by the process, so every transaction
 * takes a process-wide lock there; Postgres runs them concurrently on a pool.
 */
export class Database {
  private readonly lock: Mutex | null;
  private outboxSink: ((rows: CommittedOutboxRow[]) => void) | null = null;

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseOptions['kind'],
  ) {
    this.lock = kind === 'pglite' ? new Mutex() : null;
  }

  static async open(options: DatabaseOptions, open: OpenOptions = {}): Promise<Database> {
    const dataSource = new DataSource(dataSourceOptions(options, open.extraMigrations ?? []));
    await dataSource.initialize();
    const db = new Database(dataSource, options.kind);
    try {
      if (options.kind === 'postgres' && options.schema && options.schema !== 'public') {
        await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
      }
      if (open.migrate) await db.migrate();
      else if (open.awaitSchemaMs !== undefined) await db.awaitSchema(open.awaitSchemaMs);
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }

  /** Names of this build's migrations the schema has not applied. */
  async pending(): Promise<string[]> {
    const applied = new Set(
      (await this.query<{ name: string }>('SELECT name FROM typeorm_migrations').catch(() => [])).map(
        (r) => r.name,
      ),
    );
    return this.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !applied.has(n));
  }

  /**
   * Waits for a migration job to apply this build's migrations (a pod started by a Helm upgrade may
   * come up just before the hook finishes); a schema newer than the build is fine (expand steps).
   */
  private async awaitSchema(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.pending();
      if (pending.length === 0) return;
      if (Date.now() >= deadline) throw new SchemaBehindError(pending);
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, deadline - Date.now()))));
    }
  }

  /** Applies pending migrations; safe to run from several processes (TypeORM takes a lock table row per run). */
  async migrate(): Promise<string[]> {
    return this.exclusive(async () => {
      if (this.kind === 'pglite')
        return (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
      // Several processes may start at once: a session advisory lock lets one migrate at a time.
      const runner = this.dataSource.createQueryRunner();
      await runner.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      try {
        return (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
        await runner.release();
      }
    });
  }

  async pendingMigrations(): Promise<boolean> {
    return this.exclusive(() => this.dataSource.showMigrations());
  }

  /**
   * Hands the outbox rows of every transaction of this process to `sink` once it commits. One sink
   * per database: several relays on one database (embedded mode runs the api's and the
   * scheduler's) must not each publish every row. Returns the function that gives the sink up, or
   * null when another relay holds it.
   */
  takeOutboxSink(sink: (rows: CommittedOutboxRow[]) => void): (() => void) | null {
    if (this.outboxSink) return null;
    this.outboxSink = sink;
    return () => {
      if (this.outboxSink === sink) this.outboxSink = null;
    };
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const outbox: CommittedOutboxRow[] = [];
    return this.exclusive(async () => {
      const runner = this.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        const result = await fn({
          ...txOf(runner),
          wroteOutbox: (rows) => void outbox.push(...rows),
        });
        await runner.commitTransaction();
        return result;
      } catch (err) {
        // On a connection that died the rollback fails too (the server dropped the transaction):
        // the caller must see why it failed (an unavailable database: a 503), not the rollback's error.
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      } finally {
        await runner.release().catch(() => undefined);
      }
    }).then((result) => {
      const sink = this.outboxSink;
      if (sink && outbox.length > 0)
        try {
          sink(outbox);
        } catch {
          // The transaction stands: the sink only speeds relaying up; the poller finds the rows.
        }
      return result;
    });
  }

  /** A single statement outside an explicit transaction. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.exclusive(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        return await txOf(runner).query<T>(sql, params);
      } finally {
        await runner.release();
      }
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock ? this.lock.run(fn) : fn();
  }
}

function txOf(runner: QueryRunner): Tx {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const result = await runner.query(sql, params, true);
      return (result.records ?? []) as T[];
    },
  };
}

function dataSourceOptions(
  options: DatabaseOptions,
  extraMigrations: (new () => MigrationInterface)[],
): ConstructorParameters<typeof DataSource>[0] {
  const common = {
    entities: ENTITIES,
    migrations: [...MIGRATIONS, ...extraMigrations],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
  };
  if (options.kind === 'pglite') {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    return { ...common, type: 'postgres', driver: new PGliteDriver({ dataDir: options.dataDir }).driver };
  }
  const schema = options.schema ?? 'public';
  return {
    ...common,
    type: 'postgres',
    url: options.url,
    schema,
    poolSize: options.poolSize ?? 10,
    extra: { options: `-c search_path="${schema}"`, connectionTimeoutMillis: 5_000 },
    applicationName: 'jobplane',
  };
}
