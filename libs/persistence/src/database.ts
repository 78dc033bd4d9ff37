import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { DataSource, QueryRunner } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { JobEntity } from './entities/job.entity';
import { JobEventEntity } from './entities/job-event.entity';
import { OutboxEntity } from './entities/outbox.entity';
import { MIGRATIONS } from './migrations';

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number }
  /** Embedded PGlite; no dataDir = in memory. */
  | { kind: 'pglite'; dataDir?: string };

/** A transaction (or a single-statement context) that runs parameterised SQL. */
export interface Tx {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
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

/** Arbitrary constant naming jobplane's migration lock. */
const MIGRATION_LOCK_KEY = 7_431_902_001;

const ENTITIES = [JobEntity, JobEventEntity, OutboxEntity];

/**
 * The job registry's connection. Postgres in distributed mode; PGlite (the same SQL dialect and
 * migrations) in embedded mode. PGlite is one session shared by the process, so every transaction
 * takes a process-wide lock there; Postgres runs them concurrently on a pool.
 */
export class Database {
  private readonly lock: Mutex | null;

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseOptions['kind'],
  ) {
    this.lock = kind === 'pglite' ? new Mutex() : null;
  }

  static async open(options: DatabaseOptions, { migrate = false } = {}): Promise<Database> {
    const dataSource = new DataSource(dataSourceOptions(options));
    await dataSource.initialize();
    const db = new Database(dataSource, options.kind);
    if (options.kind === 'postgres' && options.schema && options.schema !== 'public') {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    }
    if (migrate) await db.migrate();
    return db;
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

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const runner = this.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        const result = await fn(txOf(runner));
        await runner.commitTransaction();
        return result;
      } catch (err) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        throw err;
      } finally {
        await runner.release();
      }
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

function dataSourceOptions(options: DatabaseOptions): ConstructorParameters<typeof DataSource>[0] {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
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
