import { randomBytes, randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Pool } from 'pg';
import { canonical, CRUD_TABLE, crudHandler, SqlQuery } from './crud.handler';
import { runHandler } from './run-handler.spec-helper';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function run(
  query: SqlQuery | undefined,
  payload: unknown,
  jobId = randomUUID(),
  signal = new AbortController().signal,
) {
  return runHandler(crudHandler(query), payload, { jobId, signal });
}

interface Backend {
  query: SqlQuery;
  close: () => Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'pglite',
    async () => {
      const db = await PGlite.create();
      return {
        query: async (sql, params) => (await db.query(sql, params)).rows as never,
        close: () => db.close(),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const schema = `crud_${randomBytes(4).toString('hex')}`;
      const pool = new Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` });
      await pool.query(`CREATE SCHEMA ${schema}`);
      return {
        query: async (sql, params) => (await pool.query(sql, params)).rows,
        close: async () => {
          await pool.query(`DROP SCHEMA ${schema} CASCADE`);
          await pool.end();
        },
      };
    },
  ],
];

describe.each(backends)('crud on %s', (_name, open) => {
  let db: Backend;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db.close());

  it('creates, verifies, updates and deletes a row, leaving nothing behind', async () => {
    const statements: string[] = [];
    const spy: SqlQuery = (sql, params) => {
      statements.push(sql.trim().split(/\s+/)[0]!);
      return db.query(sql, params);
    };
    const data = { z: 1, a: { nested: [1, 'two', null] } };
    const out = await run(spy, { name: 'widget', data });
    expect(out.lifecycle).toEqual(['created', 'verified', 'updated', 'deleted']);
    expect(out.updated).toEqual({ ...data, updated: true });
    expect(statements).toEqual(expect.arrayContaining(['CREATE', 'INSERT', 'SELECT', 'UPDATE', 'DELETE']));
    expect(await db.query(`SELECT count(*)::int AS n FROM ${CRUD_TABLE} WHERE id = $1`, [out.id])).toEqual([
      { n: 0 },
    ]);
  });

  it('runs many at once on the same table (and creates the table once)', async () => {
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => run(db.query, { data: { i } })));
    expect(outs.map((o) => o.lifecycle.length)).toEqual(Array(8).fill(4));
    expect(new Set(outs.map((o) => o.id)).size).toBe(8);
  });

  it('removes what an interrupted earlier attempt of the same job left behind', async () => {
    const jobId = randomUUID();
    await run(db.query, {}); // table exists
    await db.query(
      `INSERT INTO ${CRUD_TABLE} (id, job_id, tenant, name, data, version) VALUES ($1, $2, 't1', 'left', '{}', 1)`,
      [randomUUID(), jobId],
    );
    await run(db.query, {}, jobId);
    expect(await db.query(`SELECT count(*)::int AS n FROM ${CRUD_TABLE} WHERE job_id = $1`, [jobId])).toEqual(
      [{ n: 0 }],
    );
  });

  it('fails non-retryably when a read-back does not match what was written', async () => {
    // A database that loses updates: the UPDATE "succeeds" but the read-back shows the old data.
    const lossy: SqlQuery = (sql, params) =>
      sql.trim().startsWith('UPDATE')
        ? db.query(`SELECT id FROM ${CRUD_TABLE} WHERE id = $1`, [params![0]])
        : db.query(sql, params);
    await expect(run(lossy, { data: { v: 1 } })).rejects.toMatchObject({
      code: 'crud_verification_failed',
      retryable: false,
      message: expect.stringContaining('crud update check failed'),
    });
  });

  it('cleans up and rethrows the cancel reason when cancelled mid-cycle', async () => {
    const ac = new AbortController();
    const jobId = randomUUID();
    const cancelling: SqlQuery = async (sql, params) => {
      const rows = await db.query(sql, params);
      if (sql.trim().startsWith('UPDATE')) ac.abort(new Error('cancelled'));
      return rows;
    };
    await expect(run(cancelling, {}, jobId, ac.signal)).rejects.toThrow('cancelled');
    expect(await db.query(`SELECT count(*)::int AS n FROM ${CRUD_TABLE} WHERE job_id = $1`, [jobId])).toEqual(
      [{ n: 0 }],
    );
  });
});

describe('crud without a database', () => {
  it('refuses, naming the variable to set', async () => {
    await expect(run(undefined, {})).rejects.toMatchObject({
      code: 'crud_disabled',
      retryable: false,
      message: expect.stringContaining('HANDLER_DATABASE_URL'),
    });
  });

  it('fails retryably when the database is unreachable', async () => {
    const pool = new Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectionTimeoutMillis: 500,
    });
    try {
      await expect(run(async (sql, p) => (await pool.query(sql, p)).rows, {})).rejects.toMatchObject({
        code: 'crud_database_error',
        retryable: true,
      });
    } finally {
      await pool.end();
    }
  });

  it('compares JSON by content, not key order', () => {
    expect(canonical({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(canonical({ a: [{ c: 2, d: 1 }], b: 1 }));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }));
  });
});
